from __future__ import annotations

import pytest

from labelwell.errors import InvalidInput

from ..support import one

PAIR = {"prompt": "Hi?", "responses": [{"id": "a", "text": "Hello."}, {"id": "b", "text": "Hey!"}]}
THREE = {
    "prompt": "Name a prime.",
    "responses": [{"id": "r1", "text": "4"}, {"id": "r2", "text": "7"}, {"id": "r3", "text": "9"}],
}


def test_pairwise(refuse) -> None:
    ont = one({"name": "pref", "type": "pairwise"})
    for choice in ("a", "b", "tie", "both_bad"):
        ont.validate({"pref": {"choice": choice}}, PAIR)
    ont.validate({"pref": {"choice": "a", "reason": "friendlier"}}, PAIR)
    refuse(ont, {"pref": "a"}, PAIR, "pref", "must be an object")
    refuse(
        ont, {"pref": {"choice": "c"}}, PAIR, "pref.choice", "'c' is not one of a, b, tie, both_bad"
    )
    refuse(ont, {"pref": {"reason": "x"}}, PAIR, "pref.choice", "missing")
    refuse(ont, {"pref": {"choice": "a", "score": 1}}, PAIR, "pref.score", "unknown key")
    refuse(ont, {"pref": {"choice": "a", "reason": 5}}, PAIR, "pref.reason", "string")


def test_pairwise_options(refuse) -> None:
    ont = one({"name": "pref", "type": "pairwise", "require_reason": True, "allow_tie": False})
    assert ont.label_names("pref") == ["a", "b", "both_bad"]
    ont.validate({"pref": {"choice": "b", "reason": "more accurate"}}, PAIR)
    refuse(ont, {"pref": {"choice": "b"}}, PAIR, "pref.reason", "a reason is required")
    refuse(ont, {"pref": {"choice": "b", "reason": "  "}}, PAIR, "pref.reason", "required")
    refuse(
        ont,
        {"pref": {"choice": "tie", "reason": "same"}},
        PAIR,
        "pref.choice",
        "not one of a, b, both_bad",
    )


def test_ranking(refuse) -> None:
    strict = one({"name": "rank", "type": "ranking"})
    ties = one({"name": "rank", "type": "ranking", "allow_ties": True})
    strict.validate({"rank": [["r2"], ["r1"], ["r3"]]}, THREE)
    ties.validate({"rank": [["r2"], ["r1", "r3"]]}, THREE)
    refuse(strict, {"rank": [["r2"], ["r1", "r3"]]}, THREE, "rank[1]", "ties are not allowed")
    refuse(ties, {"rank": [["r2"], ["r1"]]}, THREE, "rank", "missing: r3")
    refuse(
        ties, {"rank": [["r2"], ["r1", "r2"], ["r3"]]}, THREE, "rank[1][1]", "'r2' is ranked twice"
    )
    refuse(ties, {"rank": [["r2"], ["r4"]]}, THREE, "rank[1][0]", "'r4' is not a response id")
    refuse(ties, {"rank": [["r2"], [], ["r1", "r3"]]}, THREE, "rank[1]", "non-empty list")
    refuse(ties, {"rank": ["r1", "r2", "r3"]}, THREE, "rank[0]", "non-empty list")
    refuse(
        ties,
        {"rank": [["r1", "r2", "r3"]]},
        {"responses": "r1"},
        "data.responses",
        "list of responses",
    )


def test_correction(refuse) -> None:
    ont = one({"name": "fix", "type": "correction", "max_length": 20})
    ont.validate({"fix": {"response_id": "r1", "text": "2"}}, THREE)
    refuse(
        ont,
        {"fix": {"response_id": "r9", "text": "2"}},
        THREE,
        "fix.response_id",
        "not a response id",
    )
    refuse(ont, {"fix": {"response_id": "r1"}}, THREE, "fix.text", "missing")
    refuse(ont, {"fix": {"response_id": "r1", "text": "x" * 21}}, THREE, "fix.text", "at most 20")
    refuse(ont, {"fix": {"response_id": "r1", "text": None}}, THREE, "fix.text", "must be a string")


def test_validate_data_for_preference_items() -> None:
    pair = one({"name": "pref", "type": "pairwise"})
    rank = one({"name": "rank", "type": "ranking"})
    pair.validate_data(PAIR)
    rank.validate_data(THREE)
    cases = [
        (pair, THREE, "responses", "exactly 2"),
        (rank, {"responses": [{"id": "r1", "text": "x"}]}, "responses", "at least 2"),
        (
            rank,
            {"responses": [{"id": "r1", "text": "x"}, {"id": "r1", "text": "y"}]},
            "responses[1].id",
            "duplicate",
        ),
        (
            rank,
            {"responses": [{"id": "r1", "text": "x"}, {"id": "r2"}]},
            "responses[1].text",
            "string",
        ),
        (pair, {"prompt": ["x"], **{"responses": PAIR["responses"]}}, "prompt", "string"),
        (pair, {"prompt": "x"}, "responses", "missing"),
    ]
    for ont, data, field, words in cases:
        with pytest.raises(InvalidInput) as info:
            ont.validate_data(data)
        assert info.value.field == field
        assert words in info.value.message
