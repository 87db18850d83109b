"""Storage connections per project, and the objects each one has synced.

* ``storage_connections``: a project's named bucket or folder prefix (``s3://``,
  ``gs://``, ``az://``, ``file://``, ``https://``), read through fsspec: its
  options (endpoint, region, the sync's file filter, whether media may redirect
  to a presigned URL) and its credentials, which stay on the server.
* ``storage_objects``: one row per object a sync made an item of (its key, the
  item), so a sync adds new objects only and runs again without duplicates.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import labelwell.store.tables

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = labelwell.store.tables.UTCDateTime(timezone=True)
_JSON = labelwell.store.tables.JSONType


def upgrade() -> None:
    op.create_table(
        "storage_connections",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("url", sa.String(1000), nullable=False),
        sa.Column("options", _JSON, nullable=False),
        sa.Column("credentials", _JSON, nullable=False),
        sa.Column("synced_at", _WHEN, nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name"),
    )
    op.create_table(
        "storage_objects",
        sa.Column("connection_id", _ID, nullable=False),
        sa.Column("key", sa.String(1000), nullable=False),
        sa.Column("item_id", _ID, nullable=True),
        sa.Column("synced_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["storage_connections.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("connection_id", "key"),
    )


def downgrade() -> None:
    op.drop_table("storage_objects")
    op.drop_table("storage_connections")
