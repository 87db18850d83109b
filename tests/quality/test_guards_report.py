"""Guard findings reach the project quality report (library -> report -> CLI)
and the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from labelwell.quality.simulate import simulate_crowd
from labelwell.server import create_app
from labelwell.work import queue
from labelwell.work.quality_report import quality_report
from world import build_world

NAMES = {"0": "positive", "1": "negative"}


def collapsing_project(db):
    """A project whose answers make one-coin Dawid-Skene collapse a class."""
    answers, _ = simulate_crowd(
        30, 3, 3, 2, class_balance=[0.85, 0.15], per_class=True, accuracy=(0.3, 0.95), seed=9
    )
    table = {(r.task, r.worker): NAMES[r.label] for r in answers.itertuples()}
    texts = [f"t{i}" for i in range(30)]
    world = build_world(db, n_annotators=3, texts=texts, overlap=3)
    for i, actor in enumerate(world.annotators):
        while True:
            with db.session() as s:
                task = queue.next_task(s, actor, world.project_id)
                if task is None:
                    break
                label = table[(task.data["text"], f"w{i}")]
                queue.submit(s, actor, task.assignment_id, {"sentiment": label})
    return world


def test_a_collapsed_fit_is_reported_and_falls_back(db):
    world = collapsing_project(db)
    with db.session() as s:
        report = quality_report(s, world.manager, world.project_id, method="onecoin")
        plain = quality_report(s, world.manager, world.project_id, method="mv")
    (warning,) = [w for w in report.aggregation_warnings if w.kind == "collapsed_class"]
    assert warning.control == "sentiment" and warning.fallback
    assert warning.evidence["model_share"] < 0.01 and warning.method_used == "mv"
    assert "collapsed" in warning.message
    assert warning.message_ko.startswith("sentiment: 라벨 ") and "붕괴" in warning.message_ko
    # the labels shown are majority vote's
    assert [(x.item_id, x.label) for x in report.labels] == [
        (x.item_id, x.label) for x in plain.labels
    ]
    assert plain.aggregation_warnings == []
    from labelwell.server.schemas import QualityReportPublic

    public = QualityReportPublic.model_validate(report).model_dump()
    assert public["aggregation_warnings"][0]["kind"] == warning.kind
    assert public["aggregation_warnings"][0]["message_ko"] == warning.message_ko
    from labelwell.cli.quality_report import render

    assert "[collapsed_class] sentiment: label" in render(report)


def test_the_api_report_carries_the_guard_finding_and_its_evidence(db, settings):
    world = collapsing_project(db)
    headers = {"Authorization": f"Bearer {world.token(world.manager)}"}
    url = f"/api/v1/projects/{world.project_id}/quality"
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        body = client.get(url, params={"method": "onecoin"}, headers=headers).json()
        plain = client.get(url, params={"method": "mv"}, headers=headers).json()
    (warning,) = [w for w in body["aggregation_warnings"] if w["kind"] == "collapsed_class"]
    assert warning["control"] == "sentiment" and warning["fallback"]
    assert warning["method_used"] == "mv" and warning["evidence"]["model_share"] < 0.01
    assert "collapsed" in warning["message"] and "붕괴" in warning["message_ko"]
    assert body["labels"] == plain["labels"] and plain["aggregation_warnings"] == []
