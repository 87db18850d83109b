import pytest

from labelwell.errors import InvalidInput
from labelwell.quality.rankings import borda, borda_scores, pairwise_wins, ranked_pairs


def test_borda_scores_with_ties_and_missing_items():
    scores = borda_scores([["a", ("b", "c")], ["b", "a", "c"], ["c", "a"]])
    # a: 2 + 1 + 0 ; b: 0.5 + 2 ; c: 0.5 + 0 + 1
    assert scores.to_dict() == {"a": 3.0, "b": 2.5, "c": 1.5}
    assert borda([["a", ("b", "c")], ["a", ("c", "b")]]) == [["a"], ["b", "c"]]


def test_pairwise_wins_skip_unranked_pairs():
    wins = pairwise_wins([["a", "b"], ["c", "a"]])
    assert wins.loc["a", "b"] == 1 and wins.loc["b", "a"] == 0
    assert wins.loc["c", "b"] == 0 and wins.loc["b", "c"] == 0
    assert wins.loc["c", "a"] == 1


def test_ranked_pairs_breaks_condorcet_cycle_by_weakest_majority():
    # a>b by 5, c>a by 3, b>c by 1: locking b>c would close a cycle, so c > a > b
    rankings = [["a", "b", "c"]] * 3 + [["b", "c", "a"]] * 2 + [["c", "a", "b"]] * 4
    assert ranked_pairs(rankings) == [["c"], ["a"], ["b"]]
    # Borda cannot separate a and c here (10 points each)
    assert borda(rankings) == [["a", "c"], ["b"]]


def test_ranked_pairs_condorcet_winner_and_ties():
    assert ranked_pairs([["x", "y", "z"], ["x", "z", "y"], ["y", "x", "z"]]) == [
        ["x"],
        ["y"],
        ["z"],
    ]
    assert ranked_pairs([["a", ("b", "c")], ["a", ("c", "b")]]) == [["a"], ["b", "c"]]
    assert ranked_pairs([["a", "b"], ["b", "a"]]) == [["a", "b"]]
    assert ranked_pairs([]) == []


def test_ranked_pairs_matches_open_assistant_example():
    # Open-Assistant's ranking test: three voters over four replies
    rankings = [[0, 1, 2, 3], [1, 0, 2, 3], [0, 2, 1, 3]]
    assert ranked_pairs(rankings) == [[0], [1], [2], [3]]


def test_invalid_rankings():
    with pytest.raises(InvalidInput):
        ranked_pairs([["a", "a"]])
    with pytest.raises(InvalidInput):
        borda(["abc"])


def test_rankings_given_as_lists_of_tie_groups():
    rankings = [[["a"], ["b", "c"]], [["b"], ["a"], ["c"]], [["a"], ["b"], ["c"]]]
    assert ranked_pairs(rankings) == [["a"], ["b"], ["c"]]
    assert borda_scores(rankings).to_dict() == {"a": 5.0, "b": 3.5, "c": 0.5}
