"""Items of an import in progress are ``staged``, out of the queue's way.

Revision 0006 hid the items of an unpublished import from the queue with a
``NOT EXISTS`` test on their import, applied to every candidate the queue's
index scan visits. With nothing left to hand out, that scan visited every
item an import in progress had stored: a million of them made each
``labelwell_next_task`` call take 3 to 6 seconds on PostgreSQL.

* ``items.status`` gains ``staged``: an import stores its items staged, and
  the queue's candidate search, an index range on ``status = 'open'``, never
  reaches them. Once the import is published its items are opened chunk by
  chunk, each chunk in a short transaction.
* ``imports.staged``: true while a published import still has staged items
  to open; a restarted server or command finishes the job.
* On PostgreSQL ``labelwell_next_task`` (as revision 0006 left it) is
  replaced by the same function whose gold search (gold items have no
  status filter) skips staged items too.

Existing items of imports still being written become ``staged``.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_GOLD_SEARCH = "WHERE i.project_id = p_project AND i.is_gold = true"
_NOT_STAGED = " AND i.status IN ('open', 'full', 'done')"


def _next_task_0006() -> str:
    """labelwell_next_task as revision 0006 defines it."""
    previous = importlib.import_module("labelwell.store.migrations.versions.0006_import_batches")
    sql: str = previous._next_task_0006()
    return sql


def _next_task_0007() -> str:
    sql = _next_task_0006()
    assert sql.count(_GOLD_SEARCH) == 1
    return sql.replace(_GOLD_SEARCH, _GOLD_SEARCH + _NOT_STAGED)


def upgrade() -> None:
    # plain ALTER TABLE: a batch copy of ``imports`` on SQLite would drop the table and
    # its implicit DELETE would set every item's import_id to NULL
    op.add_column(
        "imports", sa.Column("staged", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.execute(
        "UPDATE items SET status = 'staged' WHERE status = 'open'"
        " AND import_id IN (SELECT id FROM imports WHERE state = 'writing')"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_next_task_0007())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_next_task_0006())
    op.execute("UPDATE items SET status = 'open' WHERE status = 'staged'")
    op.drop_column("imports", "staged")
