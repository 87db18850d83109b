"""Agreement between annotators on structured labels: spans, boxes, keypoints.

* Spans: F1 between two annotators' span sets, which is the positive specific
  agreement ``2a / (2a + b + c)`` recommended where kappa is undefined (Hripcsak &
  Rothschild 2005, JAMIA 12(3), eq. 3). *Exact* pairs need the same start, end and
  label; *overlap* pairs need the same label and any shared character, matched one
  to one (maximum total overlap, Hungarian method).
* Boxes: one-to-one matching by IoU with the Hungarian method (Kuhn 1955, via
  ``scipy.optimize.linear_sum_assignment``), pairs kept at ``IoU >= threshold``;
  F1 of the matching and Cohen's kappa over the matched pairs' labels.
* Keypoints: object keypoint similarity as in COCO
  ``OKS = sum_i exp(-d_i^2 / (2 s^2 k_i^2)) [v_i > 0] / sum_i [v_i > 0]`` with
  ``s^2`` the object area and ``k_i = 2 sigma_i`` (Lin et al. 2014; COCO keypoint
  evaluation, ``cocoeval.computeOks``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal, TypeVar

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from labelwell.errors import InvalidInput
from labelwell.quality.agreement import cohen_kappa

R = TypeVar("R")

Span = tuple[int, int, object]

# Per-keypoint sigmas of the 17 COCO person keypoints (cocoeval.py).
COCO_PERSON_SIGMAS = (
    np.array(
        [
            0.26,
            0.25,
            0.25,
            0.35,
            0.35,
            0.79,
            0.79,
            0.72,
            0.72,
            0.62,
            0.62,
            1.07,
            1.07,
            0.87,
            0.87,
            0.89,
            0.89,
        ]
    )  # fmt: skip
    / 10.0
)


def _f1(matched: int, n_a: int, n_b: int) -> float:
    total = n_a + n_b
    return 1.0 if total == 0 else 2.0 * matched / total


def _as_spans(spans: Sequence[Span]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if len(spans) == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=object)
    start, end, label = zip(*spans, strict=True)
    start_arr, end_arr = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    if (end_arr < start_arr).any():
        raise InvalidInput("a span ends before it starts", field="end")
    return start_arr, end_arr, np.asarray(label, dtype=object)


def span_matches(
    spans_a: Sequence[Span], spans_b: Sequence[Span], mode: Literal["exact", "overlap"] = "exact"
) -> int:
    """Number of one-to-one matched pairs between two annotators' ``(start, end,
    label)`` spans (end exclusive)."""
    if mode == "exact":
        return len(set(map(tuple, spans_a)) & set(map(tuple, spans_b)))
    if mode != "overlap":
        raise InvalidInput(f"mode must be 'exact' or 'overlap', got {mode!r}")
    sa, ea, la = _as_spans(spans_a)
    sb, eb, lb = _as_spans(spans_b)
    if len(sa) == 0 or len(sb) == 0:
        return 0
    shared = np.minimum(ea[:, None], eb[None, :]) - np.maximum(sa[:, None], sb[None, :])
    # zero-width spans overlap when they sit inside the other span
    touching = (sa[:, None] < eb[None, :]) & (sb[None, :] < ea[:, None])
    point = ((ea - sa)[:, None] == 0) | ((eb - sb)[None, :] == 0)
    touching |= point & (sa[:, None] <= eb[None, :]) & (sb[None, :] <= ea[:, None])
    ok = touching & (la[:, None] == lb[None, :])
    gain = np.where(ok, np.maximum(shared, 0.0) + 1.0, 0.0)
    rows, cols = linear_sum_assignment(gain, maximize=True)
    return int(ok[rows, cols].sum())


@dataclass(frozen=True)
class SpanAgreement:
    """Micro-averaged span F1 over all annotator pairs of all tasks."""

    exact_f1: float
    overlap_f1: float
    n_pairs: int
    n_spans: int


def span_f1(
    spans_a: Sequence[Span], spans_b: Sequence[Span], mode: Literal["exact", "overlap"] = "exact"
) -> float:
    """F1 (positive specific agreement) between two annotators' spans."""
    return _f1(span_matches(spans_a, spans_b, mode), len(spans_a), len(spans_b))


