from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from labelwell.errors import Conflict, Forbidden, InvalidInput, LeaseExpired, NotFound
from labelwell.store.tables import Annotation, Assignment, Item, utcnow
from labelwell.work import queue
from statements import sent_here
from world import build_world


def _label(db, actor, project_id, value="positive", **kwargs):
    with db.session() as s:
        task = queue.next_task(s, actor, project_id)
    if task is None:
        return None
    with db.session() as s:
        annotation, _ = queue.submit(s, actor, task.assignment_id, {"sentiment": value}, **kwargs)
    return task, annotation


def test_next_task_then_submit_records_provenance(db):
    w = build_world(db, n_items=2)
    ann = w.annotators[0]
    task, annotation = _label(db, ann, w.project_id, time_spent_ms=1234)
    assert task.data["text"].startswith("text number")
    assert task.guideline_version == 1
    assert annotation.source == "human" and annotation.agent == ann.email
    assert annotation.assignment_id == task.assignment_id
    assert annotation.guideline_version == 1
    assert annotation.time_spent_ms == 1234


def test_asking_twice_returns_the_same_live_lease(db):
    w = build_world(db, n_items=3)
    with db.session() as s:
        first = queue.next_task(s, w.annotators[0], w.project_id)
    with db.session() as s:
        again = queue.next_task(s, w.annotators[0], w.project_id)
    assert first.assignment_id == again.assignment_id


def test_overlap_is_never_exceeded_and_nobody_gets_an_item_twice(db):
    w = build_world(db, n_annotators=5, n_items=4, overlap=3)
    served = {a.email: [] for a in w.annotators}
    for _ in range(4):
        for a in w.annotators:
            done = _label(db, a, w.project_id)
            if done:
                served[a.email].append(done[0].item_id)
    for items_of_one in served.values():
        assert len(items_of_one) == len(set(items_of_one))
    with db.session() as s:
        per_item = dict(s.execute(select(Annotation.item_id, func.count())
                                  .where(Annotation.source == "human")
                                  .group_by(Annotation.item_id)).all())
        statuses = set(s.scalars(select(Item.status)))
    assert per_item and all(n == 3 for n in per_item.values())
    assert len(per_item) == 4 and statuses == {"done"}
    assert _label(db, w.annotators[0], w.project_id) is None


def test_expired_lease_returns_the_slot_and_a_late_submit_is_refused(db):
    w = build_world(db, n_annotators=2, n_items=1, overlap=1)
    slow, fast = w.annotators
    with db.session() as s:
        stale = queue.next_task(s, slow, w.project_id)
    with db.session() as s:
        assert queue.next_task(s, fast, w.project_id) is None  # the only slot is leased
        s.execute(update(Assignment).values(expires_at=utcnow() - timedelta(seconds=1)))
    with db.session() as s:
        queue.reclaim_expired(s, w.project_id, force=True)
    task, _ = _label(db, fast, w.project_id)
    assert task.item_id == stale.item_id
    with pytest.raises(LeaseExpired), db.session() as s:
        queue.submit(s, slow, stale.assignment_id, {"sentiment": "negative"})
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Annotation)) == 1


def test_a_late_submit_is_accepted_while_the_slot_is_still_free(db):
    w = build_world(db, n_annotators=1, n_items=1, overlap=1)
    ann = w.annotators[0]
    with db.session() as s:
        task = queue.next_task(s, ann, w.project_id)
        s.execute(update(Assignment).values(expires_at=utcnow() - timedelta(seconds=1)))
    with db.session() as s:
        queue.reclaim_expired(s, w.project_id, force=True)
    with db.session() as s:
        annotation, created = queue.submit(s, ann, task.assignment_id, {"sentiment": "neutral"})
    assert created
    with db.session() as s:
        item = s.get(Item, task.item_id)
        assert (item.n_done, item.n_active, item.status) == (1, 1, "done")


def test_submit_is_idempotent_with_a_key(db):
    w = build_world(db, n_items=2)
    ann = w.annotators[0]
    with db.session() as s:
        task = queue.next_task(s, ann, w.project_id)
    with db.session() as s:
        first, created = queue.submit(s, ann, task.assignment_id, {"sentiment": "positive"},
                                      idempotency_key="k1")
    with db.session() as s:
        again, created_again = queue.submit(s, ann, task.assignment_id,
                                            {"sentiment": "positive"}, idempotency_key="k1")
    assert created and not created_again and first.id == again.id
    with pytest.raises(Conflict), db.session() as s:
        queue.submit(s, ann, task.assignment_id, {"sentiment": "positive"})
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Annotation)) == 1


