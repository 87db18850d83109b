"""Bulk actions of the data manager on ticked ids or on a filter, each audited,
and each person's saved views."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from labelwell.errors import Conflict, Forbidden, InvalidInput, NotFound
from labelwell.formats.registry import EXPORTERS
from labelwell.store.tables import Annotation, AuditEntry, GoldAnswer, Item
from labelwell.work import data_manager as dm
from labelwell.work import items, queue
from labelwell.work.data_manager import Filter, TableQuery, actions, views
from labelwell.work.data_manager.actions import Selection
from world import build_world


def _ids(db, world):
    with db.read_session() as s:
        return [i.id for i in items.list_items(s, world.manager, world.project_id)]


def _label_all(db, world):
    for actor in world.annotators:
        while True:
            with db.session() as s:
                task = queue.next_task(s, actor, world.project_id)
                if task is None:
                    break
                queue.submit(s, actor, task.assignment_id, {"sentiment": "positive"})


def _audit(db, action):
    with db.read_session() as s:
        return s.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_gold_set_on_fresh_items_skips_labelled_ones_and_clear_undoes_it(db):
    world = build_world(db, n_annotators=1, n_items=4)
    ids = _ids(db, world)
    with db.session() as s:
        task = queue.next_task(s, world.annotators[0], world.project_id)  # item 0 leased
    with db.session() as s:
        out = actions.set_gold(
            s, world.manager, world.project_id, Selection(tuple(ids[:3])), {"sentiment": "neutral"}
        )
    assert (out.selected, out.changed, out.skipped) == (3, 2, 1)
    with db.read_session() as s:
        gold = set(s.scalars(select(Item.id).where(Item.is_gold.is_(True))))
        assert gold == set(ids[1:3]) and task.item_id == ids[0]
    with db.session() as s, pytest.raises(InvalidInput):
        actions.set_gold(
            s, world.manager, world.project_id, Selection(tuple(ids)), {"sentiment": "nope"}
        )
    flt = TableQuery(filters=(Filter("gold", "eq", True),))
    with db.session() as s:
        out = actions.clear_gold(s, world.manager, world.project_id, Selection(query=flt))
    assert (out.selected, out.changed) == (2, 2)
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(GoldAnswer)) == 0
    assert _audit(db, "items.gold_clear")[0].details["filter"]["filters"][0]["column"] == "gold"


def test_review_and_requeue_on_a_filter(db):
    world = build_world(db, n_annotators=2, n_items=3, overlap=2)
    _label_all(db, world)
    done = Selection(query=TableQuery(filters=(Filter("status", "eq", "done"),)))
    with db.session() as s:
        out = actions.send_to_review(s, world.manager, world.project_id, done)
    assert (out.selected, out.changed) == (3, 3)
    with db.session() as s:
        out = actions.requeue(s, world.manager, world.project_id, done)
    assert out.changed == 3
    with db.read_session() as s:
        rows = s.execute(select(Item.status, Item.n_done, Item.n_active, Item.review_state)).all()
        assert set(rows) == {("open", 0, 0, None)}
        current = s.scalar(select(func.count()).where(Annotation.is_current.is_(True)))
        kept = s.scalar(select(func.count()).select_from(Annotation))
    assert current == 0 and kept == 9  # 6 answers and 3 consensus labels kept as history
    # the same people are not given the items again; a newcomer is
    with db.session() as s:
        assert queue.next_task(s, world.annotators[0], world.project_id) is None
    assert len(_audit(db, "items.requeue")) == 1


def test_delete_needs_the_count_confirmed_and_is_audited(db):
    world = build_world(db, n_items=5)
    ids = _ids(db, world)
    pick = Selection(tuple(ids[:2]) + (10**9,))  # an id of no item here drops out
    with db.session() as s, pytest.raises(Conflict) as exc:
        actions.delete_items(s, world.manager, world.project_id, pick, confirm=3)
    assert exc.value.details["selected"] == 2
    with db.session() as s:
        out = actions.delete_items(s, world.manager, world.project_id, pick, confirm=2)
    assert out.changed == 2
    assert _ids(db, world) == ids[2:]
    entry = _audit(db, "items.delete")[0]
    assert entry.details["item_ids"] == ids[:2] and entry.actor == "manager@example.org"
    with db.read_session() as s:
        assert dm.page(s, world.manager, world.project_id, TableQuery(search="number")).rows


@pytest.mark.parametrize("fmt", ["jsonl", "label_studio"])
def test_export_writes_only_the_selection(db, fmt):
    world = build_world(db, n_items=6, texts=[f"row {w}" for w in "abcdef"])
    ids = _ids(db, world)
    exporter = EXPORTERS.get(fmt)()
    for selection, want in (
        (Selection(tuple(ids[1:3])), ["row b", "row c"]),
        (Selection(query=TableQuery(search="e")), ["row e"]),
        (Selection(query=TableQuery(filters=(Filter("id", "ge", ids[4]),))), ["row e", "row f"]),
    ):
        out = io.BytesIO()
        with db.read_session() as s:
            n = actions.export(s, world.manager, world.project_id, selection, exporter, out)
        text = out.getvalue().decode()
        assert n == len(want)
        assert [w for w in (f"row {c}" for c in "abcdef") if w in text] == want


def test_actions_are_for_managers_of_the_project(db):
    world = build_world(db, n_items=2)
    other = build_world_second(db, world)
    ids = _ids(db, world)
    for actor in (world.reviewer, world.annotators[0]):
        with db.session() as s, pytest.raises(Forbidden):
            actions.clear_gold(s, actor, world.project_id, Selection(tuple(ids)))
    with db.session() as s, pytest.raises(NotFound):
        actions.delete_items(s, world.outsider, world.project_id, Selection(tuple(ids)), 2)
    # ids of another project never leak into a selection
    with db.session() as s:
        out = actions.send_to_review(s, world.manager, other, Selection(tuple(ids)))
    assert out.selected == 0
    with pytest.raises(InvalidInput):
        Selection().check()


def build_world_second(db, world):
    from labelwell.work import projects
    from world import SENTIMENT

    with db.session() as s:
        return projects.create_project(s, world.manager, "p2", SENTIMENT).id


def test_views_are_saved_per_person_and_checked(db):
    world = build_world(db, n_items=1)
    q = TableQuery(filters=(Filter("status", "eq", "open"),), sort="agreement", descending=True)
    with db.session() as s:
        assert views.layout(s, world.manager, world.project_id)["columns"][0] == "id"
        views.save(s, world.manager, world.project_id, "open ones", q, ["data", "status"])
        views.save(s, world.manager, world.project_id, "", TableQuery(), ["status", "id"])
        views.save(s, world.admin, world.project_id, "mine", TableQuery(), ["id"])
    with db.session() as s:
        mine = views.list_views(s, world.manager, world.project_id)
        assert [v.name for v in mine] == ["open ones"]
        assert TableQuery.of(mine[0].state) == q
        assert views.layout(s, world.manager, world.project_id)["columns"] == ["status", "id"]
        with pytest.raises(NotFound):
            views.delete(s, world.admin, world.project_id, mine[0].id)
        for bad, field in (([], "columns"), (["id", "id"], "columns[1]"), (["x"], "columns[0]")):
            with pytest.raises(InvalidInput) as exc:
                views.save(s, world.manager, world.project_id, "bad", q, bad)
            assert exc.value.field == field
        views.delete(s, world.manager, world.project_id, mine[0].id)
        assert views.list_views(s, world.manager, world.project_id) == []
        with pytest.raises(Forbidden):
            views.list_views(s, world.annotators[0], world.project_id)


class KeywordModel:
    """A tiny real predictor: 'good' in the text means positive, else negative."""

    name, version = "keywords", "1"
    classes_ = ["negative", "neutral", "positive"]

    def predict_proba(self, texts):
        return [[0.1, 0.1, 0.8] if "good" in t else [0.7, 0.2, 0.1] for t in texts]


def test_prelabel_queues_a_job_for_the_selection_and_predicts_only_it(db):
    from labelwell.store.tables import Job, Prediction
    from labelwell.work import assist

    world = build_world(
        db, n_items=6, texts=[f"good {i}" if i % 2 else f"bad {i}" for i in range(6)]
    )
    ids = _ids(db, world)
    pick = Selection(query=TableQuery(search="good"))
    with db.session() as s:
        first = actions.prelabel(s, world.manager, world.project_id, pick)
    with db.session() as s:
        again = actions.prelabel(s, world.manager, world.project_id, Selection(tuple(ids[:1])))
        job = s.get(Job, first.job_id)
        assert job.kind == "prelabel" and job.options["item_ids"] == ids[1::2]
    assert (first.selected, first.changed) == (3, 3)
    assert again.job_id == first.job_id and again.changed == 0  # one live pre-labeling
    with db.session() as s:
        report = assist.prelabel(
            s, world.manager, world.project_id, KeywordModel(), item_ids=job.options["item_ids"]
        )
    assert report.n_predicted == 3
    with db.read_session() as s:
        predicted = {p.item_id: p.result for p in s.scalars(select(Prediction))}
    assert predicted == {i: {"sentiment": "positive"} for i in ids[1::2]}
    with db.session() as s, pytest.raises(Forbidden):
        actions.prelabel(s, world.reviewer, world.project_id, pick)
