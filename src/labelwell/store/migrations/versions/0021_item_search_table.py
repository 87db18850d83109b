"""PostgreSQL's full-text search moves off the item row into ``item_search``.

Migration 0010 indexed ``to_tsvector('simple', data)`` on ``items`` with GIN.
An item's row is updated on every lease and every submit (its slot counts and
status, which indexed columns hold, so none of those updates is HOT): each
one computed the item's ``tsvector`` again and added it to the GIN index's
pending list, whose clean-up then fell on some unlucky submit. The vector now
lives in its own table, one row per item, written by a trigger when an item is
inserted or its ``data`` changes, so the queue's updates never touch it.

SQLite keeps ``items_fts`` (FTS5), whose triggers fire on ``data`` alone.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_UP = (
    "CREATE TABLE item_search ("
    " item_id bigint PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,"
    " document tsvector NOT NULL)",
    """CREATE FUNCTION lw_item_search() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO item_search (item_id, document)
    VALUES (NEW.id, to_tsvector('simple', NEW.data))
    ON CONFLICT (item_id) DO UPDATE SET document = EXCLUDED.document;
    RETURN NULL;
END
$fn$""",
    "CREATE TRIGGER items_search AFTER INSERT OR UPDATE OF data ON items"
    " FOR EACH ROW EXECUTE FUNCTION lw_item_search()",
    "INSERT INTO item_search (item_id, document)"
    " SELECT id, to_tsvector('simple', data) FROM items",
    "CREATE INDEX ix_item_search_document ON item_search USING gin (document)",
    "DROP INDEX IF EXISTS ix_items_fulltext",
)
_DOWN = (
    "CREATE INDEX ix_items_fulltext ON items USING gin (to_tsvector('simple', data))",
    "DROP TRIGGER IF EXISTS items_search ON items",
    "DROP FUNCTION IF EXISTS lw_item_search()",
    "DROP TABLE IF EXISTS item_search",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _DOWN:
        op.execute(statement)
