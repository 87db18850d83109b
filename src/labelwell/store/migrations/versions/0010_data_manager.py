"""The data manager: full-text search over item data, saved views, two sort indexes.

* Full-text search over the text values of ``items.data`` (keys, numbers and
  the JSON punctuation are not indexed). SQLite: a contentless FTS5 table
  ``items_fts`` whose rowid is the item id, kept in step with ``items`` by
  triggers (insert, delete, update of ``data``), so every writer of items
  (imports, the API, migrations from other tools) keeps it current without
  knowing of it. PostgreSQL: a GIN index on ``to_tsvector('simple', data)``
  (the ``simple`` configuration: no stemming, so Korean and English words
  are matched as written), maintained by the database itself.
* ``data_views``: a person's named views of a project's item table (filters,
  sort, search, columns); the view named ``""`` is the table layout they use.
* ``ix_items_project_done`` and ``ix_items_project_created``: the table pages
  through a project sorted by labels done or creation time by index seeks.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import labelwell.store.tables

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = labelwell.store.tables.UTCDateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

#: the text FTS5 indexes for an item (``row`` is NEW, OLD or the items table)
_SQLITE_TEXT = (
    "coalesce((SELECT group_concat(value, ' ') FROM json_tree({row}.data) WHERE type = 'text'), '')"
)
_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE items_fts USING fts5(body, content='',"
    " tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN"
    f" INSERT INTO items_fts(rowid, body) VALUES (NEW.id, {_SQLITE_TEXT.format(row='NEW')});"
    " END",
    "CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN"
    " INSERT INTO items_fts(items_fts, rowid, body)"
    f" VALUES ('delete', OLD.id, {_SQLITE_TEXT.format(row='OLD')});"
    " END",
    "CREATE TRIGGER items_fts_update AFTER UPDATE OF data ON items BEGIN"
    " INSERT INTO items_fts(items_fts, rowid, body)"
    f" VALUES ('delete', OLD.id, {_SQLITE_TEXT.format(row='OLD')});"
    f" INSERT INTO items_fts(rowid, body) VALUES (NEW.id, {_SQLITE_TEXT.format(row='NEW')});"
    " END",
    f"INSERT INTO items_fts(rowid, body) SELECT id, {_SQLITE_TEXT.format(row='items')} FROM items",
)
_PG_FTS = "CREATE INDEX ix_items_fulltext ON items USING gin (to_tsvector('simple', data))"


def upgrade() -> None:
    op.create_table(
        "data_views",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("state", _JSON, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "user_id", "name"),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index("ix_items_project_done", ["project_id", "n_done", "id"])
        batch_op.create_index("ix_items_project_created", ["project_id", "created_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FTS)
    else:
        for statement in _SQLITE_FTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_items_fulltext")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS items_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS items_fts")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_project_created")
        batch_op.drop_index("ix_items_project_done")
    op.drop_table("data_views")
