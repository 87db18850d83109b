"""The queue's PostgreSQL functions against the code that calls them: their
signatures, the slot rules of :mod:`labelwell.work.queue.slots`, and a
downgrade that leaves none behind. (The code reads their results by column
name, so the queue tests on PostgreSQL fail on a renamed column.)"""

from __future__ import annotations

import re

import pytest
from alembic import command
from sqlalchemy import text

from labelwell.store.migrate import alembic_config, upgrade
from labelwell.work.queue import assignees, postgres, slots


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
