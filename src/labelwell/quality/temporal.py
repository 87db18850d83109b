"""Agreement and aggregation for segments in time (audio and video regions).

* **Temporal IoU** of two intervals ``[s, e)``: ``|A ∩ B| / |A ∪ B|``, the
  measure of temporal action localisation (THUMOS'14 and ActivityNet evaluation,
  Caba Heilbron et al. 2015, "ActivityNet: A large-scale video benchmark for human
  activity understanding", CVPR; ``segment_iou`` in the ActivityNet toolkit).
* **Segment matching**: one-to-one pairs maximising total IoU with the Hungarian
  method (Kuhn 1955, ``scipy.optimize.linear_sum_assignment``), kept at
  ``IoU >= threshold``; agreement is the F1 of the matching, as for boxes in
  :mod:`labelwell.quality.structured_agreement`.
* **Diarization error rate**: ``DER = (false alarm + missed speech + speaker
  confusion) / total reference speech``, with the reference and hypothesis
  speakers mapped one to one so that their overlap in time is largest (NIST Rich
  Transcription 2009 evaluation plan, section 6.1; ``DiarizationErrorRate`` of
  pyannote.metrics, Bredin 2017, "pyannote.metrics: a toolkit for reproducible
  evaluation, diagnostic, and error analysis of speaker diarization systems",
  Interspeech). A ``collar`` removes that many seconds either side of every
  reference boundary from scoring, as NIST's ``md-eval`` does (pyannote's
  ``collar`` is the total width, twice ours). A speaker whose own segments
  overlap talks once there (pyannote.metrics would count it twice). Between two
  annotators (neither one the truth) it is not symmetric; :func:`diarization_agreement`
  reports ``1 - DER`` averaged over both directions.
* **Aggregation**: each instant takes the label that more than ``threshold`` of
  the task's annotators cover it with, and runs of instants with one winner
  become segments: the position-level vote of :func:`labelwell.quality.spans.
  aggregate_spans` on a continuous axis (elementary intervals between all
  boundaries instead of characters).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from labelwell.errors import InvalidInput
from labelwell.quality._frame import check_frame
from labelwell.quality.structured_agreement import (
    _f1,
    _pairs_per_task,
    answered_lists,
    match_by_iou,
)

#: a segment ``(start, end, label)`` in seconds, end exclusive
Segment = tuple[float, float, Hashable]
SEGMENT_COLUMNS = ("task", "worker", "start", "end", "label")


def _intervals(segments: Sequence[Segment]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if len(segments) == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=object)
    start, end, label = zip(*segments, strict=True)
    s, e = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    if (e < s).any():
        raise InvalidInput("a segment ends before it starts", field="end")
    labels = np.empty(len(label), dtype=object)
    labels[:] = list(label)
    return s, e, labels


def temporal_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of ``[start, end]`` rows, shape ``(len(a), len(b))``."""
    a = np.asarray(a, dtype=float).reshape(-1, 2)
    b = np.asarray(b, dtype=float).reshape(-1, 2)
    inter = np.minimum(a[:, None, 1], b[None, :, 1]) - np.maximum(a[:, None, 0], b[None, :, 0])
    inter = np.clip(inter, 0, None)
    union = (a[:, 1] - a[:, 0])[:, None] + (b[:, 1] - b[:, 0])[None, :] - inter
    iou: np.ndarray = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return iou


