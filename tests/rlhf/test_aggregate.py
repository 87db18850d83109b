from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest

from labelwell.errors import InvalidInput
from labelwell.rlhf.aggregate import (
    aggregate_ratings,
    merge_rankings,
    pairwise_majority,
    preference_alpha,
)
from labelwell.rlhf.records import Comparison


def C(item, a, b, outcome, annotator, reason=None):
    return Comparison(item, a, b, outcome, annotator, reason)


def test_majority_orients_pairs_and_keeps_dissent():
    votes = [
        C("i1", "x", "y", "a", "ann1"),
        C("i1", "y", "x", "b", "ann2"),  # same judgment, other orientation
        C("i1", "x", "y", "both_bad", "ann3", "both wrong"),
        C("i2", "x", "y", "a", "ann1"),
        C("i2", "x", "y", "b", "ann2"),
        C("i3", "p", "q", "both_bad", "ann1"),
        C("i3", "q", "p", "both_bad", "ann2"),
    ]
    out = pairwise_majority(votes).set_index("item_id")
    assert out.loc["i1", "outcome"] == "a"
    assert (out.loc["i1", "n_a"], out.loc["i1", "n_both_bad"], out.loc["i1", "n_votes"]) == (
        2,
        1,
        3,
    )
    assert out.loc["i1", "support"] == pytest.approx(2 / 3)
    assert out.loc["i1", "dissent"] == [
        {"annotator": "ann3", "outcome": "both_bad", "reason": "both wrong"}
    ]
    assert out.loc["i2", "outcome"] == "tie"  # a 1-1 split claims no preference
    assert len(out.loc["i2", "dissent"]) == 2
    assert out.loc["i3", "outcome"] == "both_bad"
    assert out.loc["i3", "dissent"] == []


def test_majority_needs_comparisons():
    with pytest.raises(InvalidInput):
        pairwise_majority([])


def test_preference_alpha_matches_krippendorff_package():
    rng = np.random.default_rng(0)
    outcomes = ["a", "b", "tie", "both_bad"]
    truth = rng.choice(outcomes, 30)
    votes, matrix = [], np.full((4, 30), np.nan)
    for u in range(30):
        for r in range(4):
            if rng.random() < 0.2:
                continue
            o = truth[u] if rng.random() < 0.7 else rng.choice(outcomes)
            flip = rng.random() < 0.5  # orientation must not matter
            a, b = ("s", "t") if not flip else ("t", "s")
            shown = {"a": "b", "b": "a"}.get(o, o) if flip else o
            votes.append(C(f"i{u}", a, b, shown, f"r{r}"))
            matrix[r, u] = outcomes.index(o)
    ref = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert preference_alpha(votes) == pytest.approx(ref, abs=1e-9)


def test_aggregate_ratings_mean_median_keeps_all():
    df = pd.DataFrame(
        {
            "item_id": ["i"] * 5,
            "response_id": ["r1", "r1", "r1", "r2", "r2"],
            "aspect": ["helpfulness"] * 3 + ["safety"] * 2,
            "rating": [5, 4, 1, 7, 6],
        }
    )
    out = aggregate_ratings(df).set_index("response_id")
    assert out.loc["r1", "mean"] == pytest.approx(10 / 3)
    assert out.loc["r1", "median"] == 4
    assert out.loc["r1", "ratings"] == [5, 4, 1]
    assert out.loc["r2", "n"] == 2


def test_merge_rankings_by_ranked_pairs():
    # Condorcet cycle x>y (2-1), y>z (2-1), z>x (2-1) plus w last everywhere:
    # all margins equal, so ranked pairs resolves the cycle and keeps w last.
    rankings = {
        "ann1": [["x"], ["y"], ["z"], ["w"]],
        "ann2": [["y"], ["z"], ["x"], ["w"]],
        "ann3": [["z"], ["x"], ["y"], ["w"]],
    }
    merged = merge_rankings(rankings)
    assert merged[-1] == ["w"]
    assert sorted(r for g in merged for r in g) == ["w", "x", "y", "z"]
    clear = {"a": [["p"], ["q", "r"]], "b": [["p"], ["q"], ["r"]], "c": [["q"], ["p"], ["r"]]}
    assert merge_rankings(clear) == [["p"], ["q"], ["r"]]
    with pytest.raises(InvalidInput):
        merge_rankings({"a": [["p"], ["p"]]})


def test_preference_alpha_with_anonymous_judgments():
    votes = [
        Comparison("i1", "x", "y", "a"),
        Comparison("i1", "x", "y", "a"),
        Comparison("i2", "x", "y", "b"),
        Comparison("i2", "y", "x", "a"),
        Comparison("i3", "x", "y", "tie"),
        Comparison("i3", "x", "y", "a"),
    ]
    matrix = [[0, 1, 2], [0, 1, 0]]  # a=0, b=1, tie=2; one row per judgment slot
    ref = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert preference_alpha(votes) == pytest.approx(ref)
