import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from labelwell.errors import InvalidInput
from labelwell.quality.gold import (
    QualificationTest,
    first_answers,
    flag_for_retraining,
    gold_accuracy,
    wilson_interval,
)

GOLD = pd.Series({"g1": "cat", "g2": "dog", "g3": "cat", "g4": "bird", "g5": "dog"})


def answers() -> pd.DataFrame:
    rows = [
        # ann: 5/5 correct
        *[(t, "ann", lab) for t, lab in GOLD.items()],
        # bob: 4/5 correct (g4 wrong)
        ("g1", "bob", "cat"), ("g2", "bob", "dog"), ("g3", "bob", "cat"),
        ("g4", "bob", "cat"), ("g5", "bob", "dog"),
        # cy: 2/4 correct, plus a non-gold task
        ("g1", "cy", "dog"), ("g2", "cy", "dog"), ("g3", "cy", "cat"), ("g4", "cy", "cat"),
        ("t9", "cy", "cat"),
        # dee: no gold answered
        ("t9", "dee", "dog"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


@pytest.mark.parametrize(("x", "n"), [(0, 10), (3, 10), (10, 10), (47, 50), (1, 1), (123, 400)])
@pytest.mark.parametrize("confidence", [0.90, 0.95, 0.99])
def test_wilson_equals_statsmodels(x, n, confidence):
    low, high = wilson_interval(x, n, confidence)
    ref = proportion_confint(x, n, alpha=1 - confidence, method="wilson")
    np.testing.assert_allclose([low, high], ref, atol=1e-12)


def test_wilson_literal_and_empty():
    # Wilson (1927) for 8/10 at 95%: (0.490, 0.943)
    low, high = wilson_interval(8, 10)
    assert (round(float(low), 3), round(float(high), 3)) == (0.490, 0.943)
    low, high = wilson_interval(np.array([0, 2]), np.array([0, 4]))
    assert low[0] == 0.0 and high[0] == 1.0 and 0 < low[1] < 0.5 < high[1] < 1


def test_gold_accuracy_per_annotator():
    table = gold_accuracy(answers(), GOLD)
    assert list(table.index) == ["ann", "bob", "cy"]
    assert table.loc["ann", "accuracy"] == 1.0
    assert table.loc["bob", "accuracy"] == pytest.approx(0.8)
    assert (table.loc["cy", "n_gold"], table.loc["cy", "n_correct"]) == (4, 2)
    assert (table["ci_low"] <= table["accuracy"]).all()
    assert (table["accuracy"] <= table["ci_high"]).all()


def test_flag_for_retraining_threshold_and_rules():
    flags = flag_for_retraining(answers(), GOLD)
    assert [f.annotator for f in flags] == ["cy"]  # bob at exactly 0.80 is not under
    assert flags[0].accuracy == 0.5 and flags[0].n_gold == 4
    assert "cy" in flags[0].message and "retraining" in flags[0].message
    assert [f.annotator for f in flag_for_retraining(answers(), GOLD, threshold=0.9)] == [
        "bob",
        "cy",
    ]
    # with only 4 items, cy's Wilson upper bound (0.85) is not under 0.80
    assert flag_for_retraining(answers(), GOLD, rule="upper") == []
    assert flag_for_retraining(answers(), GOLD, min_gold=5, threshold=0.9)[0].annotator == "bob"


def test_qualification_test_seeded_pick_and_score():
    gold = pd.Series({f"g{i}": i % 3 for i in range(40)})
    test = QualificationTest.from_gold(gold, k=20, seed=11)
    assert len(test.items) == 20 and set(test.items) <= set(gold.index)
    assert test.items == QualificationTest.from_gold(gold, k=20, seed=11).items
    assert test.items != QualificationTest.from_gold(gold, k=20, seed=12).items
    key = dict(test.answer_key)
    perfect = test.score(key, annotator="a")
    assert perfect.passed and perfect.accuracy == 1.0
    wrong3 = dict(key)
    for t in test.items[:3]:
        wrong3[t] = (key[t] + 1) % 3
    assert test.score(wrong3).n_correct == 17 and test.score(wrong3).passed  # 0.85
    missing4 = {t: key[t] for t in test.items[4:]}
    result = test.score(missing4)
    assert (result.n_answered, result.n_correct, result.passed) == (16, 16, False)


def test_qualification_score_frame_and_errors():
    test = QualificationTest.from_gold(GOLD, k=5, pass_mark=0.8, seed=0)
    results = {r.annotator: r for r in test.score_frame(answers())}
    assert results["ann"].passed and results["bob"].passed
    assert not results["cy"].passed and results["cy"].n_answered == 4
    assert results["dee"].n_answered == 0 and not results["dee"].passed
    with pytest.raises(InvalidInput):
        QualificationTest.from_gold(GOLD, k=6)


def test_first_answers_keep_each_workers_earliest_answer_per_task():
    frame = pd.DataFrame(
        {
            "task": ["g1", "g1", "g1", "g2"],
            "worker": ["w1", "w1", "w2", "w1"],
            "label": ["wrong", "right", "right", "right"],
            "at": [1, 5, 2, 3],
        }
    )
    first = first_answers(frame, "at")
    assert first.to_dict("records") == [
        {"task": "g1", "worker": "w1", "label": "wrong", "at": 1},
        {"task": "g1", "worker": "w2", "label": "right", "at": 2},
        {"task": "g2", "worker": "w1", "label": "right", "at": 3},
    ]
    table = gold_accuracy(first, {"g1": "right", "g2": "right"})
    assert table.loc["w1", "n_correct"] == 1 and table.loc["w1", "n_gold"] == 2
    with pytest.raises(InvalidInput, match="when"):
        first_answers(frame, "when")
