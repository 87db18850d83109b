from __future__ import annotations

import pytest

from ..support import one

CHOICE = {"name": "sentiment", "type": "choice", "options": ["positive", "negative", "neutral"]}


def test_choice_accepts_an_option() -> None:
    one(CHOICE).validate({"sentiment": "negative"}, {})


@pytest.mark.parametrize("value", ["Positive", "", 1, True, ["positive"], {"a": 1}])
def test_choice_refuses_anything_else(refuse, value) -> None:
    refuse(one(CHOICE), {"sentiment": value}, {}, "sentiment", "is not one of positive")


MULTI = {
    "name": "topics",
    "type": "multi_choice",
    "options": ["price", "quality", "delivery"],
    "min_selections": 1,
    "max_selections": 2,
}


def test_multi_choice_accepts_distinct_options_within_bounds() -> None:
    ont = one(MULTI)
    ont.validate({"topics": ["price"]}, {})
    ont.validate({"topics": ["quality", "price"]}, {})


def test_multi_choice_errors(refuse) -> None:
    ont = one(MULTI)
    refuse(ont, {"topics": "price"}, {}, "topics", "must be a list")
    refuse(ont, {"topics": ["price", "colour"]}, {}, "topics[1]", "'colour' is not one of")
    refuse(ont, {"topics": ["price", "price"]}, {}, "topics[1]", "selected twice")
    refuse(ont, {"topics": []}, {}, "topics", "0 selections, expected between 1 and 2")
    refuse(ont, {"topics": ["price", "quality", "delivery"]}, {}, "topics", "3 selections")


def test_multi_choice_without_bounds_allows_empty_and_all() -> None:
    ont = one({"name": "t", "type": "multi_choice", "options": ["a", "b"]})
    ont.validate({"t": []}, {})
    ont.validate({"t": ["b", "a"]}, {})


def test_text_with_max_length(refuse) -> None:
    ont = one({"name": "summary", "type": "text", "max_length": 5})
    ont.validate({"summary": "short"}, {})
    ont.validate({"summary": "김철수는 "}, {})  # 5 code points
    refuse(ont, {"summary": "too long"}, {}, "summary", "8 characters long (at most 5)")
    refuse(ont, {"summary": 3}, {}, "summary", "must be a string")


def test_rating_on_a_scale(refuse) -> None:
    ont = one({"name": "stars", "type": "rating", "scale": [1, 7]})
    ont.validate({"stars": 1}, {})
    ont.validate({"stars": 7}, {})
    for bad in (0, 8, 3.5, True, "4"):
        refuse(ont, {"stars": bad}, {}, "stars", "not an integer rating in [1, 7]")


def test_rating_default_scale_is_one_to_five(refuse) -> None:
    ont = one({"name": "stars", "type": "rating"})
    assert ont.control("stars").scale == (1, 5)
    refuse(ont, {"stars": 6}, {}, "stars", "[1, 5]")


def test_rating_with_aspects(refuse) -> None:
    ont = one(
        {"name": "q", "type": "rating", "scale": [1, 5], "aspects": ["helpfulness", "safety"]}
    )
    ont.validate({"q": {"helpfulness": 4, "safety": 5}}, {})
    refuse(ont, {"q": 4}, {}, "q", "must be an object rating each of helpfulness, safety")
    refuse(ont, {"q": {"helpfulness": 4}}, {}, "q.safety", "is missing")
    refuse(ont, {"q": {"helpfulness": 9, "safety": 1}}, {}, "q.helpfulness", "[1, 5]")
    refuse(ont, {"q": {"helpfulness": 4, "safety": 1, "tone": 2}}, {}, "q.tone", "unknown aspect")


@pytest.mark.parametrize(
    ("control", "field", "words"),
    [
        ({"name": "c", "type": "choice"}, "controls[0].options", "is missing"),
        ({"name": "c", "type": "choice", "options": []}, "controls[0].options", "at least 1"),
        (
            {"name": "c", "type": "choice", "options": ["a", "a"]},
            "controls[0].options[1]",
            "duplicate",
        ),
        (
            {"name": "c", "type": "choice", "options": [True, False]},
            "controls[0].options[0]",
            "quote it",
        ),
        (
            {"name": "c", "type": "choice", "options": ["a"], "colour": 1},
            "controls[0].colour",
            "unknown key",
        ),
        ({"name": "c", "type": "rating", "scale": [5, 1]}, "controls[0].scale", "min < max"),
        (
            {"name": "c", "type": "multi_choice", "options": ["a"], "min_selections": 2},
            "controls[0].min_selections",
            "more than the 1 options",
        ),
        ({"name": "c", "type": "text", "max_length": 0}, "controls[0].max_length", "at least 1"),
    ],
)
def test_malformed_controls_name_the_ontology_path(control, field, words) -> None:
    from labelwell.errors import InvalidInput

    with pytest.raises(InvalidInput) as info:
        one(control)
    assert info.value.field == field
    assert words in info.value.message
