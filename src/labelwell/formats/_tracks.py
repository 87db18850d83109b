"""Per-frame boxes back into keyframes: the inverse of
:func:`labelwell.media.video.interpolate`, for formats that list a track's box
on every frame it is present (MOTChallenge, YouTube-VIS)."""

from __future__ import annotations

from typing import Any

import numpy as np

#: a frame is left out of the keyframes when linear interpolation between its
#: neighbours gives its box to this many pixels (below the 0.01 px the text
#: formats write, so an export of the keyframes writes the same boxes)
TOLERANCE_PX = 0.004


def _box(frame: int, box: np.ndarray, occluded: bool, outside: bool = False) -> dict[str, Any]:
    kf: dict[str, Any] = {"frame": frame, "x": float(box[0]), "y": float(box[1]),
                          "width": float(box[2]), "height": float(box[3])}  # fmt: skip
    if occluded:
        kf["occluded"] = True
    if outside:
        kf["outside"] = True
    return kf


def keyframes(
    frames: list[int], boxes: np.ndarray, occluded: list[bool], total: int
) -> list[dict[str, Any]]:
    """The fewest keyframes (greedily) that :func:`interpolate` expands back to
    ``boxes`` (``x, y, width, height`` rows) on ``frames`` (sorted, distinct)
    with the given occlusion, and to nothing on the other frames below ``total``:
    each run of consecutive frames keeps its first and last frame and the frames
    where the motion or the occlusion changes; a run that ends before ``total``
    is closed by an ``outside`` keyframe on the next frame."""
    out: list[dict[str, Any]] = []
    n = len(frames)
    i = 0
    while i < n:
        end = i  # the last index of this run of consecutive frames
        while end + 1 < n and frames[end + 1] == frames[end] + 1:
            end += 1
        a = i
        out.append(_box(frames[a], boxes[a], occluded[a]))
        while a < end:
            b = a + 1
            # Extend a -> b while every frame between shares a's occlusion and lies on the
            # line: frame i between does when the slope (box_b - box_a) / (b - a) is within
            # (box_i - box_a +- tolerance) / (i - a), so the bounds over the frames between
            # are kept as b grows (linear time, where checking every frame again was not).
            lo, hi = np.full(4, -np.inf), np.full(4, np.inf)
            while b < end and occluded[b] == occluded[a]:
                rise = boxes[b] - boxes[a]
                lo = np.maximum(lo, (rise - TOLERANCE_PX) / (b - a))
                hi = np.minimum(hi, (rise + TOLERANCE_PX) / (b - a))
                slope = (boxes[b + 1] - boxes[a]) / (b + 1 - a)
                if (slope < lo).any() or (slope > hi).any():
                    break
                b += 1
            out.append(_box(frames[b], boxes[b], occluded[b]))
            a = b
        if frames[end] + 1 < total:
            out.append(_box(frames[end] + 1, boxes[end], occluded[end], outside=True))
        i = end + 1
    return out
