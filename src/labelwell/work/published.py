"""Which items exist for everyone: those of published imports.

An import stores its rows chunk by chunk, each chunk in a short transaction of
its own (:mod:`labelwell.work.imports`), and publishes them all in one short
transaction at the end. Until then its items are seen by nothing: not the
queue, item lists and reads, exports or statistics. Every reader of items
says so with one of these two forms of the same rule (the queue's
PostgreSQL function, migration 0006, repeats the SQL form).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists

from labelwell.store.tables import Import, Item

#: the rule for a statement that names the items table ``i``
PUBLISHED_SQL = (
    "NOT EXISTS (SELECT 1 FROM imports m WHERE m.id = i.import_id AND m.state <> 'published')"
)


def published() -> ColumnElement[bool]:
    """The rule for ORM queries over :class:`~labelwell.store.tables.Item`."""
    return ~exists().where(Import.id == Item.import_id, Import.state != "published")