def match_segments(
    a: Sequence[Segment], b: Sequence[Segment], iou_threshold: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hungarian matching of two annotators' segments by IoU (labels aside);
    ``(rows, cols, iou)`` of the pairs with ``IoU >= iou_threshold``."""
    sa, ea, _ = _intervals(a)
    sb, eb, _ = _intervals(b)
    iou = temporal_iou(np.stack([sa, ea], axis=1), np.stack([sb, eb], axis=1))
    return match_by_iou(iou, iou_threshold)


@dataclass(frozen=True)
class SegmentAgreement:
    """``f1`` of the IoU matching (where), ``label_f1`` also requiring equal
    labels (what), ``mean_iou`` of the matched pairs, micro-averaged over every
    annotator pair of every task."""

    f1: float
    label_f1: float
    mean_iou: float
    n_matched: int
    n_segments: int


def segment_agreement(frame: pd.DataFrame, iou_threshold: float = 0.5) -> SegmentAgreement:
    """Agreement of a long frame ``task, worker, start, end, label``; a worker who
    marked nothing on a task needs a row with ``start`` missing."""
    matched = labelled = total = 0
    ious: list[float] = []
    for rows_a, rows_b in _pairs_per_task(frame, ("start", "end", "label")):
        pair = []
        for rows in (rows_a, rows_b):
            rows = rows[rows["start"].notna()]
            pair.append(list(zip(rows["start"], rows["end"], rows["label"], strict=True)))
        r, c, iou = match_segments(pair[0], pair[1], iou_threshold)
        la, lb = _intervals(pair[0])[2], _intervals(pair[1])[2]
        matched += len(r)
        labelled += int(np.sum(la[r] == lb[c])) if len(r) else 0
        total += len(pair[0]) + len(pair[1])
        ious.extend(iou.tolist())
    return SegmentAgreement(
        f1=1.0 if total == 0 else 2.0 * matched / total,
        label_f1=1.0 if total == 0 else 2.0 * labelled / total,
        mean_iou=float(np.mean(ious)) if ious else float("nan"),
        n_matched=matched,
        n_segments=total,
    )


def segments_f1(a: Sequence[Segment], b: Sequence[Segment], iou_threshold: float = 0.5) -> float:
    """F1 of two annotators' segments matched at ``IoU >= iou_threshold`` with equal labels."""
    r, c, _ = match_segments(a, b, iou_threshold)
    la, lb = _intervals(a)[2], _intervals(b)[2]
    return _f1(int(np.sum(la[r] == lb[c])) if len(r) else 0, len(a), len(b))


@dataclass(frozen=True)
class DiarizationError:
    """Seconds of each error and of reference speech; ``der`` their ratio, and
    ``mapping`` reference speaker -> hypothesis speaker."""

    der: float
    false_alarm: float
    missed: float
    confusion: float
    total: float
    mapping: dict[Hashable, Hashable]


def diarization_error(
    reference: Sequence[Segment], hypothesis: Sequence[Segment], collar: float = 0.0
) -> DiarizationError:
    """DER of ``hypothesis`` against ``reference``, both ``(start, end, speaker)``."""
    rs, re_, rl = _intervals(reference)
    hs, he, hl = _intervals(hypothesis)
    bounds = [rs, re_, hs, he]
    if collar > 0:
        bounds += [rs - collar, rs + collar, re_ - collar, re_ + collar]
    edges = np.unique(np.concatenate(bounds)) if len(rs) + len(hs) else np.zeros(0)
    if len(edges) < 2:
        return DiarizationError(0.0, 0.0, 0.0, 0.0, 0.0, {})
    left, right = edges[:-1], edges[1:]
    mid = (left + right) / 2
    dur = right - left
    if collar > 0 and len(rs):
        points = np.concatenate([rs, re_])
        near = (np.abs(mid[:, None] - points[None, :]) < collar).any(axis=1)
        dur = np.where(near, 0.0, dur)
    r_idx, r_speakers = pd.factorize(pd.Series(rl, dtype=object))
    h_idx, h_speakers = pd.factorize(pd.Series(hl, dtype=object))
    # which speakers talk in each elementary interval (a speaker counts once)
    ref_on = _active(mid, rs, re_, r_idx, len(r_speakers))
    hyp_on = _active(mid, hs, he, h_idx, len(h_speakers))
    n_ref, n_hyp = ref_on.sum(axis=1), hyp_on.sum(axis=1)
    mapping: dict[Hashable, Hashable] = {}
    correct = np.zeros(len(mid))
    if len(r_speakers) and len(h_speakers):
        overlap = (ref_on * dur[:, None]).T.astype(float) @ hyp_on.astype(float)
        rows, cols = linear_sum_assignment(overlap, maximize=True)
        for r, c in zip(rows, cols, strict=True):
            if overlap[r, c] > 0:
                mapping[r_speakers[int(r)]] = h_speakers[int(c)]
                correct += ref_on[:, r] & hyp_on[:, c]
    total = float(np.sum(dur * n_ref))
    missed = float(np.sum(dur * np.maximum(0, n_ref - n_hyp)))
    false_alarm = float(np.sum(dur * np.maximum(0, n_hyp - n_ref)))
    confusion = float(np.sum(dur * (np.minimum(n_ref, n_hyp) - correct)))
    errors = missed + false_alarm + confusion
    der = errors / total if total > 0 else (0.0 if errors == 0 else float("inf"))
    return DiarizationError(der, false_alarm, missed, confusion, total, mapping)


def _active(mid: np.ndarray, s: np.ndarray, e: np.ndarray, who: np.ndarray, n: int) -> np.ndarray:
    """``[interval, speaker]``: is the speaker's segment over the interval's
    midpoint (``mid`` sorted)? A difference array over the sorted midpoints."""
    diff = np.zeros((len(mid) + 1, n), dtype=np.int64)
    np.add.at(diff, (np.searchsorted(mid, s, side="right"), who), 1)
    np.add.at(diff, (np.searchsorted(mid, e, side="left"), who), -1)
    on: np.ndarray = np.cumsum(diff, axis=0)[:-1] > 0
    return on


def diarization_agreement(a: Sequence[Segment], b: Sequence[Segment], collar: float = 0.0) -> float:
    """``1 - DER`` of ``b`` against ``a`` and of ``a`` against ``b``, averaged
    (below 0 when the errors exceed the speech); 1 when neither has speech."""
    forward = diarization_error(a, b, collar).der
    backward = diarization_error(b, a, collar).der
    return 1.0 - (forward + backward) / 2


def aggregate_segments(
    segments: pd.DataFrame, threshold: float = 0.5, annotators: pd.Series | None = None
) -> pd.DataFrame:
    """Consensus segments of a long frame ``task, worker, start, end, label``.

    ``annotators`` (task -> number of annotators) counts those who marked
    nothing; by default the distinct workers per task. Returns ``task, start,
    end, label, support`` (``support``: the duration-weighted share of
    annotators agreeing over the segment)."""
    check_frame(segments, SEGMENT_COLUMNS)
    if not 0 <= threshold < 1:
        raise InvalidInput("threshold must be in [0, 1)")
    out: list[dict[str, object]] = []
    for task, rows in segments.groupby("task", sort=False):
        s = rows["start"].to_numpy(dtype=float)
        e = rows["end"].to_numpy(dtype=float)
        if (s < 0).any() or (e <= s).any():
            raise InvalidInput(f"task {task!r} has a segment with start < 0 or end <= start")
        n = rows["worker"].nunique() if annotators is None else float(annotators[task])
        labels, k = np.unique(rows["label"].astype(str), return_inverse=True)
        edges = np.unique(np.concatenate([s, e]))
        left, right = edges[:-1], edges[1:]
        mid = (left + right) / 2
        share = np.zeros((len(labels), len(mid)))
        for w_rows in rows.groupby("worker", sort=False).indices.values():
            covered = np.zeros((len(labels), len(mid)), dtype=bool)
            for i in w_rows:
                covered[k[i], (mid > s[i]) & (mid < e[i])] = True
            share += covered
        share /= n
        best = share.argmax(axis=0)
        best_share = share[best, np.arange(len(mid))]
        winner = np.where(best_share > threshold, best, -1)
        run = 0
        while run < len(mid):
            end = run
            while (
                end + 1 < len(mid)
                and winner[end + 1] == winner[run]
                and right[end] == left[end + 1]
            ):
                end += 1
            if winner[run] >= 0:
                width = right[run : end + 1] - left[run : end + 1]
                out.append(
                    {
                        "task": task,
                        "start": float(left[run]),
                        "end": float(right[end]),
                        "label": labels[winner[run]],
                        "support": float(np.sum(best_share[run : end + 1] * width) / width.sum()),
                    }
                )
            run = end + 1
    return pd.DataFrame(out, columns=["task", "start", "end", "label", "support"])


def segments_consensus(
    answers: Sequence[Sequence[dict[str, object]] | None], iou_threshold: float = 0.5
) -> list[dict[str, object]] | None:
    """The consensus of several annotators' time regions ``{"id", "label", "start",
    "end", "speaker"?, "text"?}`` when they agree within a tolerance, else None.

    They agree when every annotator's regions match the first annotator's one to
    one (:func:`match_segments`, ``IoU >= iou_threshold``) with equal labels. Each
    consensus region takes the median start and end of its matched regions, the
    first annotator's id, and a speaker or text only where all of them give the
    same one (speaker names are each annotator's own words)."""
    lists = answered_lists(answers)
    if not lists:
        return None if lists is None else []
    anchor = lists[0]

    def triples(regions: list[dict[str, object]]) -> list[Segment]:
        return [(float(r["start"]), float(r["end"]), str(r["label"])) for r in regions]  # type: ignore[arg-type]

    groups: list[list[dict[str, object]]] = [[r] for r in anchor]
    for other in lists[1:]:
        if len(other) != len(anchor):
            return None
        rows, cols, _ = match_segments(triples(anchor), triples(other), iou_threshold)
        if len(rows) != len(anchor):
            return None
        for r, c in zip(rows, cols, strict=True):
            if other[c]["label"] != anchor[r]["label"]:
                return None
            groups[r].append(other[c])
    out = []
    for group in groups:
        region: dict[str, object] = {
            "id": group[0]["id"],
            "label": group[0]["label"],
            "start": float(np.median([float(g["start"]) for g in group])),  # type: ignore[arg-type]
            "end": float(np.median([float(g["end"]) for g in group])),  # type: ignore[arg-type]
        }
        for key in ("speaker", "text"):
            values = {g.get(key) for g in group}
            if len(values) == 1 and None not in values:
                region[key] = values.pop()
        out.append(region)
    return out
