"""Agreement on 3D cuboids (LiDAR boxes with a yaw).

* 3D IoU of two yawed cuboids: the intersection of their ground-plane rectangles
  by convex polygon clipping (Sutherland & Hodgman 1974, CACM 17(1)), its area by
  the shoelace formula, times the overlap of their z ranges; divided by the union
  of the volumes. This is how the KITTI and nuScenes devkits score 3D boxes that
  rotate about the vertical axis only (nuScenes ``eval/detection`` and the
  ``rotate_iou``/``d3_box_overlap`` of the KITTI object devkit as used in
  second.pytorch); pitch and roll are ignored, as there.
* Agreement: cuboids of two annotators matched one to one by 3D IoU with the
  Hungarian method (Kuhn 1955, ``scipy.optimize.linear_sum_assignment``), pairs
  kept at ``IoU >= threshold``; F1 of the matching and Cohen's kappa over the
  matched pairs' labels, as :func:`labelwell.quality.structured_agreement.box_agreement`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput
from labelwell.quality.structured_agreement import (
    answered_lists,
    match_by_iou,
    matched_agreement,
)

#: Columns of a cuboid frame besides ``task, worker, label``.
CUBOID_COLUMNS = ("x", "y", "z", "length", "width", "height", "yaw")


def _corners(box: np.ndarray) -> list[tuple[float, float]]:
    """Ground-plane corners, counter-clockwise, of ``x, y, z, l, w, h, yaw``."""
    x, y, _, length, width, _, yaw = (float(v) for v in box)
    c, s = np.cos(yaw), np.sin(yaw)
    return [
        (x + c * dx * length / 2 - s * dy * width / 2, y + s * dx * length / 2 + c * dy * width / 2)
        for dx, dy in ((1, 1), (-1, 1), (-1, -1), (1, -1))
    ]


def _clip(
    subject: list[tuple[float, float]], clip: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: ``subject`` clipped by the convex counter-clockwise ``clip``."""
    out = subject
    for i in range(len(clip)):
        (ax, ay), (bx, by) = clip[i], clip[(i + 1) % len(clip)]
        if not out:
            break
        points, out = out, []

        def side(p: tuple[float, float]) -> float:
            return (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax)  # noqa: B023

        for j in range(len(points)):
            p, q = points[j], points[(j + 1) % len(points)]
            sp, sq = side(p), side(q)
            if sp >= 0:
                out.append(p)
            if (sp >= 0) != (sq >= 0):
                t = sp / (sp - sq)
                out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def _area(polygon: list[tuple[float, float]]) -> float:
    """Shoelace area of a simple polygon."""
    if len(polygon) < 3:
        return 0.0
    xs = np.array([p[0] for p in polygon])
    ys = np.array([p[1] for p in polygon])
    return float(abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))) / 2)


def bev_intersection(box_a: Sequence[float], box_b: Sequence[float]) -> float:
    """Area shared by two cuboids' ground-plane rectangles (``x, y, z, l, w, h, yaw``)."""
    a, b = np.asarray(box_a, dtype=float), np.asarray(box_b, dtype=float)
    return _area(_clip(_corners(a), _corners(b)))


def cuboid_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Pairwise 3D IoU of cuboids given as rows ``x, y, z, l, w, h, yaw`` (centre,
    size, yaw about z), shape ``(len(a), len(b))``."""
    a = np.asarray(boxes_a, dtype=float).reshape(-1, 7)
    b = np.asarray(boxes_b, dtype=float).reshape(-1, 7)
    if (a[:, 3:6] <= 0).any() or (b[:, 3:6] <= 0).any():
        raise InvalidInput("a cuboid has a size that is not positive", field="dimensions")
    out = np.zeros((len(a), len(b)))
    z_lo = np.maximum(a[:, None, 2] - a[:, None, 5] / 2, b[None, :, 2] - b[None, :, 5] / 2)
    z_hi = np.minimum(a[:, None, 2] + a[:, None, 5] / 2, b[None, :, 2] + b[None, :, 5] / 2)
    dz = np.clip(z_hi - z_lo, 0, None)
    # rectangles whose circumscribed circles miss each other cannot meet
    reach = np.hypot(a[:, 3], a[:, 4])[:, None] / 2 + np.hypot(b[:, 3], b[:, 4])[None, :] / 2
    near = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1]) < reach
    vol_a, vol_b = a[:, 3:6].prod(axis=1), b[:, 3:6].prod(axis=1)
    for i, j in zip(*np.nonzero(near & (dz > 0)), strict=True):
        inter = bev_intersection(a[i], b[j]) * dz[i, j]
        out[i, j] = inter / (vol_a[i] + vol_b[j] - inter)
    return out


def cuboid_row(region: dict[str, Any]) -> list[float]:
    """A stored cuboid ``{center, dimensions, rotation}`` as ``x, y, z, l, w, h, yaw``."""
    return [
        *map(float, region["center"]),
        *map(float, region["dimensions"]),
        float(region["rotation"][0]),
    ]


@dataclass(frozen=True)
class CuboidAgreement:
    """Cuboid agreement: ``f1`` of the 3D-IoU matching, ``label_f1`` also requiring
    equal labels, ``kappa`` over matched pairs' labels (``nan`` when undefined),
    ``mean_iou`` of matched pairs."""

    f1: float
    label_f1: float
    kappa: float
    mean_iou: float
    n_matched: int
    n_cuboids: int


def match_cuboids(
    boxes_a: np.ndarray, boxes_b: np.ndarray, iou_threshold: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hungarian matching maximising total 3D IoU; ``(rows, cols, iou)`` of the pairs
    with ``IoU >= iou_threshold``."""
    return match_by_iou(cuboid_iou(boxes_a, boxes_b), iou_threshold)


