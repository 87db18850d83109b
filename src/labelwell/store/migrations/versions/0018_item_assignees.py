"""Items assigned to chosen annotators.

* ``item_assignees``: one row per item and person a manager assigned it to
  (the data manager's bulk action). The queue serves a person the items
  assigned to them first, and an assigned item to its assignees only; items
  with no assignee go to anyone, as before.
* On PostgreSQL ``labelwell_next_task`` (as revision 0015 left it) is replaced
  by the same function whose regular-item search looks first among the items
  assigned to the caller (ix_item_assignees_user), then among the items
  assigned to nobody. The Python queue on SQLite sends the same two searches
  (:mod:`labelwell.work.queue.statements`).

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

import labelwell.store.tables

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = labelwell.store.tables.UTCDateTime(timezone=True)

_SEARCH = "                SELECT i.id INTO o_item_id FROM items i\n"
_SEARCH_END = "                   FOR UPDATE OF i SKIP LOCKED;\n"
_ORDER = "                 ORDER BY i.priority DESC, i.id LIMIT 1\n"
_UNASSIGNED = (
    "                   AND NOT EXISTS (SELECT 1 FROM item_assignees ia WHERE ia.item_id = i.id)\n"
)


def _next_task_0015() -> str:
    """labelwell_next_task as revision 0015 defines it."""
    previous = importlib.import_module(
        "labelwell.store.migrations.versions.0015_archived_projects_serve_no_tasks"
    )
    sql: str = previous._next_task_0015()
    return sql


def _next_task_0018() -> str:
    sql = _next_task_0015()
    start = sql.index(_SEARCH)
    end = sql.index(_SEARCH_END, start) + len(_SEARCH_END)
    anyone = sql[start:end]
    assert anyone.count(_ORDER) == 1 and sql.count(_SEARCH) == 1
    conditions = anyone[len(_SEARCH) : anyone.index(_ORDER)]
    mine = (
        "                -- the items assigned to the caller first (ix_item_assignees_user)\n"
        "                SELECT i.id INTO o_item_id\n"
        "                  FROM item_assignees ia JOIN items i ON i.id = ia.item_id\n"
        "                 WHERE ia.user_id = p_user AND ia.project_id = p_project\n"
        + conditions.replace(" WHERE i.project_id = p_project AND", "   AND")
        + _ORDER
        + _SEARCH_END
        + "                IF o_item_id IS NULL THEN  -- then the items assigned to nobody\n"
        + anyone.replace(_ORDER, _UNASSIGNED + _ORDER)
        + "                END IF;\n"
    )
    return sql[:start] + mine + sql[end:]


def upgrade() -> None:
    op.create_table(
        "item_assignees",
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("assigned_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "user_id"),
    )
    with op.batch_alter_table("item_assignees", schema=None) as batch_op:
        batch_op.create_index(
            "ix_item_assignees_user", ["user_id", "project_id", "item_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_next_task_0018())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_next_task_0015())
    with op.batch_alter_table("item_assignees", schema=None) as batch_op:
        batch_op.drop_index("ix_item_assignees_user")
    op.drop_table("item_assignees")
