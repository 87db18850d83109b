"""`labelwell quality report` and `labelwell export --labels` on a live project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labelwell.cli import app
from labelwell.work import queue
from world import build_world

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
ANSWERS = {
    "all agree": ["positive", "positive", "positive"],
    "two agree": ["positive", "negative", "positive"],
    "all differ": ["positive", "negative", "neutral"],
}


@pytest.fixture
def world(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABELWELL_USER", raising=False)
    world = build_world(db, n_annotators=3, texts=list(ANSWERS), overlap=3)
    for i, actor in enumerate(world.annotators):
        while True:
            with db.session() as s:
                task = queue.next_task(s, actor, world.project_id)
                if task is None:
                    break
                answer = {"sentiment": ANSWERS[task.data["text"]][i]}
                queue.submit(s, actor, task.assignment_id, answer)
    return world


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_quality_report_text_and_json(world):
    text = run("quality", "report", "p1").output
    assert "1 awaiting review, 1 escalated, 0 resolved" in text
    assert "alpha" in text and "sentiment=positive" in text
    assert "aggregated labels (mv): 3" in text
    body = json.loads(
        run("quality", "report", str(world.project_id), "--method", "ds", "--json").output
    )
    assert body["method"] == "ds" and body["n_labels"] == 3 and body["n_annotations"] == 9
    assert body["review_items"] and body["escalated_items"]
    assert body["controls"][0]["control"] == "sentiment"
    bad = run("quality", "report", "p1", "--method", "nope", ok=False)
    assert bad.exit_code == 2 and "unknown aggregation method" in bad.output
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert "labelwell quality report" in docs


def test_export_label_choice(world, tmp_path):
    rows = {}
    for choice in ("raw", "aggregated", "both"):
        out = tmp_path / f"{choice}.jsonl"
        run("export", "p1", "-o", str(out), "--labels", choice)
        rows[choice] = {r["data"]["text"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["raw"]["all agree"]["consensus"] is None
    assert len(rows["raw"]["all agree"]["annotations"]) == 3
    assert rows["aggregated"]["two agree"]["annotations"] == []
    assert rows["aggregated"]["two agree"]["consensus"]["result"] == {"sentiment": "positive"}
    assert rows["both"]["all differ"]["consensus"] is None
    assert len(rows["both"]["all agree"]["annotations"]) == 3
    assert rows["both"]["all agree"]["consensus"]["provenance"]["agent"] == "consensus:majority"
    bad = run("export", "p1", "-o", str(tmp_path / "x.jsonl"), "--labels", "some", ok=False)
    assert bad.exit_code == 2 and "labels" in bad.output
