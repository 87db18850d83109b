"""Archived projects hand out no new tasks on PostgreSQL either.

Revision 0013 archives projects: they leave the project list and the
labeling page says so. The queue's server-side function still leased their
items to anyone who asked through the API. ``labelwell_next_task`` (as
revision 0011 left it) is replaced by the same function that answers
``archived`` instead of a new lease when the project's ``archived_at`` is set
(one primary-key lookup, before the budget check); a lease already held is
still given again, so an annotator can finish the task in hand. On SQLite the
queue's Python path makes the same check.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: where 0011 put the budget check, at the start of the new-lease branch
_BUDGET = "        IF jsonb_typeof(o_settings::jsonb -> 'budget_cap') = 'number' THEN"
_ARCHIVED = """        IF (SELECT pa.archived_at FROM projects pa WHERE pa.id = p_project)
           IS NOT NULL THEN
            o_outcome := 'archived';  -- Python words the refusal
            RETURN;
        END IF;
"""


def _next_task_0011() -> str:
    """labelwell_next_task as revision 0011 defines it."""
    previous = importlib.import_module("labelwell.store.migrations.versions.0011_workforce_cost")
    sql: str = previous._next_task_0011()
    return sql


def _next_task_0015() -> str:
    sql = _next_task_0011()
    assert sql.count(_BUDGET) == 1
    return sql.replace(_BUDGET, _ARCHIVED + _BUDGET)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_next_task_0015())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_next_task_0011())