def _pairs_per_task(
    frame: pd.DataFrame, columns: Sequence[str]
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Yield, per task and annotator pair, the two annotators' rows as arrays."""
    missing = [c for c in ("task", "worker", *columns) if c not in frame.columns]
    if missing:
        raise InvalidInput(f"missing column(s): {', '.join(missing)}", field=missing[0])
    for _, task_rows in frame.groupby("task", sort=False):
        by_worker = {w: rows for w, rows in task_rows.groupby("worker", sort=False)}
        for wa, wb in combinations(by_worker, 2):
            yield by_worker[wa], by_worker[wb]


def span_agreement(frame: pd.DataFrame) -> SpanAgreement:
    """Span agreement of a long frame ``task, worker, start, end, label``.

    Matches and span counts are summed over every pair of annotators on every task
    before taking ``F1 = 2 matches / (|A| + |B|)``. A worker who marked no span on
    a task needs a row with ``start`` missing to count as having seen it.
    """
    exact = overlap = total = pairs = 0
    for rows_a, rows_b in _pairs_per_task(frame, ("start", "end", "label")):
        spans = []
        for rows in (rows_a, rows_b):
            rows = rows[rows["start"].notna()]
            starts, ends = rows["start"].astype(int), rows["end"].astype(int)
            spans.append(list(zip(starts, ends, rows["label"], strict=True)))
        exact += span_matches(spans[0], spans[1], "exact")
        overlap += span_matches(spans[0], spans[1], "overlap")
        total += len(spans[0]) + len(spans[1])
        pairs += 1
    return SpanAgreement(
        exact_f1=1.0 if total == 0 else 2.0 * exact / total,
        overlap_f1=1.0 if total == 0 else 2.0 * overlap / total,
        n_pairs=pairs,
        n_spans=total,
    )


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of ``x1, y1, x2, y2`` boxes, shape ``(len(a), len(b))``."""
    a = np.asarray(boxes_a, dtype=float).reshape(-1, 4)
    b = np.asarray(boxes_b, dtype=float).reshape(-1, 4)
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    ious: np.ndarray = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return ious


def match_boxes(
    boxes_a: np.ndarray, boxes_b: np.ndarray, iou_threshold: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hungarian matching maximising total IoU; returns ``(rows, cols, iou)`` of the
    pairs with ``IoU >= iou_threshold``."""
    return match_by_iou(box_iou(boxes_a, boxes_b), iou_threshold)


def answered_lists(answers: Sequence[Sequence[R] | None]) -> list[list[R]] | None:
    """The annotators' region lists for a consensus of regions: None where one
    left the control unanswered while another drew regions (no consensus), no
    lists where nobody drew any."""
    if any(a is None for a in answers):
        return None if any(a for a in answers) else []
    return [list(a or ()) for a in answers]


def match_by_iou(
    iou: np.ndarray, iou_threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-to-one pairs of a pairwise IoU matrix maximising the total IoU
    (Hungarian method); ``(rows, cols, iou)`` of those with ``IoU >= iou_threshold``."""
    if iou.size == 0:
        empty = np.zeros(0, dtype=int)
        return empty, empty, np.zeros(0)
    rows, cols = linear_sum_assignment(iou, maximize=True)
    keep = iou[rows, cols] >= iou_threshold
    return rows[keep], cols[keep], iou[rows, cols][keep]


@dataclass(frozen=True)
class BoxAgreement:
    """Box agreement: ``f1`` of the IoU matching (localisation), ``label_f1`` also
    requiring equal labels, ``kappa`` over matched pairs' labels (``nan`` when
    undefined), ``mean_iou`` of matched pairs."""

    f1: float
    label_f1: float
    kappa: float
    mean_iou: float
    n_matched: int
    n_boxes: int


def box_agreement(
    frame: pd.DataFrame, iou_threshold: float = 0.5, box_format: Literal["xyxy", "xywh"] = "xyxy"
) -> BoxAgreement:
    """Box agreement of a long frame ``task, worker, x1, y1, x2, y2, label`` (or
    ``x, y, w, h`` with ``box_format="xywh"``, as in COCO), summed over all
    annotator pairs of all tasks."""
    coords = ["x1", "y1", "x2", "y2"] if box_format == "xyxy" else ["x", "y", "w", "h"]
    if box_format not in ("xyxy", "xywh"):
        raise InvalidInput(f"box_format must be 'xyxy' or 'xywh', got {box_format!r}")

    def to_xyxy(boxes: np.ndarray) -> np.ndarray:
        if box_format == "xywh":
            boxes[:, 2:] += boxes[:, :2]
        return boxes

    return BoxAgreement(*matched_agreement(frame, coords, match_boxes, iou_threshold, to_xyxy))


Matcher = Callable[[np.ndarray, np.ndarray, float], tuple[np.ndarray, np.ndarray, np.ndarray]]


def matched_agreement(
    frame: pd.DataFrame,
    columns: Sequence[str],
    match: Matcher,
    iou_threshold: float,
    prepare: Callable[[np.ndarray], np.ndarray] = lambda boxes: boxes,
) -> tuple[float, float, float, float, int, int]:
    """Region agreement summed over every annotator pair of every task of a long
    frame ``task, worker, <columns>, label``: ``(f1, label_f1, kappa, mean_iou,
    n_matched, n_regions)`` of the pairs ``match`` keeps at ``iou_threshold``
    (rows with ``columns[0]`` missing only say that a worker saw the task)."""
    matched = same_label = total = 0
    ious: list[np.ndarray] = []
    label_a: list[np.ndarray] = []
    label_b: list[np.ndarray] = []
    for rows_a, rows_b in _pairs_per_task(frame, (*columns, "label")):
        regions = []
        for rows in (rows_a, rows_b):
            rows = rows[rows[columns[0]].notna()]
            values = prepare(rows[list(columns)].to_numpy(dtype=float))
            regions.append((values, rows["label"].to_numpy(dtype=object)))
        r, c, iou = match(regions[0][0], regions[1][0], iou_threshold)
        matched += len(r)
        same_label += int((regions[0][1][r] == regions[1][1][c]).sum())
        total += len(regions[0][0]) + len(regions[1][0])
        ious.append(iou)
        label_a.append(regions[0][1][r])
        label_b.append(regions[1][1][c])
    all_iou = np.concatenate(ious) if ious else np.zeros(0)
    la = np.concatenate(label_a) if label_a else np.zeros(0, dtype=object)
    lb = np.concatenate(label_b) if label_b else np.zeros(0, dtype=object)
    return (
        1.0 if total == 0 else 2.0 * matched / total,
        1.0 if total == 0 else 2.0 * same_label / total,
        cohen_kappa(la, lb) if len(la) else float("nan"),
        float(all_iou.mean()) if len(all_iou) else float("nan"),
        matched,
        total,
    )


def oks(
    keypoints_a: np.ndarray,
    keypoints_b: np.ndarray,
    area: float | np.ndarray,
    sigmas: np.ndarray = COCO_PERSON_SIGMAS,
) -> np.ndarray:
    """Object keypoint similarity between instances (COCO ``computeOks``).

    ``keypoints_*``: ``(n, K, 3)`` or ``(K, 3)`` arrays of ``x, y, v``; a keypoint
    counts when both annotators marked it (``v > 0``). ``area`` is ``s^2`` of each
    instance of ``a`` (scalar or ``(n,)``). Returns the ``(n_a, n_b)`` OKS matrix
    (a scalar for single instances); ``nan`` where no keypoint is shared.
    """
    a = np.asarray(keypoints_a, dtype=float)
    b = np.asarray(keypoints_b, dtype=float)
    single = a.ndim == 2 and b.ndim == 2
    a, b = a.reshape(-1, *a.shape[-2:]), b.reshape(-1, *b.shape[-2:])
    sig = np.asarray(sigmas, dtype=float)
    if a.shape[1:] != (len(sig), 3) or b.shape[1:] != (len(sig), 3):
        raise InvalidInput(f"keypoints must be (..., {len(sig)}, 3) for {len(sig)} sigmas")
    s2 = np.broadcast_to(np.asarray(area, dtype=float), (a.shape[0],))[:, None, None]
    d2 = ((a[:, None, :, :2] - b[None, :, :, :2]) ** 2).sum(axis=-1)
    e = d2 / (2.0 * sig) ** 2 / (s2 + np.spacing(1)) / 2.0
    visible = (a[:, None, :, 2] > 0) & (b[None, :, :, 2] > 0)
    n_visible = visible.sum(axis=-1)
    score = np.where(visible, np.exp(-e), 0.0).sum(axis=-1)
    result = np.divide(score, n_visible, out=np.full(score.shape, np.nan), where=n_visible > 0)
    similarity: np.ndarray = result[0, 0] if single else result
    return similarity


@dataclass(frozen=True)
class KeypointAgreement:
    """Mean OKS of Hungarian-matched instances and F1 at ``OKS >= threshold``."""

    mean_oks: float
    f1: float
    n_matched: int
    n_instances: int


def keypoint_agreement(
    keypoints_a: np.ndarray,
    keypoints_b: np.ndarray,
    area: float | np.ndarray,
    sigmas: np.ndarray = COCO_PERSON_SIGMAS,
    oks_threshold: float = 0.5,
) -> KeypointAgreement:
    """Agreement of two annotators' keypoint instances on one image: instances
    are matched one to one by OKS (Hungarian method); matched pairs under
    ``oks_threshold`` count as disagreements."""
    sim = np.atleast_2d(oks(keypoints_a, keypoints_b, area, sigmas))
    sim = np.nan_to_num(sim, nan=0.0)
    n_total = sum(
        np.asarray(k).reshape(-1, len(sigmas), 3).shape[0] for k in (keypoints_a, keypoints_b)
    )
    if sim.size == 0:
        return KeypointAgreement(float("nan"), _f1(0, n_total, 0), 0, n_total)
    rows, cols = linear_sum_assignment(sim, maximize=True)
    matched = sim[rows, cols]
    good = int((matched >= oks_threshold).sum())
    return KeypointAgreement(
        mean_oks=float(matched.mean()),
        f1=2.0 * good / n_total,
        n_matched=good,
        n_instances=n_total,
    )
