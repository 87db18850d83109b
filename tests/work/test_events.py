"""Live events: sent exactly when the change commits, on either database, and
filtered by what each role may know; presence by role and blindness."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from labelwell.store.raw import Raw
from labelwell.store.tables import LiveEvent, Project, utcnow
from labelwell.work import events, presence, projects, queue
from labelwell.work.events import Event, Viewer, visible
from labelwell.work.events.hub import Hub
from statements import sent_here
from world import SENTIMENT, build_world


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=2, n_items=4, overlap=1)


def heard(db, project_id: int, change, *, expect: int) -> list[Event]:
    """The events a process's hub hands to a stream of the project while
    ``change()`` runs (waiting for ``expect`` of them, then a little more)."""

    async def listen() -> list[Event]:
        hub = Hub(db)
        subscription = await hub.subscribe(project_id, user_id=1)
        try:
            await asyncio.to_thread(change)
            got: list[Event] = []
            while True:
                wait = 10.0 if len(got) < expect else 0.6
                try:
                    got.append(await asyncio.wait_for(subscription.queue.get(), wait))
                except TimeoutError:
                    return got
        finally:
            hub.unsubscribe(subscription)
            await hub.close()

    # a loop of its own in a thread of its own: an earlier test of the run (a
    # browser test's driver) may have left this thread's loop running
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, listen()).result()


def test_a_submit_is_heard_once_it_commits_and_a_rollback_sends_nothing(db, world):
    annotator = world.annotators[0]

    def change() -> None:
        with db.session() as s:
            task = queue.next_task(s, annotator, world.project_id)
        with pytest.raises(RuntimeError), db.session() as s:
            events.publish(s, world.project_id, events.ITEMS_CHANGED, {"count": 99})
            raise RuntimeError("rolled back")
        with db.session() as s:
            queue.submit(s, annotator, task.assignment_id, {"sentiment": "positive"})
        with db.session() as s:  # another project's event never reaches this stream
            other = projects.create_project(s, world.manager, "other", SENTIMENT)
            s.flush()
            events.publish(s, other.id, events.ITEMS_CHANGED, {"count": 1})

    got = heard(db, world.project_id, change, expect=1)
    assert [(e.kind, e.payload["user_id"], e.payload["done"]) for e in got] == [
        (events.SUBMITTED, annotator.id, 1)]


def test_sqlite_keeps_events_for_resume_and_prunes_old_ones(db, world, backend):
    if backend != "sqlite":
        pytest.skip("PostgreSQL sends events with NOTIFY and stores none")
    with db.session() as s:
        for n in range(3):
            events.publish(s, world.project_id, events.IMPORTED, {"count": n})
    with db.read_session() as s:
        first, *rest = events.after(Raw(s), 0, project_id=world.project_id)
        later = events.after(Raw(s), int(first.id), project_id=world.project_id)
    assert [e.payload["count"] for e in later] == [1, 2] == [e.payload["count"] for e in rest]
    with db.session() as s:
        s.execute(update(LiveEvent).where(LiveEvent.id == int(first.id))
                  .values(created_at=utcnow() - timedelta(seconds=events.RETAIN_S + 1)))
        assert events.prune(s) == 1
    with db.read_session() as s:
        assert len(s.scalars(select(LiveEvent)).all()) == 2


def test_each_role_receives_what_it_may_know():
    submitted = Event("1", 1, events.SUBMITTED, {"item_id": 5, "user_id": 7, "done": 1})
    gold = Event("2", 1, events.SUBMITTED, {"item_id": 6, "user_id": 7, "gold": True})
    here = Event("3", 1, events.PRESENCE, {"count": 3})
    job = Event("4", 1, events.JOB_FINISHED, {"job_id": 1, "kind": "retrain", "state": "done"})
    manager, reviewer = Viewer("manager", blind=True), Viewer("reviewer", blind=True)
    annotator, blind = Viewer("annotator", blind=False), Viewer("annotator", blind=True)
    assert visible(gold, manager) == gold.payload and visible(job, manager) == job.payload
    assert visible(submitted, reviewer) == submitted.payload
    assert visible(gold, reviewer) is None and visible(gold, annotator) is None
    assert visible(submitted, annotator) == {} and visible(job, annotator) is None
    assert visible(here, annotator) == {"count": 3} and visible(here, blind) is None


def test_presence_is_names_for_managers_a_count_for_others(db, world):
    annotator = world.annotators[0]
    with db.session() as s:
        s.execute(update(Project).where(Project.id == world.project_id).values(blind=False))
        presence.beat(s, annotator, world.project_id, "workspace")
        presence.beat(s, world.reviewer, world.project_id, "review")
    with db.read_session() as s:
        seen = presence.present(s, world.manager, world.project_id)
        counted = presence.present(s, annotator, world.project_id)
    assert {p.email: p.page for p in seen.people} == {
        annotator.email: "workspace", world.reviewer.email: "review"}
    assert counted.people == [] and counted.count == 2
    with db.session() as s:
        s.execute(update(Project).where(Project.id == world.project_id).values(blind=True))
    with db.read_session() as s:
        assert presence.present(s, annotator, world.project_id).count is None
        assert presence.present(s, world.reviewer, world.project_id).count == 2


def test_postgresql_notifies_after_the_commit_never_inside_the_transaction(db, world, backend):
    """A transaction that notifies holds one database-wide lock through its
    commit's WAL flush, so the submit itself sends no ``pg_notify``: the
    process's sender does, once the submit committed."""
    if backend != "postgres":
        pytest.skip("SQLite's events are rows written in the transaction")
    annotator = world.annotators[0]
    sent: list[str] = []

    def change() -> None:
        with db.session() as s:
            task = queue.next_task(s, annotator, world.project_id)
        with sent_here(db) as statements, db.session() as s:
            queue.submit(s, annotator, task.assignment_id, {"sentiment": "positive"})
        sent.extend(statements)

    got = heard(db, world.project_id, change, expect=1)
    assert [e.kind for e in got] == [events.SUBMITTED]
    assert sent and not [sql for sql in sent if "pg_notify" in sql.lower()]