def test_invalid_result_is_refused_and_changes_nothing(db):
    w = build_world(db, n_items=1)
    ann = w.annotators[0]
    with db.session() as s:
        task = queue.next_task(s, ann, w.project_id)
    with pytest.raises(InvalidInput) as err, db.session() as s:
        queue.submit(s, ann, task.assignment_id, {"sentiment": "furious"})
    assert err.value.field == "sentiment"
    with db.session() as s:
        assert s.get(Assignment, task.assignment_id).status == "leased"
        assert s.get(Item, task.item_id).n_done == 0
        assert s.scalar(select(func.count()).select_from(Annotation)) == 0


def test_skip_needs_a_reason_and_never_serves_the_item_again(db):
    w = build_world(db, n_items=1)
    ann = w.annotators[0]
    with db.session() as s:
        task = queue.next_task(s, ann, w.project_id)
    with pytest.raises(InvalidInput), db.session() as s:
        queue.skip(s, ann, task.assignment_id, "  ")
    with db.session() as s:
        queue.skip(s, ann, task.assignment_id, "not in English")
    with db.session() as s:
        assert queue.next_task(s, ann, w.project_id) is None
        assert s.get(Item, task.item_id).status == "open"
    other = w.annotators[1]
    task2, _ = _label(db, other, w.project_id)
    assert task2.item_id == task.item_id


def test_someone_elses_assignment_is_not_found(db):
    w = build_world(db, n_items=1)
    with db.session() as s:
        task = queue.next_task(s, w.annotators[0], w.project_id)
    with pytest.raises(NotFound), db.session() as s:
        queue.submit(s, w.annotators[1], task.assignment_id, {"sentiment": "positive"})


def test_gold_items_are_mixed_in_and_do_not_count_toward_overlap(db):
    w = build_world(db, n_annotators=2, n_items=3, overlap=1, gold={0: {"sentiment": "positive"}})
    from labelwell.work import projects

    with db.session() as s:
        projects.update_project(s, w.manager, w.project_id, {"gold_ratio": 1.0})
    served = []
    for a in w.annotators:
        task, annotation = _label(db, a, w.project_id)
        served.append(task.item_id)
        assert annotation.is_gold_check
    assert served[0] == served[1]  # gold is served to everyone, overlap aside
    with db.session() as s:
        gold_item = s.get(Item, served[0])
        assert gold_item.is_gold and gold_item.n_done == 0


def test_required_skills_keep_ineligible_annotators_out(db):
    w = build_world(db, n_items=1, required_skills=["ko"])
    with pytest.raises(Forbidden) as err, db.session() as s:
        queue.next_task(s, w.annotators[0], w.project_id)
    assert "ko" in err.value.message


def test_outsiders_cannot_reach_the_queue(db):
    w = build_world(db, n_items=1)
    with pytest.raises(NotFound), db.session() as s:
        queue.next_task(s, w.outsider, w.project_id)


def test_annotators_see_responses_without_their_provenance(db):
    from labelwell.formats.registry import ImportRow
    from labelwell.work import items as items_service
    from labelwell.work import labels, projects

    w = build_world(db, n_items=1)
    ontology = {"name": "cmp", "controls": [
        {"name": "preference", "type": "pairwise", "source": "responses"}]}
    data = {"prompt": "hi", "responses": [
        {"id": "a", "text": "hello", "provenance": {"model": "big", "temperature": 0.7}},
        {"id": "b", "text": "hey", "provenance": {"model": "small", "temperature": 0.7}}]}
    with db.session() as s:
        project = projects.create_project(s, w.manager, "cmp", ontology, gold_ratio=0.0)
        projects.set_member(s, w.manager, project.id, w.annotators[0].id, "annotator")
        items_service.import_rows(s, w.manager, project.id, [ImportRow(line=1, data=data)])
    with db.session() as s:
        item_id = s.scalar(select(Item.id).where(Item.project_id == project.id))
        for version in ("1", "2"):
            labels.add_predictions(s, w.manager, project.id, [
                {"item_id": item_id, "result": {"preference": {"choice": "a"}},
                 "model_name": "judge", "model_version": version, "score": 0.8}])
    with db.session() as s:
        task = queue.next_task(s, w.annotators[0], project.id)
    assert all("provenance" not in r for r in task.data["responses"])
    assert [(x.model_name, x.model_version) for x in task.suggestions] == [("judge", "2")]
    with db.session() as s:
        assert s.get(Item, item_id).data["responses"][0]["provenance"]["model"] == "big"


