"""The gold search reads only the gold items it may serve.

The queue draws a gold item from "gold, not staged, never given to this
annotator, by priority" (``labelwell_next_task`` on PostgreSQL,
``GOLD_CANDIDATES`` on SQLite). Its only index was ``ix_items_queue``
(project, is_gold, status, priority, id), whose status column an ``IN`` list
does not order. With statistics taken before a large import was staged,
PostgreSQL scanned that index on (project, is_gold) alone and filtered the
status row by row, so an empty queue read every staged gold row of an import
in progress (1,901 heap rows for 1 servable gold item in the test of
``tests/work/test_import_atomic.py``).

``ix_items_gold_candidates`` holds just the servable gold rows, in the
search's order: the search is an ordered index scan that stops at its limit,
whatever the statistics say, and staged rows are not in the index at all.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

#: the gold search's predicate (GOLD_CANDIDATES and labelwell_next_task)
SERVABLE_GOLD = "is_gold AND status IN ('open', 'full', 'done')"


def upgrade() -> None:
    op.create_index(
        "ix_items_gold_candidates",
        "items",
        ["project_id", sa.text("priority DESC"), "id"],
        postgresql_where=sa.text(SERVABLE_GOLD),
        sqlite_where=sa.text(SERVABLE_GOLD),
    )


def downgrade() -> None:
    op.drop_index("ix_items_gold_candidates", table_name="items")
