"""An index on ``storage_objects (connection_id, item_id)``.

A sync looks for the items of its earlier imports that no object row names,
and the worker for the completed items a target connection has not received
yet: both ask, per item, whether the connection has a row naming it. Without
the index each question read every row of the connection (a second sync of
100,000 objects, or the target writes of 100,000 items, went quadratic); it
also serves the ``ON DELETE SET NULL`` of ``item_id`` when items are deleted.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_storage_objects_item", "storage_objects", ["connection_id", "item_id"])


def downgrade() -> None:
    op.drop_index("ix_storage_objects_item", table_name="storage_objects")
