"""PostgreSQL: only the submit that completes its item at overlap 2 or more
opens a transaction (migration 0028); the others commit in their one call. The
checks forecast the completing submit, which then writes in one call
(migration 0029); one the forecast missed is written again in a transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from labelwell.store.raw import Unit
from labelwell.store.tables import Annotation, Assignment, Item
from labelwell.work import queue
from labelwell.work.queue import postgres
from labelwell.work.queue.records import Draft
from statements import round_trips
from world import build_world


@pytest.fixture
def pg(db):
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's autocommit units")
    return db


def _leases(db, world):
    tasks = []
    for annotator in world.annotators:
        with db.unit(autocommit=True) as unit:
            tasks.append(queue.next_task(unit, annotator, world.project_id))
    assert len({t.item_id for t in tasks}) == 1
    return tasks


def test_only_the_completing_submit_opens_a_transaction(pg, monkeypatch):
    world = build_world(pg, n_annotators=3, texts=["one item"], overlap=3)
    tasks = _leases(pg, world)
    opened: list[int] = []
    require = Unit.require_transaction

    def counted(unit, **options):  # type: ignore[no-untyped-def]
        opened.append(1)
        require(unit, **options)

    monkeypatch.setattr(Unit, "require_transaction", counted)
    writes = _count_writes(monkeypatch)
    per_submit = []
    trips = []
    for annotator, task in zip(world.annotators, tasks, strict=True):
        before = len(opened)
        with pg.unit(autocommit=True) as unit, round_trips(unit) as waited:
            answer = {"sentiment": "positive"}
            _, created = queue.submit(unit, annotator, task.assignment_id, answer)
            unit.commit()  # as the unit would on leaving the block
        assert created
        per_submit.append(len(opened) - before)
        trips.extend(waited)
    assert per_submit == [0, 0, 1]
    # the checks, then the write; the completing write's transaction is
    # pipelined: BEGIN with the call, the decision's writes with COMMIT
    assert trips == [2, 2, 3]
    assert writes == [False, False, True]  # one call each, the third in its transaction
    with pg.session() as s:
        item = s.scalar(select(Item).where(Item.project_id == world.project_id))
        sources = sorted(s.scalars(select(Annotation.source).where(Annotation.item_id == item.id)))
    assert item.status == "done" and item.n_done == 3
    assert sources == ["consensus", "human", "human", "human"]  # decided with the third


def _count_writes(monkeypatch) -> list[bool]:
    """The ``complete`` flag of every ``labelwell_submit`` call, in order."""
    calls: list[bool] = []
    write = postgres.write

    def counted(*args, complete):  # type: ignore[no-untyped-def]
        calls.append(complete)
        return write(*args, complete=complete)

    monkeypatch.setattr(postgres, "write", counted)
    return calls


def test_a_completion_the_checks_did_not_foresee_is_written_again(pg, monkeypatch):
    world = build_world(pg, n_annotators=3, texts=["one item"], overlap=3)
    tasks = _leases(pg, world)
    answer = {"sentiment": "positive"}
    with pg.unit(autocommit=True) as unit:
        queue.submit(unit, world.annotators[0], tasks[0].assignment_id, answer)
    pending = postgres.pending

    def then_another_answer(*args):  # type: ignore[no-untyped-def]
        found = pending(*args)  # the item has one answer of three
        monkeypatch.setattr(postgres, "pending", pending)
        with pg.unit(autocommit=True) as other:  # the second comes meanwhile
            queue.submit(other, world.annotators[1], tasks[1].assignment_id, answer)
        return found

    monkeypatch.setattr(postgres, "pending", then_another_answer)
    writes = _count_writes(monkeypatch)
    with pg.unit(autocommit=True) as unit:
        _, created = queue.submit(unit, world.annotators[2], tasks[2].assignment_id, answer)
    assert created
    assert writes == [False, False, True]  # the second's; the third's refused, then again
    with pg.session() as s:
        item = s.get(Item, tasks[2].item_id)
        sources = sorted(s.scalars(select(Annotation.source).where(Annotation.item_id == item.id)))
    assert item.status == "done" and item.n_done == 3
    assert sources == ["consensus", "human", "human", "human"]


def test_outside_a_transaction_the_completing_write_stores_nothing(pg):
    world = build_world(pg, n_annotators=2, texts=["one item"], overlap=2)
    first, second = _leases(pg, world)
    for annotator, task, outcome in (
        (world.annotators[0], first, "stored"),
        (world.annotators[1], second, "completes"),
    ):
        with pg.unit(autocommit=True) as unit:
            actor, todo = postgres.pending(unit.raw, annotator, task.assignment_id, None, None)
            draft = Draft({"sentiment": "positive"}, {}, 5, None, todo.leased_at)
            written = postgres.write(
                unit.raw, actor, task.assignment_id, todo, draft, complete=False
            )
        assert written.outcome == outcome
    with pg.session() as s:
        n_answers = s.scalar(select(func.count()).select_from(Annotation))
        lease = s.get(Assignment, second.assignment_id)
        item = s.get(Item, second.item_id)
    assert n_answers == 1 and lease.status == "leased"  # the second wrote nothing
    assert item.n_done == 1 and item.status == "full"


def _stored(pg, item_id):
    with pg.session() as s:
        item = s.get(Item, item_id)
        n_answers = s.scalar(
            select(func.count()).select_from(Annotation).where(Annotation.item_id == item_id)
        )
    return item.n_done, item.review_state, n_answers


@pytest.mark.parametrize("fails", ["in Python", "in a write sent with COMMIT"])
def test_a_completing_submit_that_fails_stores_nothing(pg, monkeypatch, fails):
    """The pipelined transaction rolls back whole, whether the work raises
    before its commit or a write sent with the ``COMMIT`` fails, and the
    connection goes back to the pool clean."""
    from labelwell.store.raw import Statement
    from labelwell.work import consensus

    world = build_world(pg, n_annotators=3, texts=["one item"], overlap=3)
    tasks = _leases(pg, world)
    answers = ["positive", "positive", "negative"]  # the third sends the item to review
    for annotator, task, label in list(zip(world.annotators, tasks, answers, strict=True))[:2]:
        with pg.unit(autocommit=True) as unit:
            queue.submit(unit, annotator, task.assignment_id, {"sentiment": label})
    if fails == "in Python":
        def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("the decision failed")

        monkeypatch.setattr(consensus, "decide_item", broken)
        expected: type[Exception] = RuntimeError
    else:  # the audit row's NOT NULL ``action``, known to the database only
        monkeypatch.setattr(consensus, "_AUDIT", Statement(
            "INSERT INTO audit_log (at, actor_id, actor, action, project_id, target_type,"
            " target_id, details) VALUES (?, NULL, 'system', NULL || ?, ?, 'item', ?, ?json)"
        ))
        import psycopg

        expected = psycopg.errors.NotNullViolation
    before = _stored(pg, tasks[2].item_id)
    with pytest.raises(expected), pg.unit(autocommit=True) as unit:
        queue.submit(unit, world.annotators[2], tasks[2].assignment_id, {"sentiment": "negative"})
    assert _stored(pg, tasks[2].item_id) == before == (2, None, 2)
    monkeypatch.undo()
    for _ in range(3):  # every pooled connection is usable, none left in a transaction
        with pg.unit(autocommit=True) as unit:
            assert unit.raw.one(Statement("SELECT 1")) == (1,)
    with pg.unit(autocommit=True) as unit:
        queue.submit(unit, world.annotators[2], tasks[2].assignment_id, {"sentiment": "negative"})
    assert _stored(pg, tasks[2].item_id) == (3, "review", 4)
