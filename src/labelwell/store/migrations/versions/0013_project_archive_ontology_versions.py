"""Archived projects, and every version of a project's ontology.

* ``projects.archived_at``: when a manager archived the project (null: active);
  an archived project leaves the queue and the project list.
* ``ontology_versions``: the ontology as of each change after creation (version
  1 is the one the project was made with), the changes that made it (added,
  renamed, removed controls and labels, with the stored annotations each
  touched) and, for a forced removal, the reason given.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import labelwell.store.tables

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = labelwell.store.tables.UTCDateTime(timezone=True)
_JSON = labelwell.store.tables.JSONType


def upgrade() -> None:
    op.add_column("projects", sa.Column("archived_at", _WHEN, nullable=True))
    op.create_table(
        "ontology_versions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ontology", _JSON, nullable=False),
        sa.Column("changes", _JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "version"),
    )


def downgrade() -> None:
    op.drop_table("ontology_versions")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never a batch copy: on SQLite a
    # batch copy drops the table, and its implicit DELETE fires the foreign keys that
    # point at it (SET NULL, CASCADE) on every row.
    op.drop_column("projects", "archived_at")
