"""Agreement between annotators on video tracks (temporal segments of a video
are time regions: :mod:`labelwell.quality.temporal`).

* **CLEAR MOT** (Bernardin & Stiefelhagen 2008, "Evaluating multiple object
  tracking performance: the CLEAR MOT metrics", EURASIP JIVP, sec. 2.1): one
  annotator's tracks are the reference, the other's the hypothesis. Frame by
  frame, a pair matched on the previous frame stays matched while its boxes
  still overlap (IoU >= ``threshold``); the others are matched one to one
  (Hungarian method, cost ``1 - IoU``). A reference track matched to another
  hypothesis than last time is an identity switch.
  ``MOTA = 1 - (FN + FP + IDSW) / GT`` (eq. 5) and
  ``MOTP = sum (1 - IoU) / matches`` (eq. 4 with the IoU distance, as the
  ``motmetrics`` package reports it).
* **IDF1** (Ristani, Solera, Zou, Cucchiara & Tomasi 2016, "Performance measures
  and a data set for multi-target, multi-camera tracking", ECCV workshops,
  sec. 4): whole tracks matched one to one to maximise the frames they share
  (IoU >= ``threshold``), ``IDF1 = 2 IDTP / (GT + HYP)``. IDF1 is symmetric, so it
  is the pairwise agreement; MOTA depends on which side is the reference.

Tracks are ``{"track_id", "label", "keyframes"}`` as the ``video_track`` control
stores them; their box on each frame comes from
:func:`labelwell.media.video.interpolate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from labelwell.errors import InvalidInput
from labelwell.media.video import interpolate

Track = Mapping[str, Any]
_UNMATCHED = 1e9


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of boxes ``a (n, 4)`` and ``b (m, 4)`` as ``x, y, w, h``: ``(n, m)``."""
    ax2, ay2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx2, by2 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    w = np.minimum(ax2[:, None], bx2[None]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(ay2[:, None], by2[None]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(w, 0, None) * np.clip(h, 0, None)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _expand(tracks: Sequence[Track], frames: int) -> np.ndarray:
    """``(tracks, frames, 5)``: box and presence of each track on each frame."""
    out = np.zeros((len(tracks), frames, 5))
    for i, t in enumerate(tracks):
        keyframes = t.get("keyframes")
        if not isinstance(keyframes, list):
            raise InvalidInput(f"track {i}: keyframes must be a list", field="keyframes")
        out[i] = interpolate(keyframes, frames)[:, :5]
    return out


@dataclass(frozen=True)
class TrackAgreement:
    """CLEAR MOT and identity measures of a hypothesis against a reference."""

    mota: float
    motp: float
    idf1: float
    matches: int
    false_negatives: int
    false_positives: int
    id_switches: int
    reference_boxes: int
    hypothesis_boxes: int


def compare_tracks(
    reference: Sequence[Track],
    hypothesis: Sequence[Track],
    frames: int,
    threshold: float = 0.5,
    by_label: bool = True,
) -> TrackAgreement:
    """MOTA, MOTP and IDF1 of ``hypothesis`` against ``reference`` over frames
    ``0..frames-1``; with ``by_label`` only tracks of the same label match."""
    if not 0 < threshold <= 1:
        raise InvalidInput("threshold must be in (0, 1]", field="threshold")
    ref, hyp = _expand(reference, frames), _expand(hypothesis, frames)
    ref_labels = np.array([str(t.get("label")) for t in reference], dtype=object)
    hyp_labels = np.array([str(t.get("label")) for t in hypothesis], dtype=object)
    same = (
        ref_labels[:, None] == hyp_labels[None, :]
        if by_label
        else np.ones((len(reference), len(hypothesis)), bool)
    )
    last: dict[int, int] = {}  # reference track -> hypothesis it was last matched to
    previous: dict[int, int] = {}  # pairs matched on the previous frame
    fn = fp = switches = matched = 0
    distance = 0.0
    shared = np.zeros((len(reference), len(hypothesis)))  # IDTP counts per pair
    for f in range(frames):
        r = np.flatnonzero(ref[:, f, 4]) if len(reference) else np.zeros(0, int)
        h = np.flatnonzero(hyp[:, f, 4]) if len(hypothesis) else np.zeros(0, int)
        if len(r) and len(h):
            iou = _iou(ref[r, f, :4], hyp[h, f, :4])
            ok = (iou >= threshold) & same[np.ix_(r, h)]
            shared[np.ix_(r, h)] += ok
        else:
            iou = np.zeros((len(r), len(h)))
            ok = iou.astype(bool)
        pairs: dict[int, int] = {}
        free_r, free_h = np.ones(len(r), bool), np.ones(len(h), bool)
        col = {int(x): j for j, x in enumerate(h)}
        for i, o in enumerate(r):  # 1. keep last frame's correspondences that still hold
            j = col.get(previous.get(int(o), -1))
            if j is not None and ok[i, j]:
                pairs[int(o)] = int(h[j])
                free_r[i] = free_h[j] = False
        ri, hj = np.flatnonzero(free_r), np.flatnonzero(free_h)
        if len(ri) and len(hj):  # 2. match the rest by IoU
            sub = ok[np.ix_(ri, hj)]
            cost = np.where(sub, 1.0 - iou[np.ix_(ri, hj)], _UNMATCHED)
            rows, cols = linear_sum_assignment(cost)
            for a, b in zip(rows, cols, strict=True):
                if sub[a, b]:
                    o, x = int(r[ri[a]]), int(h[hj[b]])
                    if o in last and last[o] != x:
                        switches += 1
                    pairs[o] = x
        for o, x in pairs.items():
            last[o] = x
            distance += 1.0 - float(iou[np.flatnonzero(r == o)[0], col[x]])
        matched += len(pairs)
        fn += len(r) - len(pairs)
        fp += len(h) - len(pairs)
        previous = pairs
    n_ref, n_hyp = int(ref[:, :, 4].sum()), int(hyp[:, :, 4].sum())
    if shared.size:
        rows, cols = linear_sum_assignment(shared, maximize=True)
        idtp = float(shared[rows, cols].sum())
    else:
        idtp = 0.0
    return TrackAgreement(
        mota=1.0 - (fn + fp + switches) / n_ref if n_ref else float("nan"),
        motp=distance / matched if matched else float("nan"),
        idf1=2 * idtp / (n_ref + n_hyp) if n_ref + n_hyp else 1.0,
        matches=matched,
        false_negatives=fn,
        false_positives=fp,
        id_switches=switches,
        reference_boxes=n_ref,
        hypothesis_boxes=n_hyp,
    )


def mean_pairwise_idf1(answers: Sequence[Sequence[Track]], frames: int) -> float:
    """Mean IDF1 over every pair of annotators' tracks of one video."""
    return pairwise_idf1(answers, frames)[0]


def pairwise_idf1(answers: Sequence[Sequence[Track]], frames: int) -> tuple[float, int]:
    """Mean IDF1 over every pair of answers, and the medoid: the answer with the
    highest mean IDF1 to the others (the consensus when they agree; a medoid, not
    an average, keeps the track ids and keyframes one annotator made)."""
    n = len(answers)
    if n < 2:
        return 1.0, 0
    score = np.eye(n)
    for i, j in combinations(range(n), 2):
        score[i, j] = score[j, i] = compare_tracks(answers[i], answers[j], frames).idf1
    pairs = score[np.triu_indices(n, 1)]
    return float(pairs.mean()), int(np.argmax(score.sum(axis=1)))

