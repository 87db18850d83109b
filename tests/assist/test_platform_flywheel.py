"""The flywheel through the API, its retrain lease, served models and the built-in one."""

from __future__ import annotations

import threading
from datetime import timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient

from assist.test_http_backend import NaiveBayes, labelwell_protocol_routes, serve  # noqa: F401
from assist.test_platform_assist import HAMMY, SPAMMY, BagOfWords, label_items, spam_world
from labelwell.assist.http_backend import HTTPBackend
from labelwell.assist.predictors import register_predictor
from labelwell.server import create_app
from labelwell.store.tables import (
    AuditEntry,
    Calibration,
    FlywheelState,
    Item,
    Job,
    Prediction,
    Project,
    utcnow,
)
from labelwell.work import assist, jobs
from waiting import wait_for

FLYWHEEL = {"flywheel": True, "retrain_every": 6, "assist_model": "test-bow"}


def verdict(text):
    return "spam" if text in SPAMMY else "ham"


def submit_through_api(api, world, n, annotator=0):
    headers = {"Authorization": f"Bearer {world.token(world.annotators[annotator])}"}
    served = []
    for _ in range(n):
        task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=headers)
        body = task.json()
        served.append(body["item_id"])
        done = api.post(
            f"/api/v1/assignments/{body['assignment_id']}/submit",
            json={"result": {"verdict": verdict(body["data"]["text"])}},
            headers=headers,
        )
        assert done.status_code == 201
    return served


def test_labels_through_the_api_retrain_and_reprioritise(db, settings):
    world = spam_world(db, settings=FLYWHEEL)
    with TestClient(create_app(settings, database=db, migrate=False)) as api:
        fifo = submit_through_api(api, world, 5)
        with db.read_session() as s:
            assert s.query(Prediction).count() == 0  # 5 < retrain_every
        submit_through_api(api, world, 1)
        with db.read_session() as s:  # the server only queued the retrain
            assert s.query(Prediction).count() == 0
            assert [(j.kind, j.state) for j in s.query(Job)] == [("retrain", "queued")]
        assert jobs.work(db, settings.home, once=True) == 1  # `labelwell worker --once`
        with db.read_session() as s:
            project = s.get(Project, world.project_id)
            state = s.get(FlywheelState, world.project_id)
            preds = s.query(Prediction).all()
            prio = dict(s.query(Item.id, Item.priority).filter(Item.status != "done").all())
            texts = {i.id: i.data["text"] for i in s.query(Item)}
        assert project.ordering == "priority"
        assert state.labels_at_retrain == 6 and state.lease_owner is None
        assert state.lease_expires_at is None
        assert project.settings == FLYWHEEL  # the flywheel wrote nothing there
        assert len(preds) == 18 and {p.model_name for p in preds} == {"test-bow"}
        # the queue now serves the pool by margin of the retrained model
        assert {p.model_version.split("-T")[0] for p in preds} == {"n5"}  # one of 6 held out
        assert all(p.result["verdict"] in ("ham", "spam") for p in preds)
        assert len(texts) == 24
        top = max(prio, key=lambda i: (prio[i], -i))
        assert prio[top] == 18.0 and sorted(prio.values()) == [float(v) for v in range(1, 19)]
        nxt = submit_through_api(api, world, 1, annotator=1)
        assert nxt == [top] and top not in fifo
        # suggestions from the retrained model show in the workspace
        headers = {"Authorization": f"Bearer {world.token(world.annotators[1])}"}
        task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=headers).json()
        assert task["suggestions"][0]["model_name"] == "test-bow"
        # five more labels (six since the retrain with the open task) retrain again
        api.post(
            f"/api/v1/assignments/{task['assignment_id']}/submit",
            json={"result": {"verdict": verdict(task["data"]["text"])}},
            headers=headers,
        )
        submit_through_api(api, world, 4, annotator=1)
    assert jobs.work(db, settings.home, once=True) == 1
    with db.read_session() as s:
        retrains = s.query(AuditEntry).filter_by(action="assist.retrain").all()
        state = s.get(FlywheelState, world.project_id)
        versions = [c.model_version for c in s.query(Calibration).order_by(Calibration.id)]
    assert [r.details["labels"] for r in retrains] == [6, 12]
    assert state.labels_at_retrain == 12 and state.lease_owner is None
    assert [v.split("-T")[0] for v in versions] == ["n5", "n10"]  # a calibration per retrain


def test_flywheel_off_means_no_retrain(db, settings):
    world = spam_world(db, settings={**FLYWHEEL, "flywheel": False})
    with TestClient(create_app(settings, database=db, migrate=False)) as api:
        submit_through_api(api, world, 7)
    with db.read_session() as s:
        assert s.query(Prediction).count() == 0
        assert s.query(Job).count() == 0


#: set by the test to let a SlowBagOfWords fit finish
FIT_MAY_FINISH = threading.Event()


