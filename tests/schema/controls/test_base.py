from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from labelwell.errors import InvalidInput
from labelwell.schema import CONTROL_TYPES, Control, Ontology, register_control
from labelwell.schema._checks import Reader, fail


@dataclass(eq=False, frozen=True, kw_only=True)
class Likert(Control):
    """A plug-in control: an agreement level written as text."""

    type = "likert_text"
    levels: tuple[str, ...] = ()

    @classmethod
    def _read_options(cls, r: Reader) -> dict[str, Any]:
        return {"levels": tuple(r.names("levels"))}

    def _options_dict(self) -> dict[str, Any]:
        return {"levels": list(self.levels)}

    def compile(self):
        key, levels = self.name, frozenset(self.levels)

        def check(value: Any, data: Any, result: dict) -> None:
            if type(value) is not str or value not in levels:
                fail(key, f"{value!r} is not a level")

        return check


@pytest.fixture
def likert():
    register_control(Likert)
    yield Likert
    CONTROL_TYPES.unregister("likert_text")


def test_a_registered_control_type_loads_validates_and_round_trips(likert) -> None:
    ont = Ontology.from_dict(
        {
            "name": "p",
            "controls": [{"name": "agree", "type": "likert_text", "levels": ["no", "yes"]}],
        }
    )
    ont.validate({"agree": "yes"}, {})
    with pytest.raises(InvalidInput) as info:
        ont.validate({"agree": "maybe"}, {})
    assert info.value.field == "agree"
    assert Ontology.from_yaml(ont.to_yaml()) == ont
    assert isinstance(ont.control("agree"), likert)


def test_unregistered_types_are_refused() -> None:
    assert "likert_text" not in CONTROL_TYPES
    with pytest.raises(InvalidInput) as info:
        Ontology.from_dict({"name": "p", "controls": [{"name": "a", "type": "likert_text"}]})
    assert info.value.field == "controls[0].type"


def test_controls_compare_by_their_definition() -> None:
    a = Ontology.from_dict(
        {"name": "x", "controls": [{"name": "c", "type": "choice", "options": ["p"]}]}
    )
    b = Ontology.from_dict(
        {"name": "y", "controls": [{"name": "c", "type": "choice", "options": ["p"]}]}
    )
    assert a.control("c") == b.control("c")
    assert a != b
    assert a.control("c").to_dict() == {
        "name": "c",
        "type": "choice",
        "required": False,
        "options": ["p"],
    }
