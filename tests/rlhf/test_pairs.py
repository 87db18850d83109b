from __future__ import annotations

import pytest

from labelwell.errors import InvalidInput
from labelwell.rlhf.pairs import ranking_to_comparisons, scores_to_ranking, validate_ranking
from labelwell.rlhf.records import (
    Comparison,
    PromptItem,
    comparison_from_result,
    pair_from_comparison,
)

RANKING = [["r2"], ["r1", "r3"], ["r4"]]


def as_tuples(comparisons):
    return {(c.response_a, c.response_b, c.outcome) for c in comparisons}


def test_all_pairs_drops_or_keeps_ties():
    got = as_tuples(ranking_to_comparisons("i", RANKING))
    assert got == {
        ("r2", "r1", "a"),
        ("r2", "r3", "a"),
        ("r2", "r4", "a"),
        ("r1", "r4", "a"),
        ("r3", "r4", "a"),
    }
    kept = as_tuples(ranking_to_comparisons("i", RANKING, keep_ties=True))
    assert kept == got | {("r1", "r3", "tie")}


def test_best_vs_rest():
    got = as_tuples(ranking_to_comparisons("i", RANKING, strategy="best_vs_rest"))
    assert got == {("r2", "r1", "a"), ("r2", "r3", "a"), ("r2", "r4", "a")}
    tied_top = ranking_to_comparisons("i", [["x", "y"], ["z"]], strategy="best_vs_rest")
    assert as_tuples(tied_top) == {("x", "z", "a"), ("y", "z", "a")}


def test_best_vs_random_lower_is_seeded_and_strictly_lower():
    seen = set()
    for seed in range(40):
        (c,) = ranking_to_comparisons("i", RANKING, strategy="best_vs_random_lower", rng=seed)
        assert c.response_a == "r2" and c.outcome == "a"
        seen.add(c.response_b)
    assert seen == {"r1", "r3", "r4"}
    one = ranking_to_comparisons("i", RANKING, strategy="best_vs_random_lower", rng=3)
    two = ranking_to_comparisons("i", RANKING, strategy="best_vs_random_lower", rng=3)
    assert one == two
    assert ranking_to_comparisons("i", [["x", "y"]], strategy="best_vs_random_lower") == []


def test_scores_to_ranking():
    assert scores_to_ranking({"a": 4.0, "b": 5.0, "c": 4.0, "d": 1}) == [["b"], ["a", "c"], ["d"]]
    assert scores_to_ranking({"a": 4.0, "b": 4.4}, tol=0.5) == [["b", "a"]]


@pytest.mark.parametrize(
    "ranking", [[["a"], []], [["a"], ["a", "b"]]], ids=["empty group", "repeat"]
)
def test_invalid_rankings(ranking):
    with pytest.raises(InvalidInput):
        validate_ranking(ranking)


def test_ranking_must_cover_responses():
    with pytest.raises(InvalidInput, match="every response"):
        validate_ranking([["a"], ["b"]], ["a", "b", "c"])
    with pytest.raises(InvalidInput, match="unknown pair strategy"):
        ranking_to_comparisons("i", RANKING, strategy="borda")


def test_result_to_pair_keeps_outcomes_distinct():
    item = PromptItem.from_data(
        "i1", {"prompt": "Hi", "responses": [{"id": "x", "text": "X"}, {"id": "y", "text": "Y"}]}
    )
    b = comparison_from_result("i1", "x", "y", {"choice": "b", "reason": "clearer"}, "ann")
    pair = pair_from_comparison(item, b)
    assert (pair.chosen, pair.rejected, pair.chosen_id) == ("Y", "X", "y")
    assert pair.prompt == [{"role": "user", "content": "Hi"}]
    for choice in ("tie", "both_bad"):
        c = comparison_from_result("i1", "x", "y", {"choice": choice})
        assert c.outcome == choice
        assert pair_from_comparison(item, c) is None
    with pytest.raises(InvalidInput, match="choice"):
        comparison_from_result("i1", "x", "y", {"choice": "neither"})
    with pytest.raises(InvalidInput):
        Comparison("i1", "x", "x", "a")
