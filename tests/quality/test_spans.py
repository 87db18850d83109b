import pandas as pd
import pytest

from labelwell.errors import InvalidInput
from labelwell.quality.spans import aggregate_spans


def frame(rows):
    return pd.DataFrame(rows, columns=["task", "worker", "start", "end", "label"])


def test_position_vote_merges_into_spans():
    spans = frame(
        [
            ("doc", "w1", 0, 5, "PER"),
            ("doc", "w2", 1, 5, "PER"),
            ("doc", "w3", 0, 4, "ORG"),
            ("doc", "w1", 10, 12, "LOC"),
            ("doc", "w2", 10, 12, "LOC"),
        ]
    )
    out = aggregate_spans(spans)
    assert out[["start", "end", "label"]].values.tolist() == [[1, 5, "PER"], [10, 12, "LOC"]]
    assert out["support"].tolist() == pytest.approx([2 / 3, 2 / 3])


def test_annotators_without_spans_count():
    spans = frame([("a", "w1", 0, 3, "X"), ("b", "w1", 0, 2, "Y"), ("b", "w2", 0, 2, "Y")])
    assert aggregate_spans(spans)["task"].tolist() == ["a", "b"]
    out = aggregate_spans(spans, annotators=pd.Series({"a": 3, "b": 3}))
    assert out[["task", "start", "end", "label"]].values.tolist() == [["b", 0, 2, "Y"]]


def test_adjacent_labels_split_and_threshold():
    spans = frame([("t", "w1", 0, 2, "A"), ("t", "w1", 2, 4, "B"), ("t", "w2", 0, 4, "A")])
    out = aggregate_spans(spans, threshold=0.4)
    assert out[["start", "end", "label"]].values.tolist() == [[0, 4, "A"]]
    strict = aggregate_spans(spans, threshold=0.6)
    assert strict[["start", "end", "label"]].values.tolist() == [[0, 2, "A"]]


def test_invalid_spans():
    with pytest.raises(InvalidInput, match="row 0"):
        aggregate_spans(frame([("t", "w", 3, 3, "A")]))
    with pytest.raises(InvalidInput):
        aggregate_spans(frame([("t", "w", 0, 3, "A")]), threshold=1.0)