def test_qualification_serves_gold_first_and_gates_real_work(db):
    from labelwell.errors import Conflict as ConflictError
    from labelwell.work import projects

    gold = {0: {"sentiment": "positive"}, 1: {"sentiment": "negative"}, 2: {"sentiment": "neutral"}}
    w = build_world(db, n_annotators=3, n_items=6, overlap=3, gold=gold)
    with db.session() as s:
        projects.update_project(s, w.manager, w.project_id,
                                {"settings": {"qualification": {"items": 2, "pass_mark": 0.85}}})
    good, bad, _ = w.annotators
    answers = {"text number 0": "positive", "text number 1": "negative",
               "text number 2": "neutral"}
    for _ in range(2):
        with db.session() as s:
            task = queue.next_task(s, good, w.project_id)
        with db.session() as s:
            item = s.get(Item, task.item_id)
            assert item.is_gold  # nothing but gold while qualifying
            queue.submit(s, good, task.assignment_id, {"sentiment": answers[item.data["text"]]})
        with db.session() as s:
            task = queue.next_task(s, bad, w.project_id)
        with db.session() as s:
            queue.submit(s, bad, task.assignment_id, {"sentiment": "positive"})
    with db.session() as s:
        task = queue.next_task(s, good, w.project_id)
        assert not s.get(Item, task.item_id).is_gold  # passed: real work now
    with pytest.raises(Forbidden, match="not passed"), db.session() as s:
        queue.next_task(s, bad, w.project_id)
    with pytest.raises(InvalidInput), db.session() as s:
        projects.update_project(s, w.manager, w.project_id,
                                {"settings": {"qualification": {"items": 0}}})
    with db.session() as s:
        projects.update_project(s, w.manager, w.project_id,
                                {"settings": {"qualification": {"items": 5}}})
    third = w.annotators[2]
    for _ in range(3):
        with db.session() as s:
            task = queue.next_task(s, third, w.project_id)
        with db.session() as s:
            queue.submit(s, third, task.assignment_id, {"sentiment": "neutral"})
    with pytest.raises(ConflictError, match="too few gold"), db.session() as s:
        queue.next_task(s, third, w.project_id)


def _statements_of_a_lease(db, actor, project_id):
    """Every statement one ``next_task`` sends (:func:`statements.sent_here`)."""
    with sent_here(db) as sent, db.unit() as unit:
        task = queue.next_task(unit, actor, project_id)
    assert task is not None
    return task, sent


def test_leasing_a_gold_and_a_regular_item_sends_the_same_statements(db, monkeypatch):
    from labelwell.work.queue import leasing

    # gold_ratio 1: the one gold item first, then a regular one after the gold ran out
    w = build_world(db, n_items=3, gold_ratio=1.0, gold={1: {"sentiment": "negative"}})
    monkeypatch.setattr(leasing, "RECLAIM_EVERY_S", 0.0)  # the same lapsed-lease sweep each time
    ann = w.annotators[0]
    gold, gold_sent = _statements_of_a_lease(db, ann, w.project_id)
    with db.session() as s:
        queue.submit(s, ann, gold.assignment_id, {"sentiment": "negative"})
    regular, regular_sent = _statements_of_a_lease(db, ann, w.project_id)
    with db.session() as s:
        assert s.get(Item, gold.item_id).is_gold and not s.get(Item, regular.item_id).is_gold
    assert gold_sent and gold_sent == regular_sent
    if db.dialect == "postgresql":  # one server-side function call either way
        assert len(gold_sent) == 1 and "labelwell_" in gold_sent[0]


def test_the_gold_search_walks_its_own_index_in_order(db):
    """The gold search reads ix_items_gold_candidates (servable gold rows only)
    in its ORDER BY, so it stops at its limit and never sorts or filters the
    staged rows of an import in progress (PostgreSQL's read count is checked in
    tests/work/test_import_atomic.py)."""
    from labelwell.work.queue import statements

    if db.dialect != "sqlite":
        pytest.skip("SQLite's query plan (PostgreSQL runs the search in labelwell_next_task)")
    build_world(db, n_items=3, gold={0: {"sentiment": "positive"}})
    with db.engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statements.GOLD_CANDIDATES.sqlite, (1, 1, 50))]
    assert any("USING INDEX ix_items_gold_candidates" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
