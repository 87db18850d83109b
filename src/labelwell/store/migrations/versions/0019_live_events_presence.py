"""Live updates and presence.

* ``live_events``: what changed in a project (a label submitted, a review
  decision, an import, a finished job), as small payloads of ids and counts.
  On SQLite every server process polls it with a cursor (the single-host
  fallback of :mod:`labelwell.work.events`); rows are pruned by age. PostgreSQL
  sends events with ``NOTIFY`` instead and leaves the table empty.
* ``presence``: who had a project's pages open lately (one row per project and
  person, its ``seen_at`` moved forward by each heartbeat).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import labelwell.store.tables

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = labelwell.store.tables.UTCDateTime(timezone=True)
_JSON = labelwell.store.tables.JSONType


def upgrade() -> None:
    op.create_table(
        "live_events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("live_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_events_created_at"), ["created_at"])
    op.create_table(
        "presence",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("page", sa.String(length=20), nullable=False),
        sa.Column("seen_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("presence")
    with op.batch_alter_table("live_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_events_created_at"))
    op.drop_table("live_events")
