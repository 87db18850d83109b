"""Every ontology and result shown in docs/ontology.md is checked here, so the
documentation cannot drift from what the validator accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from labelwell.schema import CONTROL_TYPES, Ontology

DOC = Path(__file__).resolve().parents[2] / "docs" / "ontology.md"


def sections() -> dict[str, tuple[str, dict]]:
    text = DOC.read_text(encoding="utf-8")
    found = {}
    for part in re.split(r"^### ", text, flags=re.M)[1:]:
        title = part.split("\n", 1)[0].strip()
        yaml_blocks = re.findall(r"```yaml\n(.*?)```", part, flags=re.S)
        json_blocks = re.findall(r"```json\n(.*?)```", part, flags=re.S)
        assert len(yaml_blocks) == 1 and len(json_blocks) == 1, title
        found[title] = (yaml_blocks[0], json.loads(json_blocks[0]))
    return found


def test_every_control_type_has_a_documented_example() -> None:
    assert set(sections()) == set(CONTROL_TYPES)


@pytest.mark.parametrize("title", sorted(CONTROL_TYPES))
def test_documented_example_is_valid(title: str) -> None:
    spec, example = sections()[title]
    ont = Ontology.from_yaml(spec)
    assert title in {c.type for c in ont.controls}
    ont.validate_data(example["data"])
    ont.validate(example["result"], example["data"])
    assert Ontology.from_yaml(ont.to_yaml()) == ont


def test_builder_example_runs() -> None:
    code = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)[-1]
    scope: dict = {}
    exec(code, scope)
    assert [c.type for c in scope["ont"].controls] == ["choice", "spans", "relations", "keypoints"]
