"""`labelwell pipeline run` end to end on a folder prefix, in process: a first
run stops at the gate while annotators work, a rerun skips the finished stages;
the next day's run pre-labels the new items; a failed gate raises with its
report and tells the webhooks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sqlalchemy import select
from typer.testing import CliRunner

from labelwell.assist.predictors import register_predictor
from labelwell.cli import app as cli
from labelwell.pipeline import QualityGateFailed, StageTimeout, parse
from labelwell.pipeline.runner import RunState, in_process, run
from labelwell.store.tables import Prediction, WebhookDelivery
from labelwell.work import assist, queue, webhooks
from labelwell.work.assist import saved
from world import build_world

SPAM = {"name": "spam", "controls": [{"name": "verdict", "type": "choice", "source": "text",
                                      "options": ["ham", "spam"], "required": True}]}
DAY1 = {"a": "subscribe to my channel", "b": "free gift card click here",
        "c": "lovely song and voice", "d": "beautiful melody", "e": "click for free video",
        "f": "the voice in this song"}
DAY2 = {"g": "free gift subscribe", "h": "lovely melody"}


@register_predictor("test-pipeline-bow", replace=True)
class BagOfWords:
    """Word counts + logistic regression: a light, real predictor for the tests."""

    name = "test-pipeline-bow"

    def __init__(self) -> None:
        self._version = "unfitted"

    @property
    def version(self):
        return self._version

    @property
    def classes_(self):
        return self.model_.classes_

    def fit(self, items, labels):
        self.vec_ = CountVectorizer().fit(items)
        self.model_ = LogisticRegression().fit(self.vec_.transform(items), labels)
        self._version = f"n{len(labels)}"
        return self

    def predict_proba(self, items):
        return self.model_.predict_proba(self.vec_.transform(items))

    def embed(self, items):
        return self.vec_.transform(items).toarray().astype(np.float64)


def truth(text):
    return "spam" if any(w in text for w in ("free", "subscribe", "click")) else "ham"


def spec_text(raw, stages):
    return json.dumps({
        "version": 1, "name": "daily", "project": "p1",
        "storage": {"name": "raw", "url": f"file://{raw}",
                    "options": {"glob": "*.json", "json_items": True}},
        "stages": stages,
    })


@pytest.fixture
def site(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABELWELL_USER", raising=False)
    world = build_world(db, n_annotators=1, n_items=0, ontology=SPAM,
                        settings={"assist_model": "test-pipeline-bow"})
    raw = tmp_path / "raw"
    raw.mkdir()
    for key, text in DAY1.items():
        (raw / f"{key}.json").write_text(json.dumps({"text": text}))
    return world, raw


def label_all(db, world):
    actor = world.annotators[0]
    while True:
        with db.session() as s:
            task = queue.next_task(s, actor, world.project_id)
            if task is None:
                return
            queue.submit(s, actor, task.assignment_id, {"verdict": truth(task.data["text"])})


def test_a_rerun_skips_finished_stages_and_the_next_day_prelabels(db, site, tmp_path):
    world, raw = site
    stages = {
        "extract": {},
        "distribute": {"overlap": 1, "gold_ratio": 0.0},
        "quality_gate": {"min_done": 1.0, "timeout_s": 0.3, "poll_s": 0.1},
        "export": {"format": "jsonl", "url": f"file://{raw}/exports/day1.jsonl"},
    }
    spec = parse(spec_text(raw, stages))
    state = RunState(tmp_path / "state.json", "day1")
    with in_process() as lw, pytest.raises(StageTimeout, match="0.0% done, 100% needed"):
        run(spec, lw, state)
    assert state.finished("extract")["result"]["added_items"] == 6
    assert state.finished("distribute") is not None and state.finished("quality_gate") is None

    label_all(db, world)
    with in_process() as lw:
        outcomes = run(spec, lw, RunState(tmp_path / "state.json", "day1"))
    assert [(o.stage, o.state) for o in outcomes] == [
        ("extract", "skipped"), ("distribute", "skipped"),
        ("quality_gate", "done"), ("export", "done")]
    assert outcomes[2].result["state"] == "passed" and outcomes[2].result["done"] == 1.0
    exported = (raw / "exports" / "day1.jsonl").read_text().splitlines()
    assert len(exported) == 6

    # day 2: two new objects; the model trained on day 1's labels pre-labels them
    for key, text in DAY2.items():
        (raw / f"{key}.json").write_text(json.dumps({"text": text}))
    with db.session() as s:
        report = assist.train_from_project(s, world.manager, world.project_id,
                                           predictor=BagOfWords(), heldout=0.0)
        saved.save(report.predictor, saved.model_path(tmp_path / "home", world.project_id))
    day2 = parse(spec_text(raw, {"extract": {}, "prelabel": {"model": "saved"}}))
    with in_process() as lw:
        outcomes = run(day2, lw, RunState(tmp_path / "state.json", "day2"))
    assert outcomes[0].result["added_items"] == 2 and outcomes[0].result["added_objects"] == 2
    assert outcomes[1].result["predicted"] == 2
    with db.read_session() as s:
        predicted = s.scalars(select(Prediction).where(
            Prediction.project_id == world.project_id)).all()
    assert len(predicted) == 2


def test_a_failed_gate_raises_with_its_report_and_tells_the_webhooks(db, site, tmp_path):
    world, raw = site
    with db.session() as s:
        hook = webhooks.create(s, world.manager, world.project_id, "https://example.org/h",
                               ["quality_gate.failed"], tmp_path).hook.id
    stages = {"extract": {}, "distribute": {"overlap": 1},
              "quality_gate": {"min_done": 0.5, "min_agreement": 0.8, "timeout_s": 5,
                               "poll_s": 0.1}}
    spec = parse(spec_text(raw, stages))
    with in_process() as lw:
        run(parse(spec_text(raw, {"extract": {}, "distribute": {"overlap": 1}})), lw,
            RunState(tmp_path / "s.json", "x"))
        label_all(db, world)
        with pytest.raises(QualityGateFailed) as failed:
            run(spec, lw, RunState(tmp_path / "s.json", "y"))
    report = failed.value.details
    assert report["state"] == "failed" and report["done"] == 1.0
    assert report["reasons"] == ["agreement is undefined (no item has two answers)"]
    with db.read_session() as s:
        sent = s.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook)).all()
    assert [d.event for d in sent] == ["quality_gate.failed"]
    assert sent[0].payload["data"]["reasons"] == report["reasons"]


def test_the_command_prints_each_stage_and_its_time(db, site, tmp_path):
    world, raw = site
    spec = tmp_path / "daily.yaml"
    spec.write_text(spec_text(raw, {"extract": {}, "distribute": {"overlap": 1}}))
    out = CliRunner().invoke(cli, ["pipeline", "run", str(spec), "--run-id", "r1"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].startswith("extract") and lines[0].endswith("added_items=6")
    assert lines[1].startswith("distribute") and " s  " in lines[1]
    assert lines[2].startswith("total")
    again = CliRunner().invoke(cli, ["pipeline", "run", str(spec), "--run-id", "r1"])
    assert "extract       skipped" in again.output
    checked = CliRunner().invoke(cli, ["pipeline", "check", str(spec)])
    assert checked.exit_code == 0 and "extract -> distribute" in checked.output
    spec.write_text("version: 1\nname: daily\nproject: p1\nstages:\n  export: {format: x}\n")
    bad = CliRunner().invoke(cli, ["pipeline", "run", str(spec)])
    assert bad.exit_code == 2
    assert f"{spec}:5: stages.export.url: Field required" in bad.output