@register_predictor("test-slow-bow")
class SlowBagOfWords(BagOfWords):
    """A retrain that holds its lease until the test lets it finish."""

    name = "test-slow-bow"

    def fit(self, items, labels):
        assert FIT_MAY_FINISH.wait(timeout=60), "the test never let the fit finish"
        return super().fit(items, labels)


def test_one_retrain_per_project_at_a_time(db):
    world = spam_world(db, settings={**FLYWHEEL, "assist_model": "test-slow-bow"})
    label_items(world, 6)
    outcomes = []
    threads = [
        threading.Thread(target=lambda: outcomes.append(assist.maybe_retrain(db, world.project_id)))
        for _ in range(3)
    ]
    FIT_MAY_FINISH.clear()
    for t in threads:
        t.start()
    try:  # one retrain holds the lease while it fits: the other two are refused meanwhile
        wait_for(lambda: len(outcomes) == 2, 30, "two retrains to be refused during the third")
    finally:
        FIT_MAY_FINISH.set()
    for t in threads:
        t.join()
    assert outcomes[:2] == [None, None]
    assert sum(o is not None for o in outcomes) == 1
    # a lease held elsewhere blocks a forced retrain until it lapses
    hold(db, world.project_id, "another-process", timedelta(minutes=5))
    assert assist.maybe_retrain(db, world.project_id, force=True) is None
    hold(db, world.project_id, "crashed-process", -timedelta(seconds=1))
    outcome = assist.maybe_retrain(db, world.project_id, force=True)
    assert outcome is not None and outcome.labels == 6 and len(outcome.chosen) == 18


def hold(db, project_id, owner, left):
    """Another process's lease on the project's retrains, ``left`` from now."""
    with db.session() as s:
        state = s.get(FlywheelState, project_id)
        state.lease_owner, state.lease_expires_at = owner, utcnow() + left


def test_the_lease_is_taken_once_by_racing_servers(db):
    """Many threads (each its own connection, as separate servers) claim the
    same lease at the same moment: the guarded UPDATE lets exactly one win,
    only the owner gives it back, and a retrain not due is never claimed."""
    world = spam_world(db, settings=FLYWHEEL)
    label_items(world, 6)
    start = threading.Barrier(8)
    won = []

    def race(k):
        start.wait()
        if assist.claim(db, world.project_id, f"server-{k}") is not None:
            won.append(k)

    threads = [threading.Thread(target=race, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    winner = f"server-{won[0]}"
    assert not assist.release(db, world.project_id, "server-x", labels_at_retrain=6)
    with db.read_session() as s:
        assert s.get(FlywheelState, world.project_id).lease_owner == winner
    assert assist.release(db, world.project_id, winner, labels_at_retrain=6)
    # free again, but no new labels since the retrain at 6: not due (unless forced)
    assert assist.claim(db, world.project_id, "server-y") is None
    assert assist.claim(db, world.project_id, "server-y", force=True) == 6


def test_prelabel_with_a_model_served_over_http(db, serve):  # noqa: F811
    nb = NaiveBayes()
    for text in SPAMMY:
        nb.learn(text, "spam")
    for text in HAMMY:
        nb.learn(text, "ham")
    url = serve(labelwell_protocol_routes(nb))
    world = spam_world(db)
    backend = HTTPBackend(url, batch_size=7)
    assert backend.health()["model"] == "naive-bayes"
    with db.session() as s:
        report = assist.prelabel(s, world.manager, world.project_id, backend, batch_size=10)
        preds = s.query(Prediction).order_by(Prediction.item_id).all()
        texts = {i.id: i.data["text"] for i in s.query(Item)}
    backend.close()
    assert report.n_predicted == 24 and report.model_name == "naive-bayes"
    assert {p.model_version for p in preds} == {"nb-12"}
    for p in preds:
        probs = nb.proba(texts[p.item_id])
        assert p.result == {"verdict": nb.classes[int(np.argmax(probs))]}
        assert p.score == pytest.approx(max(probs))


def test_builtin_model_trains_prelabels_and_routes(db, minilm):
    from labelwell.assist.embeddings import SentenceEmbedder

    world = spam_world(db, settings={})
    label_items(world, 12)
    predictor = assist.make_predictor("minilm-logreg", embedder=SentenceEmbedder(model=minilm))
    with db.session() as s:
        report = assist.train_from_project(
            s, world.manager, world.project_id, predictor=predictor, heldout=0.25
        )
        assert report.predictor.name == "minilm-logreg" and report.n_heldout == 3
        pre = assist.prelabel(s, world.manager, world.project_id, report.predictor)
        routed = assist.route(s, world.manager, world.project_id, threshold=0.6, spot_check=0.0)
        preds = {p.item_id: p for p in s.query(Prediction)}
        texts = {i.id: i.data["text"] for i in s.query(Item)}
    assert pre.n_predicted == 12
    correct = [preds[i].result["verdict"] == verdict(texts[i]) for i in preds]
    assert np.mean(correct) >= 0.75
    assert sum(routed.counts().values()) == 12
    assert all(preds[i].score >= 0.6 for i in routed.auto_approved)
