"""Per-frame boxes back to keyframes (formats._tracks.keyframes): interpolating
the keyframes gives the boxes back on every frame (to the tolerance), the track
absent where it had no box; piecewise-linear motion keeps only its corners; the
running slope bounds pick the same keyframes as checking every frame between
again (the plain quadratic greedy, written out here)."""

from __future__ import annotations

import numpy as np
import pytest

from labelwell.formats._tracks import TOLERANCE_PX, keyframes
from labelwell.media.video import interpolate


def plain_greedy(frames, boxes, occluded, total):
    """The same rule, each extension checked against every frame between."""
    out, i, n = [], 0, len(frames)
    while i < n:
        end = i
        while end + 1 < n and frames[end + 1] == frames[end] + 1:
            end += 1
        a = i
        out.append(frames[a])
        while a < end:
            b = a + 1
            while b < end and occluded[b] == occluded[a]:
                t = (np.arange(a + 1, b + 2) - a) / (b + 1 - a)
                line = boxes[a] + t[:, None] * (boxes[b + 1] - boxes[a])
                if np.abs(line[:-1] - boxes[a + 1 : b + 1]).max() > TOLERANCE_PX:
                    break
                b += 1
            out.append(frames[b])
            a = b
        if frames[end] + 1 < total:
            out.append(frames[end] + 1)
        i = end + 1
    return out


def random_track(rng, total):
    """Piecewise-linear motion with a few corners, gaps and occluded stretches."""
    corners = np.sort(rng.choice(np.arange(1, total - 1), size=4, replace=False))
    knots = np.concatenate([[0], corners, [total - 1]])
    values = rng.uniform(0, 200, size=(len(knots), 4)).round(2)
    values[:, 2:] += 5  # width, height > 0
    grid = np.arange(total)
    boxes = np.stack([np.interp(grid, knots, values[:, k]) for k in range(4)], axis=1)
    keep = rng.random(total) > 0.1
    occluded = (np.arange(total) // 7) % 3 == 0
    frames = [int(f) for f in np.flatnonzero(keep)]
    return frames, boxes[frames], [bool(occluded[f]) for f in frames]


@pytest.mark.parametrize("seed", range(20))
def test_keyframes_interpolate_back_and_match_the_plain_greedy(seed):
    rng = np.random.default_rng(seed)
    total = int(rng.integers(20, 120))
    frames, boxes, occluded = random_track(rng, total)
    kfs = keyframes(frames, boxes, occluded, total)
    rows = interpolate(kfs, total)
    assert list(np.flatnonzero(rows[:, 4])) == frames
    np.testing.assert_allclose(rows[frames, :4], boxes, atol=TOLERANCE_PX + 1e-9)
    assert [bool(v) for v in rows[frames, 5]] == occluded
    assert [k["frame"] for k in kfs] == plain_greedy(frames, boxes, occluded, total)


def test_linear_motion_keeps_its_ends_only():
    total = 20_000
    boxes = np.column_stack([np.arange(total) * 0.5, np.full(total, 3.0),
                             np.full(total, 10.0), np.full(total, 12.0)])  # fmt: skip
    kfs = keyframes(list(range(total)), boxes, [False] * total, total)
    assert [k["frame"] for k in kfs] == [0, total - 1]
    kfs = keyframes(list(range(100)), boxes[:100], [False] * 100, total)
    assert [(k["frame"], k.get("outside", False)) for k in kfs] == [
        (0, False), (99, False), (100, True)]  # fmt: skip
