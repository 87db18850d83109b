"""The queue's "never given to this annotator" check probes its key whatever
the statistics say.

``labelwell_next_task`` (as revision 0018 left it) skips a candidate item
given to the caller before, or of an import not yet published, with
``NOT EXISTS`` subqueries. PostgreSQL may flatten such a subquery into an
anti-join and pick its plan from the tables' statistics. A PL/pgSQL function
plans each statement once per database session and keeps the plan; a session
that first ran it while ``items`` and ``assignments`` had no statistics yet (a
new project, an import minutes old: autovacuum had not analyzed them) kept a
plan that read all of the caller's assignments through ``ix_assignments_user``
for every candidate it looked at, and filtered them by item. One annotator
ahead of the others at overlap 3 then spent milliseconds per lease, more with
every item they labeled (6.3 ms for 20 candidates over 1,100 assignments,
logged by ``auto_explain`` under ``benchmarks/bench_submit.py --clients 3``).

``OFFSET 0`` keeps each of these subqueries a subplan run per candidate, whose
only sensible plan is a probe of the unique ``(item_id, user_id)`` index (the
imports' primary key for the other): the cost per candidate stays one index
probe with or without statistics. The Python queue sends the same statements
on PostgreSQL (:mod:`labelwell.work.queue.statements`).

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

_GIVEN = "WHERE a.item_id = i.id AND a.user_id = p_user)"
_UNPUBLISHED = "WHERE m.id = i.import_id AND m.state <> 'published')"


def _next_task_0018() -> str:
    previous = importlib.import_module("labelwell.store.migrations.versions.0018_item_assignees")
    sql: str = previous._next_task_0018()
    return sql


def _next_task_0030() -> str:
    sql = _next_task_0018()
    # the gold search, the caller's assigned items, the items assigned to nobody
    assert sql.count(_GIVEN) == 3 and sql.count(_UNPUBLISHED) == 3
    sql = sql.replace(_GIVEN, _GIVEN[:-1] + " OFFSET 0)")
    return sql.replace(_UNPUBLISHED, _UNPUBLISHED[:-1] + " OFFSET 0)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_next_task_0030())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_next_task_0018())
