"""Machine help in live projects: pre-labeling, routing, priorities (work/assist.py)."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from labelwell.assist.calibration import TemperatureScaling, expected_calibration_error
from labelwell.assist.predictors import register_predictor
from labelwell.errors import Conflict, InvalidInput
from labelwell.server import create_app
from labelwell.store.tables import Annotation, Calibration, Item, Prediction, Project, SpotCheck
from labelwell.work import assist, labels, queue
from world import build_world

SPAM = {
    "name": "spam",
    "controls": [
        {
            "name": "verdict",
            "type": "choice",
            "source": "text",
            "options": ["ham", "spam"],
            "required": True,
        }
    ],
}
SPAMMY = [
    "subscribe to my channel",
    "free gift card click here",
    "check out my video",
    "subscribe for free gifts",
    "click here for my channel",
    "free video gift",
]
HAMMY = [
    "lovely song and voice",
    "this song is my favourite",
    "beautiful melody",
    "the voice in this song",
    "favourite melody ever",
    "lovely beautiful song",
]


@register_predictor("test-bow")
class BagOfWords:
    """Word counts + logistic regression: a light, real predictor for the tests."""

    name = "test-bow"

    def __init__(self, C: float = 1.0) -> None:
        self.C = C
        self._version = "unfitted"

    @property
    def version(self) -> str:
        return self._version

    @property
    def classes_(self):
        return self.model_.classes_

    def fit(self, items, labels):
        self.vec_ = CountVectorizer().fit(items)
        self.model_ = LogisticRegression(C=self.C).fit(self.vec_.transform(items), labels)
        self._version = f"n{len(labels)}"
        return self

    def predict_proba(self, items):
        return self.model_.predict_proba(self.vec_.transform(items))

    def embed(self, items):
        return self.vec_.transform(items).toarray().astype(np.float64)


def spam_world(db, **settings):
    texts = [t for pair in zip(SPAMMY, HAMMY, strict=True) for t in pair] * 2
    settings.setdefault("settings", {"assist_model": "test-bow"})
    return build_world(db, n_annotators=2, texts=texts, ontology=SPAM, **settings)


def label_items(world, n, *, annotator=0):
    """An annotator labels the next n tasks correctly (service calls, committed)."""
    actor = world.annotators[annotator]
    for _ in range(n):
        with world.db.session() as s:
            task = queue.next_task(s, actor, world.project_id)
            verdict = "spam" if task.data["text"] in SPAMMY else "ham"
            queue.submit(s, actor, task.assignment_id, {"verdict": verdict})


def fitted(texts=SPAMMY + HAMMY):
    return BagOfWords().fit(list(texts), ["spam"] * 6 + ["ham"] * 6)


def test_prelabel_stores_predictions_shown_as_suggestions(db, settings):
    world = spam_world(db)
    seen = []
    with db.session() as s:
        report = assist.prelabel(
            s, world.manager, world.project_id, fitted(), batch_size=5, progress=seen.append
        )
    assert (report.n_pool, report.n_predicted) == (24, 24)
    assert seen == [5, 5, 5, 5, 4]
    with db.read_session() as s:
        rows = s.query(Prediction).all()
    assert {(r.model_name, r.model_version) for r in rows} == {("test-bow", "n12")}
    assert all(r.result["verdict"] in ("ham", "spam") and 0.5 <= r.score <= 1 for r in rows)
    # a rerun with the same model version has nothing left to do
    with db.session() as s:
        assert assist.prelabel(s, world.manager, world.project_id, fitted()).n_pool == 0
    with TestClient(create_app(settings, database=db, migrate=False)) as api:
        headers = {"Authorization": f"Bearer {world.token(world.annotators[0])}"}
        task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=headers).json()
    (suggestion,) = task["suggestions"]
    expected = "spam" if task["data"]["text"] in SPAMMY else "ham"
    assert suggestion["result"] == {"verdict": expected}
    assert suggestion["model_name"] == "test-bow" and suggestion["model_version"] == "n12"


def test_prelabel_resumes_from_a_checkpoint(db, tmp_path):
    world = spam_world(db)
    model = fitted()
    calls = []

    class Crashing:
        name, version, classes_ = model.name, model.version, model.classes_

        def predict_proba(self, items):
            calls.append(len(items))
            if len(calls) == 3:
                raise RuntimeError("worker lost")
            return model.predict_proba(items)

    with pytest.raises(RuntimeError), db.session() as s:
        assist.prelabel(
            s,
            world.manager,
            world.project_id,
            Crashing(),
            batch_size=10,
            checkpoint=tmp_path / "ckpt",
        )
    with db.read_session() as s:
        assert s.query(Prediction).count() == 0  # the crashed job wrote nothing
    with db.session() as s:
        report = assist.prelabel(
            s,
            world.manager,
            world.project_id,
            Crashing(),
            batch_size=10,
            checkpoint=tmp_path / "ckpt",
        )
    assert calls == [10, 10, 4, 4]  # batches 0 and 1 came from the checkpoint
    assert report.n_predicted == 24
    with db.read_session() as s:
        assert s.query(Prediction.item_id).distinct().count() == 24


def test_prelabel_refuses_classes_outside_the_ontology(db):
    world = spam_world(db)
    wrong = BagOfWords().fit(SPAMMY + HAMMY, ["junk"] * 6 + ["ham"] * 6)
    with pytest.raises(InvalidInput, match="junk"), db.session() as s:
        assist.prelabel(s, world.manager, world.project_id, wrong)


def test_train_from_project_calibrates_on_held_out_labels(db):
    world = spam_world(db)
    label_items(world, 20)
    with db.session() as s:
        ids, texts, ys = assist.training_set(s, s.get(Project, world.project_id))
        report = assist.train_from_project(s, world.manager, world.project_id, heldout=0.3)
    assert len(ids) == 20 and ys == ["spam" if t in SPAMMY else "ham" for t in texts]
    assert (report.n_train, report.n_heldout) == (14, 6)
    assert report.predictor.name == "test-bow"
    # cross-check against the library on the same held-out split
    order = np.random.default_rng(0).permutation(20)
    held, train = order[:6], order[6:]
    ref = BagOfWords().fit([texts[i] for i in train], [ys[i] for i in train])
    probs = ref.predict_proba([texts[i] for i in held])
    truth = np.searchsorted(ref.classes_, [ys[i] for i in held])
    scaler = TemperatureScaling().fit(probs, truth, from_probs=True)
    assert report.temperature == pytest.approx(scaler.temperature_)
    assert report.ece_before == pytest.approx(expected_calibration_error(probs, truth))
    assert report.ece_after == pytest.approx(
        expected_calibration_error(scaler.predict_proba(probs, from_probs=True), truth)
    )
    assert report.ece_after <= report.ece_before + 1e-9
    with db.session() as s:  # a second training keeps the first's summary only
        assist.train_from_project(s, world.manager, world.project_id, heldout=0.3)
    with db.read_session() as s:
        rows = s.query(Calibration).order_by(Calibration.id).all()
        settings = s.get(Project, world.project_id).settings
    assert [r.project_id for r in rows] == [world.project_id] * 2
    assert rows[0].confidence is None and rows[0].correct is None
    newest = rows[1]
    assert newest.model_version == report.predictor.version and newest.n_labels == 20
    assert newest.temperature == pytest.approx(report.temperature)
    assert newest.confidence == pytest.approx(report.confidence.tolist(), abs=1e-6)
    assert newest.correct == report.correct.tolist() and len(newest.correct) == 6
    assert settings == {"assist_model": "test-bow"}  # nothing of the training in settings


def test_training_set_uses_consensus_and_skips_ties(db):
    world = spam_world(db, overlap=2)
    for a in (0, 1):
        label_items(world, 2, annotator=a)  # both label the same first two items
    with db.read_session() as s:
        project = s.get(Project, world.project_id)
        ids, _, ys = assist.training_set(s, project)
        n_consensus = s.query(Annotation).filter_by(source="consensus").count()
    assert len(ids) == 2 and n_consensus == 2  # agreement stores a consensus label
    with db.session() as s:
        item = s.query(Item).filter(Item.status == "open").order_by(Item.id).first()
        for a, verdict in zip(world.annotators, ("spam", "ham"), strict=True):
            task = queue.next_task(s, a, world.project_id)
            assert task.item_id == item.id
            queue.submit(s, a, task.assignment_id, {"verdict": verdict})
    with db.read_session() as s:
        assert len(assist.training_set(s, s.get(Project, world.project_id))[0]) == 2


def with_scores(db, world, scores):
    """Store one model prediction per item with the given calibrated scores."""
    with db.session() as s:
        items = s.query(Item).filter_by(project_id=world.project_id).order_by(Item.id).all()
        preds = [
            {
                "item_id": it.id,
                "model_name": "m",
                "model_version": "1",
                "score": sc,
                "result": {"verdict": "spam"},
            }
            for it, sc in zip(items, scores, strict=False)
        ]
        labels.add_predictions(s, world.manager, world.project_id, preds)
    return [it.id for it in items[: len(scores)]]


def test_route_auto_approves_reviews_and_hides_low_suggestions(db):
    world = spam_world(db)
    scores = [0.99] * 10 + [0.9] * 10 + [0.7, 0.6] + [0.3, 0.2]
    ids = with_scores(db, world, scores)
    with db.session() as s:
        report = assist.route(s, world.manager, world.project_id, spot_check=0.1, seed=3)
    assert report.counts() == {"auto_approve": 18, "spot_check": 2, "review": 2, "label": 2}
    assert report.review == ids[20:22] and report.label == ids[22:]
    assert set(report.auto_approved) | set(report.spot_checks) == set(ids[:20])
    with db.read_session() as s:
        auto = s.query(Annotation).filter_by(source="model").all()
        assert sorted(a.item_id for a in auto) == sorted(report.auto_approved)
        assert all(a.status == "accepted" and a.agent == "model:m@1" for a in auto)
        assert all(
            a.details["route"] == "auto_approve" and a.details["score"] >= 0.85 for a in auto
        )
        done = {i.id for i in s.query(Item).filter_by(status="done")}
    assert done == set(report.auto_approved)
    served = {}
    for annotator in world.annotators[:1]:
        for _ in range(6):
            with db.session() as s:
                task = queue.next_task(s, annotator, world.project_id)
                if task is None:
                    break
                served[task.item_id] = [x.score for x in task.suggestions]
                queue.submit(s, annotator, task.assignment_id, {"verdict": "ham"})
    assert set(served) == set(report.spot_checks) | set(ids[20:])
    assert all(served[i] == [] for i in ids[22:])  # labeled from scratch: hidden
    assert all(served[i] for i in ids[20:22]) and all(served[i] for i in report.spot_checks)
    with db.read_session() as s:
        conf, ok = assist.spot_check_outcomes(s, s.get(Project, world.project_id))
        checked = s.query(SpotCheck.item_id).filter_by(project_id=world.project_id).all()
        settings = s.get(Project, world.project_id).settings
    assert conf.tolist() == [0.99, 0.99] or conf.tolist() == [0.9, 0.9] or conf.size == 2
    assert not ok.any()  # the people said ham, the model spam
    assert sorted(i for (i,) in checked) == sorted(report.spot_checks)
    # settings hold the threshold routing set, never the spot checks
    assert settings == {"assist_model": "test-bow", "suggestion_min_score": 0.5}


def test_spot_checks_are_rows_and_settings_stay_the_same_size(db):
    """Each routing adds its spot checks as rows (an item once); the settings
    column the queue parses with every task does not grow."""
    world = spam_world(db)
    ids = with_scores(db, world, [0.95] * 24)
    drawn, sizes = [], []
    for seed in (1, 2, 3):
        with db.session() as s:
            report = assist.route(
                s, world.manager, world.project_id, threshold=0.9, spot_check=0.5, seed=seed
            )
            drawn.extend(report.spot_checks)
            sizes.append(len(orjson.dumps(s.get(Project, world.project_id).settings)))
    with db.session() as s:
        rows = [i for (i,) in s.query(SpotCheck.item_id).filter_by(project_id=world.project_id)]
        unchecked = sorted(set(ids) - set(rows))[:2]
        assert assist.add_spot_checks(s, world.project_id, unchecked * 2 + rows[:1]) == 2
        assert assist.add_spot_checks(s, world.project_id, unchecked) == 0
    assert len(drawn) > len(set(drawn)) > 0  # routings drew some items twice
    assert sorted(rows) == sorted(set(drawn))  # stored once each
    assert sizes == [sizes[0]] * 3


def test_route_spot_check_draw_is_seeded(tmp_path):
    from conftest import make_database

    picks = []
    for k in range(2):
        (tmp_path / str(k)).mkdir()
        other, _ = make_database("sqlite", tmp_path / str(k))
        world = spam_world(other)
        with_scores(other, world, [0.95] * 24)
        with other.session() as s:
            report = assist.route(s, world.manager, world.project_id, spot_check=0.25, seed=11)
        picks.append(sorted(report.spot_checks))
        other.dispose()
    assert len(picks[0]) == 6 and picks[0] == picks[1]


def test_route_target_precision_uses_the_calibration_data(db):
    world = spam_world(db)
    with db.session() as s, pytest.raises(Conflict, match="train"):
        assist.route(s, world.manager, world.project_id, target_precision=0.9)
    with db.session() as s:
        project = s.get(Project, world.project_id)
        conf = np.r_[np.full(60, 0.97), np.full(20, 0.8), np.full(20, 0.6)]
        correct = np.r_[np.ones(60), np.r_[np.ones(12), np.zeros(8)], np.zeros(20)].astype(bool)
        assist.record_training(s, project.id, model_version="m-1", temperature=1.0,
                               n_labels=100, confidence=conf.tolist(), correct=correct.tolist())
    with_scores(db, world, [0.98, 0.96, 0.9, 0.8])
    with db.session() as s:
        report = assist.route(
            s, world.manager, world.project_id, target_precision=0.9, spot_check=0.0
        )
    assert report.threshold == pytest.approx(0.97)
    assert len(report.auto_approved) == 1 and len(report.review) == 3
    with db.read_session() as s:  # observed precision 72/80 at 0.8, without the bound
        project = s.get(Project, world.project_id)
        assert assist.choose_threshold(s, project, 0.9, level=None) == pytest.approx(0.8)
    with db.session() as s:
        nothing = assist.route(s, world.manager, world.project_id, target_precision=1.0)
    assert nothing.threshold == float("inf") and nothing.auto_approved == []


def test_reprioritise_changes_the_next_task(db):
    world = spam_world(db)
    model = fitted()
    with db.session() as s:
        first = queue.next_task(s, world.annotators[0], world.project_id)
        queue.skip(s, world.annotators[0], first.assignment_id, "warm-up")
    with db.session() as s:
        report = assist.reprioritise(s, world.manager, world.project_id, model, n=5)
        project = s.get(Project, world.project_id)
        assert project.ordering == "priority"
        pool = s.query(Item).filter(Item.project_id == world.project_id).order_by(Item.id).all()
    texts = [i.data["text"] for i in pool]
    p = np.sort(model.predict_proba(texts), axis=1)
    margin = p[:, -1] - p[:, -2]
    expected = [pool[i].id for i in np.argsort(margin, kind="stable")[:5]]
    assert report.chosen == expected and report.n_pool == 24
    with db.session() as s:
        task = queue.next_task(s, world.annotators[1], world.project_id)
    assert task.item_id == expected[0]
    with db.read_session() as s:
        prio = {i.id: i.priority for i in s.query(Item)}
    assert [prio[i] for i in expected] == [5.0, 4.0, 3.0, 2.0, 1.0]
    assert sum(v > 0 for v in prio.values()) == 5


def test_reprioritise_with_a_diversity_strategy(db):
    world = spam_world(db)
    with db.session() as s:
        report = assist.reprioritise(
            s, world.manager, world.project_id, fitted(), strategy="kcenter", n=3, seed=0
        )
        assert len(set(report.chosen)) == 3
        with pytest.raises(InvalidInput, match="unknown selection strategy"):
            assist.reprioritise(s, world.manager, world.project_id, fitted(), strategy="nope")


def test_route_tightens_when_spot_checks_fall_below_target(db):
    world = spam_world(db)
    ids = with_scores(db, world, [0.99] * 4 + [0.975] * 4 + [0.98] * 4)
    with db.session() as s:
        project = s.get(Project, world.project_id)
        conf = np.r_[np.full(60, 0.97), np.full(20, 0.6)]
        correct = np.r_[np.ones(60), np.zeros(20)].astype(bool)
        assist.record_training(s, project.id, model_version="m-1", temperature=1.0,
                               n_labels=80, confidence=conf.tolist(), correct=correct.tolist())
        assist.add_spot_checks(s, project.id, ids[:8])
    for k in range(8):  # people agree with the 0.99 suggestions, not with the 0.975 ones
        with db.session() as s:
            task = queue.next_task(s, world.annotators[0], world.project_id)
            assert task.item_id == ids[k]
            queue.submit(
                s, world.annotators[0], task.assignment_id, {"verdict": "spam" if k < 4 else "ham"}
            )
    with db.read_session() as s:
        conf_seen, ok = assist.spot_check_outcomes(s, s.get(Project, world.project_id))
    outcomes = sorted(zip(conf_seen.tolist(), ok.tolist(), strict=True))
    assert outcomes == [(0.975, False)] * 4 + [(0.99, True)] * 4
    with db.session() as s:
        report = assist.route(
            s, world.manager, world.project_id, target_precision=0.9, spot_check=0.0, min_checks=4
        )
    assert report.threshold == pytest.approx(0.99)  # 0.97 from calibration, raised
    assert report.auto_approved == [] and report.review == ids[8:]


def test_prelabel_on_a_dask_cluster_stores_the_same_predictions(db):
    distributed = pytest.importorskip("dask.distributed")
    world = spam_world(db)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        db.session() as s,
    ):
        report = assist.prelabel(
            s,
            world.manager,
            world.project_id,
            fitted(),
            batch_size=5,
            executor="dask",
            client=client,
        )
    assert (report.n_pool, report.n_predicted) == (24, 24)
    with db.read_session() as s:
        on_dask = {
            (p.item_id, p.result["verdict"], round(p.score, 9)) for p in s.query(Prediction).all()
        }
    model = fitted()
    with db.read_session() as s:
        items = {i.id: i.data["text"] for i in s.query(Item).all()}
    probs = model.predict_proba(list(items.values()))
    expected_labels = model.classes_[probs.argmax(axis=1)]
    assert {(i, str(v)) for i, v in zip(items, expected_labels, strict=True)} == {
        (i, v) for i, v, _ in on_dask
    }
