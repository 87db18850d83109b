"""``Raw.batch``: writes sent together, errors still raised, nothing half-stored.

On PostgreSQL the protocol trace of the unit's connection counts the round
trips: the server ends each answer with ``ReadyForQuery``."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import text

from labelwell.store.db import Database
from labelwell.store.raw import Statement
from labelwell.store.tables import utcnow
from labelwell.work import consensus
from labelwell.work.queue import leasing, submitting
from statements import round_trips
from world import build_world

AUDIT = Statement(
    "INSERT INTO audit_log (at, actor_id, actor, action, project_id, target_type, target_id,"
    " details) VALUES (?, NULL, 'test', ?, NULL, 'item', ?, ?json)"
)


def _audit_actions(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.execute(text("SELECT action FROM audit_log ORDER BY id")).scalars())


def test_a_batch_stores_what_it_ran(db: Database):
    with db.unit() as unit:
        raw = unit.raw
        with raw.batch():
            for n in range(3):
                raw.run(AUDIT, (raw.stamp(utcnow()), f"test.{n}", n, "{}"))
    assert _audit_actions(db) == ["test.0", "test.1", "test.2"]


def test_a_batch_sends_its_statements_in_one_round_trip(db: Database):
    if db.dialect != "postgresql":
        pytest.skip("SQLite runs in the process: no round trips")
    with db.unit() as unit:
        raw = unit.raw
        for n in range(10):  # BEGIN, and psycopg prepares the statement once used enough
            raw.run(AUDIT, (raw.stamp(utcnow()), "test.before", n, "{}"))
        with round_trips(unit) as batched, raw.batch():
            for n in range(4):
                raw.run(AUDIT, (raw.stamp(utcnow()), f"test.{n}", n, "{}"))
        with round_trips(unit) as one_by_one:
            for n in range(4):
                raw.run(AUDIT, (raw.stamp(utcnow()), f"test.more.{n}", n, "{}"))
    assert batched == [1]
    assert one_by_one == [4]


def test_a_failed_statement_in_a_batch_is_raised_and_the_unit_stores_nothing(db: Database):
    with db.unit() as unit:
        unit.raw.run(AUDIT, (unit.raw.stamp(utcnow()), "test.kept", 0, "{}"))
    with db.engine.connect() as conn:
        first_id = conn.execute(text("SELECT id FROM audit_log")).scalar_one()
    bad = Statement(
        "INSERT INTO audit_log (id, at, actor, action, target_type, details)"
        " VALUES (?, ?, 'test', 'test.duplicate', 'item', ?json)"
    )
    refused = (psycopg.IntegrityError, sqlite3.IntegrityError)
    with pytest.raises(refused) as raised, db.unit() as unit:
        raw = unit.raw
        with raw.batch():
            raw.run(AUDIT, (raw.stamp(utcnow()), "test.first", 1, "{}"))
            raw.run(bad, (first_id, raw.stamp(utcnow()), "{}"))
            raw.run(AUDIT, (raw.stamp(utcnow()), "test.after", 2, "{}"))
    assert "unique" in str(raised.value).lower()
    assert _audit_actions(db) == ["test.kept"]


def test_a_completing_submit_writes_its_decision_in_one_round_trip(db: Database, monkeypatch):
    """At overlap 3, the third answer decides the item: the consensus, the
    accepted annotations, the review state and the audit row go together."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite runs in the process: no round trips")
    world = build_world(db, n_annotators=3, n_items=1, overlap=3)
    seen: list[list[int]] = []
    decide = consensus.on_submitted

    def traced(raw, *args, **kwargs):
        with round_trips(unit) as count:
            decision = decide(raw, *args, **kwargs)
        seen.append(count)
        return decision

    monkeypatch.setattr(consensus, "on_submitted", traced)
    leases = []
    for annotator in world.annotators:
        with db.unit() as unit:
            leases.append(leasing.next_task(unit, annotator, world.project_id))
    for annotator, task, label in zip(
        world.annotators, leases, ["positive", "positive", "negative"], strict=True
    ):
        with db.unit() as unit:
            submitting.submit(unit, annotator, task.assignment_id, {"sentiment": label})
    assert seen == [[1]]  # two agree, one dissents: review, with all four writes
    with db.engine.connect() as conn:
        state = conn.execute(text("SELECT review_state FROM items")).scalar()
        sources = conn.execute(text("SELECT source, status FROM annotations ORDER BY id")).all()
    assert state == "review"
    assert [s for s, _ in sources] == ["human", "human", "human", "consensus"]
    assert [status for _, status in sources[:2]] == ["accepted", "accepted"]
    assert "consensus.review" in _audit_actions(db)

