"""Aggregating bounding boxes from several annotators: cluster by IoU, then fuse."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput
from labelwell.quality._frame import check_frame

BOX_COLUMNS = ("task", "worker", "x_min", "y_min", "x_max", "y_max")
COORDS = ["x_min", "y_min", "x_max", "y_max"]


def iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of one ``[x_min, y_min, x_max, y_max]`` box with each row of ``others``."""
    lo = np.maximum(box[:2], others[:, :2])
    hi = np.minimum(box[2:], others[:, 2:])
    inter = np.clip(hi - lo, 0, None).prod(axis=1)
    area = (box[2:] - box[:2]).prod()
    areas = (others[:, 2:] - others[:, :2]).prod(axis=1)
    union = area + areas - inter
    ious: np.ndarray = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return ious


def _cluster(
    boxes: np.ndarray, scores: np.ndarray, workers: np.ndarray, threshold: float
) -> list[list[int]]:
    """Greedy clustering, most confident box first; a cluster takes at most one box
    per annotator. Yields lists of row positions."""
    order = np.argsort(-scores, kind="stable")
    fused = np.zeros((0, 4))
    members: list[list[int]] = []
    for i in order:
        if len(members):
            overlap = iou(boxes[i], fused)
            taken = np.array([workers[i] in {workers[j] for j in m} for m in members])
            overlap[taken] = -1.0
            best = int(overlap.argmax())
            if overlap[best] >= threshold:
                members[best].append(int(i))
                w = scores[members[best]]
                fused[best] = (boxes[members[best]] * w[:, None]).sum(axis=0) / w.sum()
                continue
        members.append([int(i)])
        fused = np.vstack([fused, boxes[i]])
    return members


def aggregate_boxes(
    boxes: pd.DataFrame,
    iou_threshold: float = 0.5,
    min_votes: int | None = None,
) -> pd.DataFrame:
    """Consensus boxes per task (and per ``label`` when the column is present).

    Boxes are clustered across annotators by IoU (a box joins the cluster whose
    fused box it overlaps most, if IoU >= ``iou_threshold`` and the cluster has no
    box from the same annotator yet) and each cluster's coordinates are fused as
    the confidence-weighted mean, as in Weighted Boxes Fusion (Solovyev, Wang &
    Gabruseva 2021, "Weighted boxes fusion", Image and Vision Computing 107,
    eqs. 1-2); ``score`` (default 1) is the confidence. A cluster is kept when at
    least ``min_votes`` annotators drew it (default: a strict majority of the
    task's annotators). Returns ``task, [label], x_min, y_min, x_max, y_max,
    votes, score`` with ``score`` the mean confidence times the share of annotators
    who drew the box (WBF eq. 3).
    """
    check_frame(boxes, BOX_COLUMNS)
    if not 0 < iou_threshold <= 1:
        raise InvalidInput("iou_threshold must be in (0, 1]")
    coords = boxes[COORDS].to_numpy(dtype=float)
    if (coords[:, 2] < coords[:, 0]).any() or (coords[:, 3] < coords[:, 1]).any():
        bad = int(np.flatnonzero((coords[:, 2] < coords[:, 0]) | (coords[:, 3] < coords[:, 1]))[0])
        raise InvalidInput(f"box in row {bad} has x_max < x_min or y_max < y_min")
    scores = boxes["score"].to_numpy(dtype=float) if "score" in boxes else np.ones(len(boxes))
    annotators = boxes.groupby("task", sort=False)["worker"].nunique().to_dict()
    keys = ["task", "label"] if "label" in boxes else ["task"]
    rows: list[dict[str, Any]] = []
    for key, idx in boxes.groupby(keys, sort=False).indices.items():
        task = key[0] if isinstance(key, tuple) else key
        n_annot = int(annotators[task])
        need = min_votes if min_votes is not None else math.floor(n_annot / 2) + 1
        workers = boxes["worker"].to_numpy()[idx]
        for member in _cluster(coords[idx], scores[idx], workers, iou_threshold):
            if len(member) < need:
                continue
            w = scores[idx][member]
            fused = (coords[idx][member] * w[:, None]).sum(axis=0) / w.sum()
            row: dict[str, Any] = dict(
                zip(keys, key if isinstance(key, tuple) else (key,), strict=True)
            )
            row.update(dict(zip(COORDS, fused, strict=True)))
            row["votes"] = len(member)
            row["score"] = float(w.mean() * min(len(member), n_annot) / n_annot)
            rows.append(row)
    columns = [*keys, *COORDS, "votes", "score"]
    return pd.DataFrame(rows, columns=columns)
