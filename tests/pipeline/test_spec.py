"""The pipeline spec: a valid one parses; a wrong one names its line and field."""

from __future__ import annotations

import pytest

from labelwell.errors import InvalidInput
from labelwell.pipeline import parse

GOOD = """\
version: 1
name: daily
project: sentiment
storage:
  name: raw
  url: s3://bucket/incoming/
  credentials: {key: env:LW_TEST_KEY}
stages:
  extract: {}
  distribute: {overlap: 3, active_learning: true}
  quality_gate:
    min_done: 0.9
    min_agreement: 0.6
  export: {format: jsonl, url: s3://bucket/exports/}
"""


def test_a_good_spec_parses_with_its_stages_in_pipeline_order():
    spec = parse(GOOD)
    assert spec.stages.chosen() == ["extract", "distribute", "quality_gate", "export"]
    assert spec.stages.quality_gate.thresholds() == {
        "min_done": 0.9, "min_agreement": 0.6, "min_gold_accuracy": None, "method": "mv"}


@pytest.mark.parametrize(
    ("text", "line", "where"),
    [
        (GOOD.replace("    min_done: 0.9", "    min_done: 1.5"), 12,
         "stages.quality_gate.min_done"),
        (GOOD.replace("  distribute: {overlap: 3", "  distribute: {overlap: 0"), 10,
         "stages.distribute.overlap"),
        (GOOD.replace("  extract: {}", "  extract: {}\n  transform: {}"), 10, "stages.transform"),
        (GOOD.replace("name: daily", "name: 'daily run!'"), 2, "name"),
        (GOOD.replace("  export: {format: jsonl, url: s3://bucket/exports/}", "  export: {}"), 14,
         "stages.export.url"),
    ],
)
def test_errors_name_the_line_and_the_field(text, line, where):
    with pytest.raises(InvalidInput) as caught:
        parse(text, "daily.yaml")
    assert caught.value.message.startswith(f"daily.yaml:{line}: {where}: "), caught.value.message
    assert caught.value.details["line"] == line


def test_broken_yaml_names_its_line():
    with pytest.raises(InvalidInput, match=r"^spec:2: not valid YAML: mapping values"):
        parse("version: 1\nname: x: y\nstages: {}\n")


def test_credentials_come_from_the_environment(monkeypatch):
    spec = parse(GOOD)
    monkeypatch.delenv("LW_TEST_KEY", raising=False)
    with pytest.raises(InvalidInput, match="the environment has no LW_TEST_KEY"):
        spec.storage.resolved_credentials()
    monkeypatch.setenv("LW_TEST_KEY", "k")
    assert spec.storage.resolved_credentials() == {"key": "k"}
