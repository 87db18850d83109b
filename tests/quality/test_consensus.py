import pandas as pd
import pytest

from labelwell.errors import InvalidInput
from labelwell.quality.consensus import (
    Decision,
    decide,
    decide_all,
    disagreement_by_label,
    guideline_signals,
)


def test_all_agree_accepts():
    d = decide({"a": "cat", "b": "cat", "c": "cat"}, overlap=3, item="i1")
    assert d == Decision("accept", "cat", (), {"a": "cat", "b": "cat", "c": "cat"}, "i1")
    assert d.accepted


def test_two_of_three_accepts_majority_and_reviews_dissenter():
    d = decide({"a": "cat", "b": "dog", "c": "cat"}, overlap=3)
    assert (d.outcome, d.label, d.dissenters) == ("review", "cat", ("b",))
    assert d.accepted and d.votes["b"] == "dog"


def test_all_differ_escalates():
    d = decide({"a": "cat", "b": "dog", "c": "bird"}, overlap=3)
    assert (d.outcome, d.label, d.dissenters) == ("escalate", None, ())
    assert not d.accepted


def test_no_strict_majority_escalates_and_short_items_wait():
    assert decide({"a": 1, "b": 1, "c": 2, "d": 2}).outcome == "escalate"
    assert decide({"a": 1, "b": 1, "c": 2, "d": 3}).outcome == "escalate"  # 2 of 4
    assert decide({"a": 1, "b": 1, "c": 1, "d": 3}).dissenters == ("d",)
    assert decide({"a": 1, "b": 1}, overlap=3).outcome == "pending"
    assert decide({}).outcome == "pending"
    assert decide({"a": 5}).outcome == "accept"
    with pytest.raises(InvalidInput):
        decide({"a": 1}, overlap=0)


def frame() -> pd.DataFrame:
    rows = [
        ("i1", "a", "cat"), ("i1", "b", "cat"), ("i1", "c", "cat"),
        ("i2", "a", "cat"), ("i2", "b", "dog"), ("i2", "c", "cat"),
        ("i3", "a", "cat"), ("i3", "b", "dog"), ("i3", "c", "bird"),
        ("i4", "a", "dog"), ("i4", "b", "dog"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


def test_decide_all_matches_decide():
    table = decide_all(frame(), overlap=3).set_index("task")
    assert table["outcome"].to_dict() == {
        "i1": "accept",
        "i2": "review",
        "i3": "escalate",
        "i4": "pending",
    }
    assert table.loc["i2", "label"] == "cat" and table.loc["i2", "n_dissenters"] == 1
    assert pd.isna(table.loc["i3", "label"])
    for task, rows in frame().groupby("task"):
        one = decide(dict(zip(rows["worker"], rows["label"], strict=True)), overlap=3)
        assert one.outcome == table.loc[task, "outcome"]
        expected = table.loc[task, "label"]
        assert pd.isna(expected) if one.label is None else one.label == expected


def test_disagreement_by_label():
    table = disagreement_by_label(frame())
    # cat given on i1..i3, disputed on i2, i3; dog on i2..i4, disputed on i2, i3
    assert table.loc["cat"].tolist() == pytest.approx([3, 2, 2 / 3])
    assert table.loc["dog"].tolist() == pytest.approx([3, 2, 2 / 3])
    assert table.loc["bird"].tolist() == pytest.approx([1, 1, 1.0])


def test_guideline_signal_finds_the_confusing_class():
    rows = []
    for i in range(10):  # "wolf" and "husky" keep getting mixed up; "cat" never
        rows += [(f"w{i}", "a", "wolf"), (f"w{i}", "b", "husky" if i % 2 else "wolf")]
        rows += [(f"w{i}", "c", "wolf")]
        rows += [(f"c{i}", w, "cat") for w in "abc"]
        rows += [(f"h{i}", w, "husky") for w in "abc"]
    signals = guideline_signals(pd.DataFrame(rows, columns=["task", "worker", "label"]))
    by_label = {s.label: s for s in signals}
    assert set(by_label) == {"husky", "wolf"}
    # wolf: disputed on 5 of its 10 items; husky: on 5 of 15 (1/3), so wolf first
    assert [s.label for s in signals] == ["wolf", "husky"]
    wolf = by_label["wolf"]
    assert (wolf.n_items, wolf.n_disputed, wolf.disagreement_rate) == (10, 5, 0.5)
    assert wolf.confused_with == {"husky": 5}
    assert wolf.examples == ("w1", "w3", "w5", "w7", "w9")
    assert by_label["husky"].disagreement_rate == pytest.approx(1 / 3)
    assert "wolf" in wolf.message and "husky" in wolf.message
    frame_ = pd.DataFrame(rows, columns=["task", "worker", "label"])
    assert [s.label for s in guideline_signals(frame_, min_rate=0.4)] == ["wolf"]
    assert guideline_signals(frame_, min_items=11) == [by_label["husky"]]
