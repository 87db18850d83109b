"""The weak-supervision service on a live project: votes stored as predictions,
the LF summary against people's labels, label-model fit and confidence routing."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select
from statsmodels.stats.proportion import proportion_confint

from labelwell.assist.routing import RoutingPolicy, route
from labelwell.errors import InvalidInput, NotFound
from labelwell.store.tables import Annotation, Item, Prediction, Project
from labelwell.weak import LabelModel, LFAnalysis, LFApplier
from labelwell.weak.lf import Batch
from labelwell.work import labels, queue
from labelwell.work import weak as service
from world import build_world

HAM, SPAM = 0, 1
SPAM_ONTOLOGY = {
    "name": "youtube spam",
    "controls": [
        {
            "name": "label",
            "type": "choice",
            "source": "text",
            "options": ["ham", "spam"],
            "required": True,
        }
    ],
}
_SPAM = [
    "check out my channel for more music",
    "subscribe to me please, I upload every day",
    "free gift card at http://example.com/win",
    "check out http://spam.example.org now",
    "please subscribe and like my video",
    "visit my channel, subscribe, win a free phone",
    "make money fast at https://money.example.net",
    "I love this song, check out my cover on my channel",
]
_HAM = [
    "love this song",
    "this song never gets old",
    "best video ever",
    "who is listening in 2015?",
    "the dance at the end is great",
    "my favourite song of the year",
    "her voice is amazing",
    "this video has too many views lol",
]
#: 48 comments, spam and ham interleaved, with their true class.
COMMENTS = [(t, SPAM) for t in _SPAM] + [(t, HAM) for t in _HAM]
COMMENTS = [(f"{t} #{k}", y) for k in range(3) for t, y in COMMENTS]

LFS_SOURCE = """
import re

from labelwell.weak import keyword_lf, labeling_function

HAM, SPAM, ABSTAIN = 0, 1, -1

subscribe = keyword_lf("subscribe", ["subscribe", "channel"], SPAM)


@labeling_function()
def check_out(x):
    return SPAM if "check out" in x.text.lower() else ABSTAIN


@labeling_function()
def has_link(x):
    return SPAM if re.search(r"https?://", x.text) else ABSTAIN


@labeling_function()
def song(x):
    return HAM if "song" in x.text.lower() else ABSTAIN


@labeling_function()
def short(x):
    return HAM if len(x.text.split()) <= 5 else ABSTAIN
