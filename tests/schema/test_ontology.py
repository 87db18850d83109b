from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from labelwell.errors import InvalidInput, NotFound
from labelwell.schema import CONTROL_TYPES, Ontology

from .conftest import EXAMPLES

SPEC = """
name: product-reviews
controls:
  - name: sentiment
    type: choice            # single choice
    source: text            # item data field the control reads
    options: [positive, negative, neutral]
    required: true
  - name: entities
    type: spans
    source: text
    labels:
      - name: PER
      - name: ORG
        attributes:
          - {name: listed, type: boolean}
"""


def test_reads_the_documented_shape() -> None:
    ont = Ontology.from_yaml(SPEC)
    assert ont.name == "product-reviews"
    assert [(c.name, c.type, c.source, c.required) for c in ont.controls] == [
        ("sentiment", "choice", "text", True),
        ("entities", "spans", "text", False),
    ]
    assert ont.control("sentiment").options == ("positive", "negative", "neutral")
    assert ont.label_names("entities") == ["PER", "ORG"]
    assert ont.label_names("sentiment") == ["positive", "negative", "neutral"]
    assert ont.control("entities").labels[1].attributes[0].type == "boolean"


def test_dict_and_yaml_round_trips() -> None:
    ont = Ontology.from_yaml(SPEC)
    assert Ontology.from_dict(ont.to_dict()) == ont
    assert Ontology.from_dict(ont.to_dict()).to_dict() == ont.to_dict()
    text = ont.to_yaml()
    assert Ontology.from_yaml(text) == ont
    assert Ontology.from_dict(yaml.safe_load(text)).to_yaml() == text


def test_every_example_loads_and_round_trips() -> None:
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 8
    seen_types = set()
    for path in files:
        ont = Ontology.from_file(path)
        assert Ontology.from_yaml(ont.to_yaml()) == ont, path.name
        assert Ontology.from_dict(json.loads(json.dumps(ont.to_dict()))) == ont, path.name
        seen_types |= {c.type for c in ont.controls}
    assert seen_types == set(CONTROL_TYPES)