def cuboid_agreement(frame: pd.DataFrame, iou_threshold: float = 0.5) -> CuboidAgreement:
    """Agreement of a long frame ``task, worker, x, y, z, length, width, height,
    yaw, label`` summed over all annotator pairs of all tasks (a task is one frame
    of a sequence). A worker who drew nothing on a task needs a row with ``x``
    missing to count as having seen it."""
    return CuboidAgreement(*matched_agreement(frame, CUBOID_COLUMNS, match_cuboids, iou_threshold))


def cuboid_frame(
    results: Sequence[tuple[object, object, Sequence[dict[str, Any]]]],
) -> pd.DataFrame:
    """The long frame :func:`cuboid_agreement` reads, from ``(task, worker, cuboids)``
    with stored cuboids; a cuboid's ``frame`` (in a sequence) joins the task, so
    each frame of a sequence is scored on its own."""
    frames_of: dict[object, set[object]] = {}
    for task, _, cuboids in results:
        frames_of.setdefault(task, {0}).update(c.get("frame", 0) for c in cuboids)
    rows: list[dict[str, object]] = []
    for task, worker, cuboids in results:
        for frame in frames_of[task]:  # every annotator saw every frame of the sequence
            rows.append({"task": (task, frame), "worker": worker, "label": None, "x": np.nan})
        for c in cuboids:
            rows.append({
                "task": (task, c.get("frame", 0)), "worker": worker, "label": c["label"],
                **dict(zip(CUBOID_COLUMNS, cuboid_row(c), strict=True)),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=["task", "worker", "label", *CUBOID_COLUMNS])


def cuboids_consensus(
    answers: Sequence[Sequence[dict[str, Any]] | None], iou_threshold: float = 0.5
) -> list[dict[str, Any]] | None:
    """The consensus of several annotators' stored cuboids when they agree, else None.

    They agree when, frame by frame, every annotator's cuboids match the first
    annotator's one to one (:func:`match_cuboids`, 3D ``IoU >= iou_threshold``)
    with equal labels. Each consensus cuboid keeps the first annotator's id, label,
    frame, track and interpolation flag, the median centre and size of its group,
    and the mean of the group's yaws, each first turned by a multiple of pi to lie
    within pi/2 of the first one (a box and its half-turn are the same box)."""
    lists = answered_lists(answers)
    if not lists:
        return None if lists is None else []
    anchor = lists[0]

    def by_frame(boxes: list[dict[str, Any]]) -> dict[object, list[dict[str, Any]]]:
        out: dict[object, list[dict[str, Any]]] = {}
        for b in boxes:
            out.setdefault(b.get("frame"), []).append(b)
        return out

    anchor_frames = by_frame(anchor)
    groups: dict[int, list[dict[str, Any]]] = {id(b): [b] for b in anchor}
    for other in lists[1:]:
        frames = by_frame(other)
        if frames.keys() != anchor_frames.keys():
            return None
        for frame, mine in anchor_frames.items():
            theirs = frames[frame]
            if len(theirs) != len(mine):
                return None
            rows, cols, _ = match_cuboids(
                np.array([cuboid_row(b) for b in mine]),
                np.array([cuboid_row(b) for b in theirs]),
                iou_threshold,
            )
            if len(rows) != len(mine):
                return None
            for r, c in zip(rows, cols, strict=True):
                if theirs[c]["label"] != mine[r]["label"]:
                    return None
                groups[id(mine[r])].append(theirs[c])
    out = []
    for first in anchor:
        group = groups[id(first)]
        yaw0 = float(first["rotation"][0])
        turned = [
            yaw0 + float(np.angle(np.exp(1j * (float(g["rotation"][0]) - yaw0) * 2))) / 2
            for g in group
        ]
        box: dict[str, Any] = {
            "id": first["id"],
            "label": first["label"],
            "center": [float(v) for v in np.median([g["center"] for g in group], axis=0)],
            "dimensions": [float(v) for v in np.median([g["dimensions"] for g in group], axis=0)],
            "rotation": [float(np.mean(turned)), 0.0, 0.0],
        }
        for key in ("frame", "tracking_id", "interpolated"):
            if key in first:
                box[key] = first[key]
        out.append(box)
    return out