"""


def write_lfs(tmp_path):
    path = tmp_path / "spam_lfs.py"
    path.write_text(LFS_SOURCE)
    return path


def spam_world(db, **settings):
    return build_world(
        db, n_annotators=2, ontology=SPAM_ONTOLOGY, texts=[t for t, _ in COMMENTS], **settings
    )


def direct_L(lfs):
    """The votes computed without the platform, in item (= comment) order."""
    return LFApplier(lfs).apply([{"text": t} for t, _ in COMMENTS], progress=False).L


def label_through_queue(db, world, n):
    """Annotators label the first ``n`` items they are given, correctly."""
    truth = dict(COMMENTS)
    done = 0
    for actor in world.annotators:
        while done < n:
            with db.session() as s:
                task = queue.next_task(s, actor, world.project_id)
                if task is None:
                    break
                answer = ["ham", "spam"][truth[task.data["text"]]]
                queue.submit(s, actor, task.assignment_id, {"label": answer})
            done += 1
    return done


@pytest.fixture
def lfs(tmp_path):
    return service.load_labeling_functions(write_lfs(tmp_path))


def test_load_finds_every_labeling_function(lfs, tmp_path):
    assert sorted(lf.name for lf in lfs) == ["check_out", "has_link", "short", "song", "subscribe"]
    empty = tmp_path / "none.py"
    empty.write_text("x = 1\n")
    with pytest.raises(InvalidInput, match="no @labeling_function"):
        service.load_labeling_functions(empty)


def test_apply_stores_votes_with_provenance(db, lfs):
    world = spam_world(db)
    done = service.apply_lfs(db, world.manager, world.project_id, lfs, chunk=10)
    L = direct_L(lfs)
    assert done.n_items == len(COMMENTS) and done.n_votes == int((L >= 0).sum())
    with db.read_session() as s:
        rows = (
            s.execute(
                select(Prediction)
                .where(Prediction.project_id == world.project_id)
                .order_by(Prediction.item_id)
            )
            .scalars()
            .all()
        )
        item_ids = list(
            s.scalars(select(Item.id).where(Item.project_id == world.project_id).order_by(Item.id))
        )
    assert len(rows) == done.n_votes
    versions = {lf.name: lf.version for lf in lfs}
    stored = np.full(L.shape, -1)
    names = [lf.name for lf in lfs]
    for p in rows:
        assert p.source == "labeling_function" and p.model_version == versions[p.model_name]
        assert p.score is None and set(p.result) == {"label"}
        stored[item_ids.index(p.item_id), names.index(p.model_name)] = ["ham", "spam"].index(
            p.result["label"]
        )
    np.testing.assert_array_equal(stored, L)
    # applying again replaces the votes instead of adding to them
    service.apply_lfs(db, world.manager, world.project_id, lfs)
    with db.read_session() as s:
        n = s.scalar(select(func.count()).select_from(Prediction))
    assert n == done.n_votes


def test_a_vote_outside_the_options_is_refused(db, tmp_path):
    world = spam_world(db)
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from labelwell.weak import labeling_function\n\n"
        "@labeling_function()\ndef three(x):\n    return 2\n"
    )
    with pytest.raises(InvalidInput, match="'three' voted 2"):
        service.apply_lfs(db, world.manager, world.project_id, service.load_labeling_functions(bad))


def test_summary_equals_lf_analysis_and_gives_empirical_accuracies(db, lfs):
    gold = {0: {"label": "spam"}, 8: {"label": "ham"}, 9: {"label": "ham"}}
    world = spam_world(db, gold_ratio=0.0)
    with db.session() as s:
        ids = list(
            s.scalars(select(Item.id).where(Item.project_id == world.project_id).order_by(Item.id))
        )
        for row, result in gold.items():
            labels.set_gold(s, world.manager, ids[row], result)
    service.apply_lfs(db, world.manager, world.project_id, lfs)
    n_human = label_through_queue(db, world, 20)
    L = direct_L(lfs)
    names = [lf.name for lf in lfs]
    with db.read_session() as s:
        summary = service.lf_summary(s, world.manager, world.project_id)
        labeled = {
            i: a
            for i, a in s.execute(
                select(Annotation.item_id, Annotation.result).where(Annotation.source == "human")
            )
        }
    # reference labels: gold first, then people's labels from the queue
    Y = np.full(len(COMMENTS), -1)
    for row, item_id in enumerate(ids):
        if item_id in labeled:
            Y[row] = ["ham", "spam"].index(labeled[item_id]["label"])
    for row, result in gold.items():
        Y[row] = ["ham", "spam"].index(result["label"])
    assert summary.n_items == len(COMMENTS) and summary.n_labeled == int((Y >= 0).sum())
    assert summary.label_sources == {"gold": 3, "consensus": 0, "human": n_human}
    direct = LFAnalysis(L, names)
    assert summary.coverage == pytest.approx(direct.label_coverage())
    assert summary.overlap == pytest.approx(direct.label_overlap())
    assert summary.conflict == pytest.approx(direct.label_conflict())
    known = Y >= 0
    on_known = LFAnalysis(L[known], names).lf_summary(Y[known])
    learned = LabelModel(cardinality=2).fit(L).accuracies_
    by_name = {r.name: r for r in summary.lfs}
    assert sorted(by_name) == sorted(names)
    for j, name in enumerate(names):
        r = by_name[name]
        assert r.coverage == pytest.approx(direct.lf_coverages()[j])
        assert r.overlaps == pytest.approx(direct.lf_overlaps()[j])
        assert r.conflicts == pytest.approx(direct.lf_conflicts()[j])
        assert r.polarity == [["ham", "spam"][c] for c in direct.lf_polarities()[j]]
        assert r.correct == on_known.loc[name, "Correct"]
        assert r.incorrect == on_known.loc[name, "Incorrect"]
        assert r.empirical_accuracy == pytest.approx(on_known.loc[name, "Emp. Acc."])
        assert r.learned_accuracy == pytest.approx(learned[j])
        n = r.correct + r.incorrect
        low, high = proportion_confint(r.correct, n, method="wilson") if n else (0.0, 1.0)
        assert r.accuracy_n == n and r.few_votes == (n < 30)
        assert (r.accuracy_low, r.accuracy_high) == (pytest.approx(low), pytest.approx(high))
    # too few labelled items to choose on: the default model, said so
    assert summary.label_model == "label_model" and "under 50" in summary.label_model_reason
    # the LFs are made to be mostly right on these comments
    assert by_name["has_link"].empirical_accuracy == 1.0


def test_summary_agrees_with_snorkel(db, lfs):
    snorkel = pytest.importorskip("snorkel.labeling")
    world = spam_world(db)
    service.apply_lfs(db, world.manager, world.project_id, lfs)
    with db.read_session() as s:
        summary = service.lf_summary(s, world.manager, world.project_id)
    L = direct_L(lfs).astype(np.int64)
    theirs = snorkel.LFAnalysis(L, lfs).lf_summary()
    for r in summary.lfs:
        assert r.coverage == pytest.approx(theirs.loc[r.name, "Coverage"])
        assert r.overlaps == pytest.approx(theirs.loc[r.name, "Overlaps"])
        assert r.conflicts == pytest.approx(theirs.loc[r.name, "Conflicts"])


def test_fit_stores_label_model_predictions_with_confidence(db, lfs):
    world = spam_world(db)
    with db.session() as s, pytest.raises(InvalidInput, match="weak apply"):
        service.fit_label_model(s, world.manager, world.project_id)
    service.apply_lfs(db, world.manager, world.project_id, lfs)
    with db.session() as s:
        fitted = service.fit_label_model(s, world.manager, world.project_id)
    L = direct_L(lfs)
    model = LabelModel(cardinality=2).fit(L)
    proba, pred = model.predict_proba(L), model.predict(L)
    covered = (L >= 0).any(axis=1) & (pred >= 0)
    assert fitted.n_predictions == int(covered.sum()) and fitted.routes is None
    with db.read_session() as s:
        ids = list(
            s.scalars(select(Item.id).where(Item.project_id == world.project_id).order_by(Item.id))
        )
        stored = {
            p.item_id: p
            for p in s.scalars(select(Prediction).where(Prediction.model_name == "label_model"))
        }
    assert len(stored) == fitted.n_predictions
    for row in np.flatnonzero(covered):
        p = stored[ids[row]]
        assert p.source == "labeling_function" and p.model_version == fitted.model_version
        assert p.result == {"label": ["ham", "spam"][pred[row]]}
        assert p.score == pytest.approx(proba[row].max())
    truth = np.array([y for _, y in COMMENTS])
    assert (pred[covered] == truth[covered]).mean() >= 0.8
    # a second fit replaces the first one's labels
    with db.session() as s:
        service.fit_label_model(s, world.manager, world.project_id)
        assert (
            s.scalar(select(func.count()).where(Prediction.model_name == "label_model"))
            == fitted.n_predictions
        )


def test_fit_routes_items_by_confidence(db, lfs):
    world = spam_world(db)
    service.apply_lfs(db, world.manager, world.project_id, lfs)
    n_human = label_through_queue(db, world, 4)
    with db.read_session() as s:
        ids = list(
            s.scalars(select(Item.id).where(Item.project_id == world.project_id).order_by(Item.id))
        )
        labeled = set(s.scalars(select(Annotation.item_id).where(Annotation.source == "human")))
    policy = RoutingPolicy(approve_threshold=0.9, review_threshold=0.6, spot_check_rate=0.1)
    with db.session() as s:
        fitted = service.fit_label_model(
            s, world.manager, world.project_id, route=True, policy=policy, seed=3
        )
    L = direct_L(lfs)
    model = LabelModel(cardinality=2).fit(L)
    proba, pred = model.predict_proba(L), model.predict(L)
    confidence = np.where((L >= 0).any(axis=1) & (pred >= 0), proba.max(axis=1), 0.0)
    free = np.array([i not in labeled for i in ids])
    expected = route(confidence[free], policy, seed=3).counts()
    assert fitted.routes == {**expected, "skipped": n_human, "leased_meanwhile": 0}
    assert sum(expected[k] for k in ("auto_approve", "review", "label")) == len(ids) - n_human
    kept = expected["auto_approve"] - expected["spot_check"]
    assert kept > 0 and expected["review"] > 0 and expected["label"] > 0
    with db.read_session() as s:
        items = {
            it.id: it
            for it in s.execute(
                select(Item.id, Item.status, Item.n_done, Item.priority, Item.review_state).where(
                    Item.project_id == world.project_id
                )
            )
        }
        weak = s.execute(
            select(
                Annotation.item_id, Annotation.agent, Annotation.result, Annotation.details
            ).where(Annotation.source == "labeling_function", Annotation.status == "accepted")
        ).all()
    # kept as training labels: the item is done with the weak label as its label
    assert len(weak) == kept
    for item_id, agent, result, details in weak:
        assert items[item_id].status == "done" and items[item_id].n_done == 1
        assert agent == f"label_model@{fitted.model_version}"
        assert details["weak_label"] and details["score"] >= 0.9
        assert result == {"label": ["ham", "spam"][pred[ids.index(item_id)]]}
    # the others stay for people: the ones to label first, those to review after
    open_free = [items[i] for i in ids if i not in labeled and items[i].status == "open"]
    assert {p: sum(1 for it in open_free if it.priority == p) for p in (0.0, 1.0)} == {
        0.0: expected["review"] + expected["spot_check"],
        1.0: expected["label"],
    }
    assert all(it.review_state is None for it in items.values())
    with db.session() as s:
        task = queue.next_task(s, world.annotators[1], world.project_id)
        assert task is not None and s.get(Item, task.item_id).priority == 1.0
        # the weak label is among the suggestions shown
        assert "label_model" in {x.model_name for x in task.suggestions}
    # a second routing leaves the items done and the leased one alone
    with db.session() as s:
        again = service.fit_label_model(
            s, world.manager, world.project_id, route=True, policy=policy
        )
    assert again.routes["skipped"] == n_human + kept + 1


def test_store_votes_on_some_items_replaces_only_theirs(db, lfs):
    world = spam_world(db)
    service.apply_lfs(db, world.manager, world.project_id, lfs)
    L, names = direct_L(lfs), [lf.name for lf in lfs]
    with db.session() as s:
        ids, data = service.read_items(s, world.manager, world.project_id, limit=len(COMMENTS))
        rows = [0, 2, 9]
        matrix = LFApplier(lfs).apply([data[r] for r in rows], progress=False)
        flipped = np.where(matrix.L >= 0, 1 - matrix.L, -1)
        before = s.scalar(select(func.count()).select_from(Prediction))
        stored = service.store_votes(
            s,
            world.manager,
            world.project_id,
            [ids[r] for r in rows],
            type(matrix)(flipped, matrix.lf_names, matrix.lf_versions),
        )
        after = s.scalar(select(func.count()).select_from(Prediction))
        votes = s.execute(select(Prediction.item_id, Prediction.model_name, Prediction.result))
        changed = {
            item_id
            for item_id, name, result in votes
            if result["label"] != ["ham", "spam"][L[ids.index(item_id), names.index(name)]]
        }
    assert stored == int((matrix.L >= 0).sum()) and after == before
    assert changed == {ids[r] for k, r in enumerate(rows) if (matrix.L[k] >= 0).any()}


def test_votes_for_items_of_another_project_are_refused(db, lfs):
    world = spam_world(db)
    matrix = LFApplier(lfs).apply([{"text": "check out my channel"}], progress=False)
    with db.session() as s, pytest.raises(NotFound, match="not in project"):
        service.store_votes(s, world.manager, world.project_id, [10_000], matrix)


def test_loaded_lfs_travel_to_dask_workers_by_value(lfs):
    """The LF file is not importable on a worker, so its functions must be pickled
    by value (what ``dask.distributed`` does when plain pickle cannot)."""
    from distributed.protocol.pickle import dumps, loads

    batch = Batch([{"text": t} for t, _ in COMMENTS])
    for lf in lfs:
        again = loads(dumps(lf))
        assert again is not lf and (again.name, again.version) == (lf.name, lf.version)
        np.testing.assert_array_equal(again.vote_batch(batch), lf.vote_batch(batch))


def test_summary_before_any_vote_is_empty(db):
    world = spam_world(db)
    with db.read_session() as s:
        summary = service.lf_summary(s, world.manager, world.project_id)
    assert summary.lfs == [] and summary.n_items == len(COMMENTS) and summary.coverage == 0.0


def test_the_latest_vote_of_an_lf_on_an_item_counts(db, lfs):
    world = spam_world(db)
    service.apply_lfs(db, world.manager, world.project_id, lfs)
    L, names = direct_L(lfs), [lf.name for lf in lfs]
    j = names.index("has_link")
    row = int(np.flatnonzero(L[:, j] == SPAM)[0])
    with db.session() as s:
        project = s.get(Project, world.project_id)
        ids = service.stored_votes(s, project).item_ids.tolist()
        # e.g. a vote sent again with the SDK, which appends
        labels.add_predictions(
            s,
            world.manager,
            world.project_id,
            [
                {
                    "item_id": ids[row],
                    "source": "labeling_function",
                    "model_name": "has_link",
                    "model_version": "newer",
                    "result": {"label": "ham"},
                },
            ],
        )
        votes = service.stored_votes(s, project)
    expected = L.copy()
    expected[row, j] = HAM
    np.testing.assert_array_equal(votes.L[:, [votes.lf_names.index(n) for n in names]], expected)
    assert votes.lf_versions[votes.lf_names.index("has_link")] == "newer"
