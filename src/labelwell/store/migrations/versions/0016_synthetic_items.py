"""Provenance and guard state of machine-made (synthetic) items.

* ``synthetic_items``: one row per synthetic item: the method that made it
  (self-instruct, evol-instruct, qa, paraphrase), the generator model, the
  prompt version, the items it was made from (``seed_ids``) and its
  ``generation`` (1 when made from human data, parent generation + 1 when made
  from synthetic data); the human ``verdict`` (verified, fixed, rejected) with
  who gave it and when; the guards' ``flags`` (near duplicates, verbatim
  overlaps with a reference corpus) from the last report.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import labelwell.store.tables

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = labelwell.store.tables.UTCDateTime(timezone=True)
_JSON = labelwell.store.tables.JSONType


def upgrade() -> None:
    op.create_table(
        "synthetic_items",
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("prompt_version", sa.String(length=40), nullable=False),
        sa.Column("seed_ids", _JSON, nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=10), nullable=True),
        sa.Column("verdict_by", _ID, nullable=True),
        sa.Column("verdict_at", _WHEN, nullable=True),
        sa.Column("flags", _JSON, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["verdict_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("item_id"),
    )
    with op.batch_alter_table("synthetic_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_synthetic_items_project_id"), ["project_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("synthetic_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_synthetic_items_project_id"))
    op.drop_table("synthetic_items")
