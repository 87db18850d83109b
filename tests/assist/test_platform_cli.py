"""`labelwell assist ...` against a project (light registered model, real HTTP server)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from assist.test_http_backend import NaiveBayes, labelwell_protocol_routes, serve  # noqa: F401
from assist.test_platform_assist import HAMMY, SPAMMY, label_items, spam_world
from labelwell.cli import app
from labelwell.store.tables import Annotation, Item, Prediction, Project
from labelwell.work import queue

runner = CliRunner()


@pytest.fixture
def world(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LABELWELL_USER", "manager@example.org")
    return spam_world(db)


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, ["assist", *args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_train_prelabel_route_prioritise(world, db, tmp_path):
    assert "run `labelwell assist train`" in run("prioritise", "p1", ok=False).output
    label_items(world, 10)
    out = run("train", "p1", "--heldout", "0.3").output
    assert "trained test-bow n7-T" in out and "calibrated on 3" in out and "ECE before" in out
    assert "n = 3, unstable)" in out
    assert "warning: calibration error (ECE) from 3 held-out items (fewer than 100)" in out
    assert (tmp_path / "home" / "models" / f"project-{world.project_id}.pkl").exists()
    out = run("prelabel", "p1", "--batch-size", "4").output
    assert out.startswith("pre-labeled 14 items with test-bow n7-T")
    out = run("prioritise", "p1", "--strategy", "entropy", "--n", "3").output
    assert out.startswith("3 of 14 items go first (entropy)")
    with db.read_session() as s:
        assert s.query(Prediction).count() == 14
        assert s.get(Project, world.project_id).ordering == "priority"
        first = max(s.query(Item).filter(Item.status != "done"), key=lambda i: i.priority)
    with db.session() as s:
        assert queue.next_task(s, world.annotators[1], world.project_id).item_id == first.id
    out = run("route", "p1", "--threshold", "0.5", "--spot-check", "0.0", "--seed", "1").output
    assert out.splitlines()[0] == "threshold 0.5000"
    with db.read_session() as s:
        auto = s.query(Annotation).filter_by(source="model").count()
    assert f"auto_approve={auto}" in out and auto == 13  # the leased item stays with its annotator
    out = run("route", "p1", "--target-precision", "1.0").output
    assert "threshold" in out
    bad = run("route", "p1", "--threshold", "0.9", "--target-precision", "0.9", ok=False)
    assert bad.exit_code == 2 and "not both" in bad.output


def test_prelabel_over_http_and_errors(world, db, serve):  # noqa: F811
    nb = NaiveBayes()
    for text in SPAMMY:
        nb.learn(text, "spam")
    for text in HAMMY:
        nb.learn(text, "ham")
    url = serve(labelwell_protocol_routes(nb))
    out = run("prelabel", "p1", "--model", "http", "--url", url).output
    assert out.startswith("pre-labeled 24 items with naive-bayes nb-12")
    assert "needs --url" in run("prelabel", "p1", "--model", "http", ok=False).output
    assert "no project" in run("train", "nope", ok=False).output
    assert "unknown strategy" in run("prioritise", "p1", "--strategy", "x", ok=False).output
