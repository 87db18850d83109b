import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from labelwell.quality.structured_agreement import (
    COCO_PERSON_SIGMAS,
    box_agreement,
    box_iou,
    keypoint_agreement,
    match_boxes,
    oks,
    span_agreement,
    span_f1,
    span_matches,
)


def test_span_exact_and_overlap_f1():
    a = [(0, 5, "PER"), (10, 15, "ORG"), (20, 25, "LOC")]
    b = [(0, 5, "PER"), (11, 16, "ORG"), (20, 25, "PER"), (30, 31, "LOC")]
    assert span_matches(a, b, "exact") == 1
    assert span_f1(a, b, "exact") == pytest.approx(2 * 1 / 7)
    # (10,15)~(11,16) same label overlaps; (20,25) LOC vs PER does not count
    assert span_matches(a, b, "overlap") == 2
    assert span_f1(a, b, "overlap") == pytest.approx(2 * 2 / 7)
    assert span_f1([], [], "overlap") == 1.0
    assert span_f1(a, [], "exact") == 0.0


def test_overlap_matching_is_one_to_one():
    a = [(0, 10, "X")]
    b = [(0, 4, "X"), (5, 10, "X")]
    assert span_matches(a, b, "overlap") == 1
    # adjacent spans (end exclusive) do not overlap
    assert span_matches([(0, 5, "X")], [(5, 9, "X")], "overlap") == 0


def test_span_agreement_frame_sums_over_pairs():
    frame = pd.DataFrame(
        [
            ("t1", "a", 0, 5, "PER"),
            ("t1", "b", 0, 5, "PER"),
            ("t1", "c", 1, 5, "PER"),
            ("t2", "a", 3, 8, "ORG"),
            ("t2", "b", None, None, None),
        ],
        columns=["task", "worker", "start", "end", "label"],
    )
    result = span_agreement(frame)
    # t1: pairs ab (1 exact, 1 overlap), ac (0, 1), bc (0, 1), 6 spans; t2: ab 0, 1 span
    assert result.n_pairs == 4
    assert result.n_spans == 7
    assert result.exact_f1 == pytest.approx(2 * 1 / 7)
    assert result.overlap_f1 == pytest.approx(2 * 3 / 7)


def test_box_iou_literal():
    iou = box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3], [0, 0, 2, 2], [5, 5, 6, 6]])
    np.testing.assert_allclose(iou, [[1 / 7, 1.0, 0.0]])


def test_hungarian_beats_greedy_matching():
    # greedy takes the best pair a0-b0 (IoU .818) and leaves a1-b1 at .333 (< .5);
    # the optimal assignment a0-b1 + a1-b0 keeps two pairs at IoU .667
    a = np.array([[0, 0, 10, 10], [3, 0, 13, 10]], dtype=float)
    b = np.array([[1, 0, 11, 10], [-2, 0, 8, 10]], dtype=float)
    rows, cols, iou = match_boxes(a, b, iou_threshold=0.5)
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 1), (1, 0)]
    np.testing.assert_allclose(iou, [8 / 12, 8 / 12])


def test_box_agreement_f1_and_kappa():
    rows = []
    rng = np.random.default_rng(0)
    labels_a, labels_b = [], []
    for t in range(30):
        x, y = rng.uniform(0, 100, 2)
        la = rng.choice(["car", "person", "dog"])
        lb = la if rng.random() < 0.7 else rng.choice(["car", "person", "dog"])
        rows.append((t, "a", x, y, x + 20, y + 20, la))
        rows.append((t, "b", x + 1, y + 1, x + 21, y + 21, lb))  # IoU 0.82
        labels_a.append(la)
        labels_b.append(lb)
        if t % 10 == 0:  # a box only annotator b drew
            rows.append((t, "b", 300, 300, 310, 310, "car"))
    frame = pd.DataFrame(rows, columns=["task", "worker", "x1", "y1", "x2", "y2", "label"])
    result = box_agreement(frame)
    assert result.n_matched == 30 and result.n_boxes == 63
    assert result.f1 == pytest.approx(60 / 63)
    same = sum(a == b for a, b in zip(labels_a, labels_b, strict=True))
    assert result.label_f1 == pytest.approx(2 * same / 63)
    assert result.kappa == pytest.approx(cohen_kappa_score(labels_a, labels_b), abs=1e-12)
    assert result.mean_iou == pytest.approx(361 / 439)
    xywh = frame.assign(w=frame.x2 - frame.x1, h=frame.y2 - frame.y1, x=frame.x1, y=frame.y1)
    assert box_agreement(xywh, box_format="xywh") == result


def test_oks_literal_values():
    k = 3
    sigmas = np.array([0.1, 0.2, 0.05])
    a = np.array([[10, 10, 2], [20, 20, 2], [30, 30, 2]], dtype=float)
    b = a.copy()
    b[0, :2] += [3, 4]  # d^2 = 25
    b[2, 2] = 0  # not labelled by b: ignored
    area = 100.0
    expected = (np.exp(-25 / (2 * area * (2 * 0.1) ** 2)) + 1.0) / 2
    assert oks(a, b, area, sigmas) == pytest.approx(expected, rel=1e-12)
    assert oks(a, a, area, sigmas) == pytest.approx(1.0)
    assert a.shape == (k, 3)


def test_oks_matrix_and_keypoint_agreement_matching():
    rng = np.random.default_rng(1)
    people = rng.uniform(0, 200, size=(3, 17, 2))
    vis = np.full((3, 17, 1), 2.0)
    a = np.concatenate([people, vis], axis=-1)
    b = np.concatenate([people[::-1] + rng.normal(0, 0.5, people.shape), vis], axis=-1)
    sim = oks(a, b, area=np.full(3, 900.0), sigmas=COCO_PERSON_SIGMAS)
    assert sim.shape == (3, 3)
    assert np.argmax(sim, axis=1).tolist() == [2, 1, 0]
    result = keypoint_agreement(a, b, area=900.0)
    assert result.n_matched == 3 and result.n_instances == 6
    assert result.f1 == pytest.approx(1.0)
    assert result.mean_oks == pytest.approx(np.diag(sim[:, ::-1]).mean())
    fewer = keypoint_agreement(a, b[:1], area=900.0)
    assert fewer.n_matched == 1 and fewer.f1 == pytest.approx(2 / 4)
