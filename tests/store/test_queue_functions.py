"""The queue's PostgreSQL functions against the code that calls them: their
signatures, the slot rules of :mod:`labelwell.work.queue.slots`, and a
downgrade that leaves none behind. (The code reads their results by column
name, so the queue tests on PostgreSQL fail on a renamed column.)"""

from __future__ import annotations

import re

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from labelwell.store.migrate import alembic_config, upgrade
from labelwell.work.published import PUBLISHED_PROBE_SQL
from labelwell.work.queue import assignees, leasing, postgres, slots, statements, submitting
from world import build_world


@pytest.fixture
def pg(db):
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's queue functions")
    return db


def _functions(db) -> dict[str, tuple[str, str]]:
    """name -> (identity arguments, source) of this schema's labelwell_* functions"""
    with db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT proname, pg_get_function_identity_arguments(oid), prosrc FROM pg_proc"
            " WHERE proname LIKE 'labelwell\\_%' AND pronamespace = current_schema()::regnamespace"
        )).all()
    return {name: (", ".join(a for a in args.split(", ") if not a.startswith("OUT ")), source)
            for name, args, source in rows}


def _flat(sql: str) -> str:
    """Whitespace collapsed and the items table's alias dropped."""
    return re.sub(r"\s+", " ", sql).replace("i.", "")


def test_the_functions_are_the_ones_the_code_calls(pg):
    upgrade(pg)
    found = _functions(pg)
    assert {name: args for name, (args, _) in found.items()} == {
        name: function.arguments for name, function in postgres.FUNCTIONS.items()
    }
    for function in postgres.FUNCTIONS.values():
        # one placeholder per argument in the statement that calls it
        assert function.call.postgresql.count("%s") == len(function.arguments.split(", "))


@pytest.mark.parametrize(
    ("function", "rules"),
    [
        ("labelwell_next_task",
         [slots.STATUS_AFTER_TAKE, slots.SLOT_FREE, slots.STATUS_AFTER_RELEASE]),
        ("labelwell_submit",
         [slots.STATUS_AFTER_TAKE, slots.SLOT_FREE_AGAIN, slots.STATUS_AFTER_LABEL]),
    ],
)
def test_the_functions_follow_the_slot_rules(pg, function, rules):
    """Each slot rule a function applies is the one the Python queue applies
    (a change to a rule needs a new migration redefining the function)."""
    upgrade(pg)
    source = _flat(_functions(pg)[function][1])
    overlap = {"labelwell_next_task": "o_overlap", "labelwell_submit": "p_overlap"}[function]
    for rule in rules:
        assert _flat(slots.sql(rule, overlap)) in source, rule


def test_a_downgrade_to_base_leaves_no_queue_function(pg):
    upgrade(pg)
    assert _functions(pg)
    cfg = alembic_config(pg.url)
    with pg.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert _functions(pg) == {}
    upgrade(pg)


def test_the_next_task_function_follows_the_assignment_rule(pg):
    """PostgreSQL's next-task function searches the caller's assigned items
    first and then the items assigned to nobody, as the Python queue does."""
    upgrade(pg)
    source = _flat(_functions(pg)["labelwell_next_task"][1])
    assert _flat(assignees.sql(assignees.MINE, "p_user", "p_project")) in source
    assert _flat(assignees.UNASSIGNED) in source
    # its never-given and published checks are the Python queue's on PostgreSQL
    probes = _flat(statements.CANDIDATE.postgresql.replace("%s", "p_user"))
    for check in (PUBLISHED_PROBE_SQL, "NOT EXISTS (SELECT 1 FROM assignments a"
                  " WHERE a.item_id = i.id AND a.user_id = p_user OFFSET 0)"):
        assert _flat(check) in source and _flat(check) in probes


def _index_use_of_one_lease(db, annotator, project_id) -> dict[str, tuple[int, int]]:
    """Per index, the scans and the live rows fetched while
    ``labelwell_next_task`` leases once, in a new session (so the function plans
    its statements now).

    Not the index entries returned: that count also holds the entries of row
    versions a submit left dead, until a later scan marks them, and when that
    happens depends on the transactions open elsewhere in the database."""
    use = text(
        "SELECT relname, pg_stat_get_xact_numscans(oid), pg_stat_get_xact_tuples_fetched(oid)"
        " FROM pg_class WHERE relkind = 'i' AND relnamespace = current_schema()::regnamespace"
    )
    engine = create_engine(db.url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            before = {name: (scans, rows) for name, scans, rows in conn.execute(use)}
            conn.execute(text(
                "SELECT * FROM labelwell_next_task(NULL, :user, false, CAST('[]' AS JSONB),"
                " :project, now(), false, 1.0, 0.0)"
            ), {"user": annotator.id, "project": project_id})
            after = {name: (scans, rows) for name, scans, rows in conn.execute(use)}
            conn.rollback()
    finally:
        engine.dispose()
    return {
        name: (scans - before.get(name, (0, 0))[0], rows - before.get(name, (0, 0))[1])
        for name, (scans, rows) in after.items()
    }


def test_one_annotator_ahead_reads_one_key_per_candidate_without_statistics(pg):
    """An annotator ahead of the others at overlap 3 has every open item at the
    top of the queue already: the search skips each with a probe of the
    unique (item, annotator) key, never by reading the annotator's whole
    history, though no table has statistics yet (migration 0030)."""
    upgrade(pg)
    world = build_world(pg, n_annotators=3, n_items=60, overlap=3)
    ahead = world.annotators[0]
    for _ in range(40):
        with pg.unit() as unit:
            task = leasing.next_task(unit, ahead, world.project_id)
            assert task is not None
            submitting.submit(unit, ahead, task.assignment_id, {"sentiment": "positive"})
    with pg.engine.connect() as conn:
        analyzed = conn.execute(text(
            "SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = current_schema()"
            " AND relname IN ('items', 'assignments')"
            " AND coalesce(last_analyze, last_autoanalyze) IS NOT NULL"
        )).scalar()
    if analyzed:
        pytest.skip("autovacuum analyzed the tables meanwhile")
    use = _index_use_of_one_lease(pg, ahead, world.project_id)
    # 40 candidates skipped and the 41st leased: one probe of the key each,
    # finding the annotator's answer to each of the 40
    scans, rows = use.get("assignments_item_id_user_id_key", (0, 0))
    assert scans <= 41 and rows <= 40, use
    # the live-lease lookup, and nothing else of the annotator's history
    scans, rows = use.get("ix_assignments_user", (0, 0))
    assert scans <= 1 and rows <= 1, use
