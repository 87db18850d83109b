from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelwell.errors import InvalidInput
from labelwell.schema import Attribute, Label, Skeleton


@pytest.mark.parametrize(
    ("attribute", "good", "bad", "words"),
    [
        (Attribute.boolean("b"), [True, False], [1, "true", None], "true or false"),
        (Attribute.choice("c", ["x", "y"]), ["x", "y"], ["z", 1, ["x"]], "is not one of x, y"),
        (Attribute.multi_choice("m", ["x", "y"]), [[], ["y", "x"]], ["x", ["z"], 3], "x, y"),
        (Attribute.text("t", max_length=3), ["", "abc"], ["abcd", 5], "a"),
        (
            Attribute.number("n", min=0, max=1),
            [0, 0.5, 1],
            [-0.1, 1.1, "1", True, float("nan")],
            "n",
        ),
    ],
)
def test_attribute_values(attribute, good, bad, words) -> None:
    for value in good:
        attribute.check_value(value, "f")
    for value in bad:
        with pytest.raises(InvalidInput) as info:
            attribute.check_value(value, "f")
        assert info.value.field in ("f", "f[0]")


def test_multi_choice_attribute_refuses_repeats() -> None:
    with pytest.raises(InvalidInput) as info:
        Attribute.multi_choice("m", ["x", "y"]).check_value(["x", "x"], "f")
    assert info.value.field == "f[1]"


def test_attributes_and_labels_round_trip() -> None:
    attributes = [
        Attribute.boolean("b", required=True),
        Attribute.choice("c", ["x", "y"]),
        Attribute.multi_choice("m", ["x"]),
        Attribute.text("t", max_length=9),
        Attribute.number("n", min=-1.5, max=2),
    ]
    label = Label("car", attributes, color="#fff", description="a car")
    assert Label.from_dict(label.to_dict(), "l") == label
    for attribute in attributes:
        assert Attribute.from_dict(attribute.to_dict(), "a") == attribute
    skeleton = Skeleton(("a", "b", "c"), ((0, 1), (1, 2)))
    assert Skeleton.from_dict(skeleton.to_dict(), "s") == skeleton


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"name": "n", "type": "number", "min": 2, "max": 1}, "a.min"),
        ({"name": "c", "type": "choice"}, "a.options"),
        ({"name": "c", "type": "boolean", "options": ["x"]}, "a.options"),
        ({"name": "t", "type": "text", "max_length": "9"}, "a.max_length"),
        ({"type": "text"}, "a.name"),
        ("occluded", "a"),
    ],
)
def test_malformed_attributes(spec, field) -> None:
    with pytest.raises(InvalidInput) as info:
        Attribute.from_dict(spec, "a")
    assert info.value.field == field


def test_duplicate_attribute_names() -> None:
    spec = {
        "name": "car",
        "attributes": [{"name": "a", "type": "boolean"}, {"name": "a", "type": "text"}],
    }
    with pytest.raises(InvalidInput) as info:
        Label.from_dict(spec, "labels[0]")
    assert info.value.field == "labels[0].attributes[1].name"


ATTRIBUTES = [
    Attribute.boolean("b"),
    Attribute.choice("c", ["x", "y"]),
    Attribute.multi_choice("m", ["x", "y"]),
    Attribute.text("t", max_length=3),
    Attribute.text("u"),
    Attribute.number("n", min=0, max=1),
    Attribute.number("free"),
]
answers = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats()
    | st.sampled_from(["x", "y", "z", ""])
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=2)
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(value=answers)
def test_fast_test_and_explanation_agree(value) -> None:
    for attribute in ATTRIBUTES:
        try:
            attribute.check_value(value, "f")
            explained = True
        except InvalidInput:
            explained = False
        assert attribute.accepts()(value) is explained, (attribute, value)
