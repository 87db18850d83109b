import numpy as np
import pandas as pd
import pytest

from labelwell.errors import InvalidInput
from labelwell.quality.boxes import aggregate_boxes, iou

COLS = ["task", "worker", "x_min", "y_min", "x_max", "y_max"]


def test_iou():
    box = np.array([0.0, 0, 10, 10])
    others = np.array([[0.0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])
    assert iou(box, others).tolist() == pytest.approx([1.0, 50 / 150, 0.0])


def test_clusters_fuse_and_drop_minority_boxes():
    boxes = pd.DataFrame(
        [
            ("img", "a", 0, 0, 10, 10),
            ("img", "b", 2, 0, 12, 10),
            ("img", "c", 1, 0, 11, 10),
            ("img", "a", 50, 50, 60, 60),  # drawn by one annotator out of three
        ],
        columns=COLS,
    )
    out = aggregate_boxes(boxes)
    assert len(out) == 1
    assert out.loc[0, ["x_min", "y_min", "x_max", "y_max"]].tolist() == pytest.approx(
        [1, 0, 11, 10]
    )
    assert out.loc[0, "votes"] == 3 and out.loc[0, "score"] == pytest.approx(1.0)
    assert len(aggregate_boxes(boxes, min_votes=1)) == 2


def test_confidence_weighting_labels_and_one_box_per_annotator():
    boxes = pd.DataFrame(
        [
            ("img", "a", 0, 0, 10, 10, "car", 0.9),
            ("img", "b", 3, 0, 13, 10, "car", 0.1),
            ("img", "b", 1, 0, 11, 10, "car", 0.5),  # same annotator: separate cluster
            ("img", "a", 0, 0, 10, 10, "dog", 1.0),
        ],
        columns=[*COLS, "label", "score"],
    )
    out = aggregate_boxes(boxes, min_votes=2)
    assert out["label"].tolist() == ["car"]
    expected = (0.9 * 0 + 0.5 * 1) / 1.4
    assert out.loc[0, "x_min"] == pytest.approx(expected)
    assert out.loc[0, "score"] == pytest.approx(0.7)


def test_invalid_boxes():
    bad = pd.DataFrame([("img", "a", 10, 0, 0, 10)], columns=COLS)
    with pytest.raises(InvalidInput, match="row 0"):
        aggregate_boxes(bad)