def test_reads_json_files(tmp_path: Path) -> None:
    ont = Ontology.from_yaml(SPEC)
    path = tmp_path / "o.json"
    path.write_text(json.dumps(ont.to_dict()), encoding="utf-8")
    assert Ontology.from_file(path) == ont
    (tmp_path / "o.yml").write_text(ont.to_yaml(), encoding="utf-8")
    assert Ontology.from_file(tmp_path / "o.yml") == ont


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        Ontology.from_file(tmp_path / "missing.yaml")
    with pytest.raises(InvalidInput, match="must end in .yaml, .yml or .json"):
        Ontology.from_file(tmp_path / "o.txt")
    (tmp_path / "bad.json").write_text('{"name": ', encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid JSON"):
        Ontology.from_file(tmp_path / "bad.json")


def test_yaml_syntax_errors_give_the_line() -> None:
    with pytest.raises(InvalidInput) as info:
        Ontology.from_yaml("name: x\ncontrols:\n  - name: [unclosed\n")
    assert info.value.line is not None
    assert "not valid YAML" in info.value.message


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        (None, None, "must be a mapping"),
        ({"controls": [{"name": "a", "type": "text"}]}, "name", "is missing"),
        ({"name": "x"}, "controls", "is missing"),
        ({"name": "x", "controls": []}, "controls", "non-empty list"),
        ({"name": "x", "controls": ["a"]}, "controls[0]", "must be a mapping"),
        (
            {"name": "x", "controls": [{"name": "a", "type": "text"}], "owner": 1},
            "owner",
            "unknown key",
        ),
        (
            {"name": "x", "controls": [{"name": "a"}]},
            "controls[0].type",
            "unknown control type None",
        ),
        (
            {
                "name": "x",
                "controls": [{"name": "a", "type": "text"}, {"name": "b", "type": "sketch"}],
            },
            "controls[1].type",
            "unknown control type 'sketch' (one of bbox, choice",
        ),
        (
            {
                "name": "x",
                "controls": [{"name": "a", "type": "text"}, {"name": "a", "type": "text"}],
            },
            "controls[1].name",
            "duplicate control name 'a'",
        ),
        (
            {"name": "x", "controls": [{"name": "a.b", "type": "text"}]},
            "controls[0].name",
            "may not contain",
        ),
        ({"name": "x", "controls": [{"type": "text"}]}, "controls[0].name", "is missing"),
        (
            {"name": "x", "controls": [{"name": "a", "type": "text", "required": "yes"}]},
            "controls[0].required",
            "true or false",
        ),
        (
            {
                "name": "x",
                "controls": [
                    {"name": "a", "type": "text"},
                    {"name": "b", "type": "choice", "options": ["y"]},
                    {"name": "e", "type": "spans", "labels": [{"name": ""}]},
                ],
            },
            "controls[2].labels[0].name",
            "non-empty string",
        ),
        (
            {
                "name": "x",
                "controls": [{"name": "e", "type": "spans", "labels": ["A", {"name": "A"}]}],
            },
            "controls[0].labels[1].name",
            "duplicate label 'A'",
        ),
        (
            {"name": "x", "controls": [{"name": "e", "type": "spans", "labels": []}]},
            "controls[0].labels",
            "non-empty list",
        ),
        (
            {"name": "x", "controls": [{"name": "e", "type": "spans", "labels": ["A\nB"]}]},
            "controls[0].labels[0].name",
            "control character",
        ),
        (
            {"name": "x", "controls": [{"name": "c", "type": "choice", "options": ["y", "=\tz"]}]},
            "controls[0].options[1]",
            "control character",
        ),
        (
            {
                "name": "x",
                "controls": [
                    {
                        "name": "e",
                        "type": "bbox",
                        "labels": [{"name": "A", "attributes": [{"name": "z", "type": "colour"}]}],
                    }
                ],
            },
            "controls[0].labels[0].attributes[0].type",
            "unknown attribute type 'colour'",
        ),
    ],
)
def test_malformed_ontologies_name_the_path(spec, field, words) -> None:
    with pytest.raises(InvalidInput) as info:
        Ontology.from_dict(spec)
    assert info.value.field == field, info.value.message
    assert words in info.value.message


def test_result_level_errors(refuse) -> None:
    ont = Ontology.from_yaml(SPEC)
    data = {"text": "Acme"}
    refuse(ont, ["positive"], data, None, "a result must be an object keyed by control name")
    refuse(ont, {}, data, "sentiment", "is required")
    refuse(ont, {"sentiment": None}, data, "sentiment", "is required")
    refuse(ont, {"sentiment": "positive", "mood": "x"}, data, "mood", "unknown control")
    refuse(ont, {"sentiment": "positive", 3: "x"}, data, "3", "unknown control")
    ont.validate({"sentiment": "positive"}, data)
    ont.validate({"sentiment": "positive", "entities": None}, data)  # null = not answered
    ont.validate({"sentiment": "positive", "entities": []}, data)


def test_unknown_control_lookup() -> None:
    ont = Ontology.from_yaml(SPEC)
    with pytest.raises(InvalidInput) as info:
        ont.control("mood")
    assert info.value.field == "mood"
    assert "no control named 'mood'" in info.value.message
    with pytest.raises(InvalidInput, match="no label set"):
        Ontology.from_dict({"name": "x", "controls": [{"name": "t", "type": "text"}]}).label_names(
            "t"
        )


def test_validate_data_checks_every_source() -> None:
    ont = Ontology.from_yaml(SPEC)
    ont.validate_data({"text": "hello"})
    with pytest.raises(InvalidInput) as info:
        ont.validate_data({"body": "hello"})
    assert info.value.field == "text"
    assert "read by control 'sentiment'" in info.value.message
    with pytest.raises(InvalidInput) as info:
        ont.validate_data("hello")
    assert info.value.field is None


def test_controls_are_immutable_so_compiled_validators_stay_true() -> None:
    ont = Ontology.from_yaml(SPEC)
    with pytest.raises(AttributeError):
        ont.control("sentiment").options = ("x",)  # type: ignore[misc]
    ont.controls.clear()
    assert len(ont.controls) == 2
