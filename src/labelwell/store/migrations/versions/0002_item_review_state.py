"""Consensus routing: ``items.review_state`` (review | escalated | resolved) and the
index the review and escalation queues read.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 10:35:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_state", sa.String(length=10), nullable=True))
        batch_op.create_index("ix_items_review", ["project_id", "review_state", "id"], unique=False)


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never a batch copy: on SQLite a
    # batch copy drops the table, and its implicit DELETE fires the foreign keys that
    # point at it (SET NULL, CASCADE) on every row.
    op.drop_index("ix_items_review", table_name="items")
    op.drop_column("items", "review_state")
