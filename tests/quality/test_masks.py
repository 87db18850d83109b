"""Mask agreement and aggregation, with IoU checked against pycocotools on the
same RLEs and Dice against scipy's boolean distance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pycocotools import mask as cocomask
from scipy.spatial.distance import dice as scipy_dice

from labelwell.formats._geometry import mask_to_rle, rle_to_mask
from labelwell.quality import masks


def region(mask: np.ndarray, label: str = "leaf") -> dict:
    return {"label": label, "rle": mask_to_rle(mask)}


def blobs(seed: int, n: int = 4, shape=(60, 80)) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        m = np.zeros(shape, bool)
        y, x = rng.integers(0, shape[0] - 20), rng.integers(0, shape[1] - 20)
        m[y : y + rng.integers(5, 20), x : x + rng.integers(5, 20)] = True
        out.append(m)
    return out


def coco(rles):
    return [{"size": r["size"], "counts": r["counts"].encode()} for r in rles]


def test_iou_matrix_matches_pycocotools():
    a = [region(m) for m in blobs(1, 5)]
    b = [region(m) for m in blobs(2, 3)]
    ours = masks.iou_matrix(a, b)
    ref = cocomask.iou(coco([r["rle"] for r in a]), coco([r["rle"] for r in b]), [0, 0, 0])
    np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_iou_and_dice_of_two_masks():
    a, b = blobs(3, 2)
    assert masks.iou(a, b) == pytest.approx(
        cocomask.iou(coco([mask_to_rle(a)]), coco([mask_to_rle(b)]), [0])[0, 0]
    )
    assert masks.dice(a, b) == pytest.approx(1 - scipy_dice(a.ravel(), b.ravel()))
    empty = np.zeros_like(a)
    assert masks.iou(empty, empty) == 1.0 and masks.dice(empty, empty) == 1.0


def test_matching_is_hungarian_and_agreement_counts_labels():
    ms = blobs(4, 3)
    a = [region(ms[0], "leaf"), region(ms[1], "leaf"), region(ms[2], "sky")]
    b = [region(ms[2], "leaf"), region(ms[0], "leaf")]  # one relabelled, one missing
    rows, cols, found = masks.match_masks(a, b)
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 1), (2, 0)]
    np.testing.assert_allclose(found, 1.0)
    agreement = masks.pair_agreement(a, b)
    assert agreement.n_matched == 2 and agreement.n_masks == 5
    assert agreement.f1 == pytest.approx(4 / 5) and agreement.label_f1 == pytest.approx(2 / 5)
    assert agreement.mean_iou == pytest.approx(1.0) and agreement.mean_dice == pytest.approx(1.0)


def test_agreement_of_a_long_frame():
    a, b = blobs(5, 2)
    frame = pd.DataFrame(
        [
            {"task": 1, "worker": "w1", "rle": mask_to_rle(a), "label": "leaf"},
            {"task": 1, "worker": "w2", "rle": mask_to_rle(a), "label": "leaf"},
            {"task": 2, "worker": "w1", "rle": mask_to_rle(b), "label": "leaf"},
            {"task": 2, "worker": "w2", "rle": None, "label": None},
        ]
    )
    got = masks.mask_agreement(frame)
    assert got.n_masks == 3 and got.n_matched == 1 and got.f1 == pytest.approx(2 / 3)


def test_majority_vote_of_three_answers():
    base = np.zeros((40, 40), bool)
    base[10:30, 10:30] = True
    wider, narrower = base.copy(), base.copy()
    wider[10:30, 30:32] = True
    narrower[10:30, 10:12] = False
    stray = np.zeros_like(base)
    stray[0:4, 0:4] = True
    answers = [
        [region(base), region(stray, "sky")],
        [region(wider)],
        [region(narrower, "sky")],
    ]
    fused = masks.aggregate_masks(answers)
    assert len(fused) == 1  # the stray square was drawn by one of three
    got = rle_to_mask(fused[0]["rle"]).astype(bool)
    expected = (base.astype(int) + wider + narrower) >= 2
    assert np.array_equal(got, expected) and fused[0]["label"] == "leaf"
    assert masks.mean_pairwise_iou([answers[0][:1], answers[1]]) == pytest.approx(
        masks.iou(base, wider)
    )
