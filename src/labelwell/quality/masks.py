"""Agreement and aggregation of segmentation masks (COCO RLE regions).

* IoU (Jaccard index, ``|A ∩ B| / |A ∪ B|``) and Dice (Sørensen–Dice,
  ``2 |A ∩ B| / (|A| + |B|)``; Dice 1945, Ecology 26(3)) of binary masks; the
  IoU matrix is what ``pycocotools.mask.iou`` computes with ``iscrowd = 0``.
* Instances of two annotators are matched one to one by maximum total IoU
  (Hungarian method, Kuhn 1955, ``scipy.optimize.linear_sum_assignment``),
  pairs kept at ``IoU >= threshold``, as boxes are in
  :mod:`labelwell.quality.structured_agreement`; agreement is the F1 of the
  matching with mean IoU and Dice of the matched pairs.
* Aggregation: per-pixel majority vote of matched instances (the "majority
  voting" fusion baseline of Warfield, Zou and Wells, "STAPLE", IEEE TMI 23(7),
  2004, section I).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from labelwell.formats._geometry import mask_to_rle, rle_to_mask
from labelwell.quality.structured_agreement import _pairs_per_task, match_by_iou

Region = Mapping[str, Any]


def _stack(regions: Sequence[Region]) -> np.ndarray:
    """Regions' masks as ``(n, h * w)`` bool rows (column-major, as RLE)."""
    if not regions:
        return np.zeros((0, 0), bool)
    return np.stack([rle_to_mask(r["rle"]).astype(bool).T.reshape(-1) for r in regions])


def iou_matrix(a: Sequence[Region], b: Sequence[Region]) -> np.ndarray:
    """Pairwise IoU of two lists of RLE regions, shape ``(len(a), len(b))``."""
    ma, mb = _stack(a), _stack(b)
    if not len(ma) or not len(mb):
        return np.zeros((len(ma), len(mb)))
    inter = ma.astype(np.float64) @ mb.T.astype(np.float64)
    union = ma.sum(1)[:, None] + mb.sum(1)[None, :] - inter
    out: np.ndarray = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return out


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two bool masks (1 when both are empty)."""
    union = int(np.logical_or(a, b).sum())
    return 1.0 if union == 0 else int(np.logical_and(a, b).sum()) / union


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice coefficient of two bool masks (1 when both are empty)."""
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int(np.logical_and(a, b).sum()) / total


def match_masks(
    a: Sequence[Region], b: Sequence[Region], iou_threshold: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hungarian matching maximising total IoU; ``(rows, cols, iou)`` of the pairs
    with ``IoU >= iou_threshold``."""
    return match_by_iou(iou_matrix(a, b), iou_threshold)


@dataclass(frozen=True)
class MaskAgreement:
    """``f1`` of the IoU matching, ``label_f1`` also requiring equal labels,
    ``mean_iou`` and ``mean_dice`` of the matched pairs (``nan`` without any)."""

    f1: float
    label_f1: float
    mean_iou: float
    mean_dice: float
    n_matched: int
    n_masks: int


def pair_agreement(
    a: Sequence[Region], b: Sequence[Region], iou_threshold: float = 0.5
) -> MaskAgreement:
    """Agreement of two annotators' mask regions on one image."""
    return _agreement([(a, b)], iou_threshold)


def mask_agreement(frame: pd.DataFrame, iou_threshold: float = 0.5) -> MaskAgreement:
    """Agreement of a long frame ``task, worker, rle, label`` (one row per
    region; a worker who drew nothing needs a row with ``rle`` missing), summed
    over every annotator pair of every task."""

    def regions(rows: pd.DataFrame) -> list[Region]:
        return [
            {"rle": r, "label": lab}
            for r, lab in zip(rows["rle"], rows["label"], strict=True)
            if isinstance(r, Mapping)
        ]

    pairs = [(regions(a), regions(b)) for a, b in _pairs_per_task(frame, ("rle", "label"))]
    return _agreement(pairs, iou_threshold)


def _agreement(
    pairs: Sequence[tuple[Sequence[Region], Sequence[Region]]], iou_threshold: float
) -> MaskAgreement:
    matched = same = total = 0
    ious: list[float] = []
    dices: list[float] = []
    for a, b in pairs:
        rows, cols, found = match_masks(a, b, iou_threshold)
        matched += len(rows)
        same += sum(a[r]["label"] == b[c]["label"] for r, c in zip(rows, cols, strict=True))
        total += len(a) + len(b)
        ious.extend(found.tolist())
        # Dice = 2 IoU / (1 + IoU) for the same pair
        dices.extend((2 * found / (1 + found)).tolist())
    return MaskAgreement(
        f1=1.0 if total == 0 else 2.0 * matched / total,
        label_f1=1.0 if total == 0 else 2.0 * same / total,
        mean_iou=float(np.mean(ious)) if ious else float("nan"),
        mean_dice=float(np.mean(dices)) if dices else float("nan"),
        n_matched=matched,
        n_masks=total,
    )


def aggregate_masks(
    answers: Sequence[Sequence[Region]], iou_threshold: float = 0.5
) -> list[dict[str, Any]]:
    """One set of regions from several annotators' answers on one image: each
    instance of the first answer is matched (Hungarian, IoU) in every other,
    instances found by more than half of the annotators are kept, with the
    pixels more than half of them marked and their most common label."""
    if not answers:
        return []
    n = len(answers)
    base = list(answers[0])
    groups: list[list[Region]] = [[r] for r in base]
    for other in answers[1:]:
        rows, cols, _ = match_masks(base, other, iou_threshold)
        for r, c in zip(rows, cols, strict=True):
            groups[r].append(other[c])
    out: list[dict[str, Any]] = []
    for group in groups:
        if 2 * len(group) <= n:
            continue
        votes = np.sum([rle_to_mask(r["rle"]).astype(np.int32) for r in group], axis=0)
        fused = 2 * votes > n
        if not fused.any():
            continue
        labels = pd.Series([r["label"] for r in group]).value_counts()
        region = {**group[0], "label": labels.index[0], "rle": mask_to_rle(fused)}
        out.append(region)
    return out


def mean_pairwise_iou(answers: Sequence[Sequence[Region]], iou_threshold: float = 0.5) -> float:
    """The matched F1 weighted by IoU over every pair of answers: 1 when all
    annotators drew the same masks, 0 when nothing overlaps."""
    if len(answers) < 2:
        return 1.0
    scores = []
    for a, b in combinations(answers, 2):
        if not a and not b:
            scores.append(1.0)
            continue
        _, _, found = match_masks(a, b, iou_threshold)
        scores.append(2.0 * float(found.sum()) / (len(a) + len(b)))
    return float(np.mean(scores))
