"""Imports written in short transactions and published at once.

* ``imports.state``: ``writing`` while an import stores its rows, chunk by
  chunk, each chunk in a transaction of its own; ``published`` once one short
  transaction flips it (every existing import is published); ``discarded``
  for an import refused or abandoned, whose rows were removed. An item whose
  import is not published is seen by nothing: not the queue, item lists,
  exports or statistics.
* ``imports.owner``: the writing process (``host:pid``), and
  ``imports.heartbeat_at``: when it last stored a chunk; a restarted server or
  command removes the rows of imports whose writer is gone.
* ``ix_reviews_item_id``: removing items looks for their reviews (the other
  tables that point at items were indexed on ``item_id`` already).

On PostgreSQL ``labelwell_next_task`` (as revision 0005 left it) is replaced by
the same function that leases only items of published imports.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

import labelwell.store.tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_WHEN = labelwell.store.tables.UTCDateTime(timezone=True)

# The queue's two item searches in labelwell_next_task, and the same searches
# skipping items of imports not yet published.
_PUBLISHED = (
    " AND NOT EXISTS (SELECT 1 FROM imports m"
    " WHERE m.id = i.import_id AND m.state <> 'published')"
)
_SEARCHES = (
    "WHERE i.project_id = p_project AND i.is_gold = true",
    "WHERE i.project_id = p_project AND i.is_gold = false AND i.status = 'open'",
)


def _next_task_0005() -> str:
    """labelwell_next_task as revision 0005 defines it."""
    functions = importlib.import_module(
        "labelwell.store.migrations.versions.0004_queue_functions"
    ).FUNCTIONS
    sessions = importlib.import_module("labelwell.store.migrations.versions.0005_sessions")
    sql: str = functions["labelwell_next_task"][0]
    assert sessions._VALID in sql
    return sql.replace(sessions._VALID, sessions._VALID_NOW)


def _next_task_0006() -> str:
    sql = _next_task_0005()
    for search in _SEARCHES:
        assert sql.count(search) == 1, search
        sql = sql.replace(search, search + _PUBLISHED)
    return sql


def upgrade() -> None:
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=10), nullable=False, server_default="published")
        )
        batch_op.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", _WHEN, nullable=True))
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_item_id"), ["item_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_next_task_0006())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_next_task_0005())
    # rows of imports never published are not part of the older schema's data
    op.execute(
        "DELETE FROM items WHERE import_id IN (SELECT id FROM imports WHERE state <> 'published')"
    )
    op.execute("DELETE FROM imports WHERE state <> 'published'")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_item_id"))
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never a batch copy: on SQLite a
    # batch copy drops the table, and its implicit DELETE fires the foreign keys that
    # point at it (SET NULL, CASCADE) on every row.
    for column in ("heartbeat_at", "owner", "state"):
        op.drop_column("imports", column)
