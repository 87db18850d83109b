"""Imports derive their items' search text and label columns per chunk, not per row.

The triggers of revisions 0010 (SQLite's full-text table) and 0020 (the label
columns) ran once per item, annotation and prediction an import wrote: on
SQLite the full-text trigger alone made imports about three times slower.
The insert triggers now skip the rows of an import that is still
``writing``; the importer derives those rows' values itself, one statement
per chunk in the chunk's transaction (:func:`labelwell.store.derived.fill_written`),
so search and sorts find the items as soon as the import is published. Every
other writer is served by the triggers as before.

* SQLite: ``items_fts_insert``, ``annotations_label_stats_insert`` and
  ``predictions_label_stats_insert`` are recreated with a ``WHEN`` clause;
* PostgreSQL (its full-text index needs no trigger): the label functions
  return early for such rows.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import importlib
from types import ModuleType

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_ITEM_NOT_WRITTEN = (
    "NEW.import_id IS NULL"
    " OR (SELECT m.state FROM imports m WHERE m.id = NEW.import_id) IS NOT 'writing'"
)
_OWNER_NOT_WRITTEN = (
    "(SELECT m.state FROM items i JOIN imports m ON m.id = i.import_id"
    " WHERE i.id = NEW.item_id) IS NOT 'writing'"
)
_PG_GUARD = """    IF TG_OP = 'INSERT' AND EXISTS (
        SELECT 1 FROM items i JOIN imports m ON m.id = i.import_id
         WHERE i.id = NEW.item_id AND m.state = 'writing') THEN
        RETURN NEW;  -- the importer derives the chunk's values itself
    END IF;
"""


def _revision(name: str) -> ModuleType:
    return importlib.import_module(f"labelwell.store.migrations.versions.{name}")


def _sqlite_triggers() -> dict[str, tuple[str, str]]:
    """name -> (as revisions 0010 and 0020 left it, as this revision makes it)"""
    fts: str = next(
        s for s in _revision("0010_data_manager")._SQLITE_FTS if "items_fts_insert" in s
    )
    found = {
        "items_fts_insert": (
            fts,
            fts.replace(
                "AFTER INSERT ON items BEGIN",
                f"AFTER INSERT ON items WHEN {_ITEM_NOT_WRITTEN} BEGIN",
            ),
        )
    }
    stats: dict[str, str] = _revision("0020_item_label_stats")._SQLITE_TRIGGERS
    for table in ("annotations", "predictions"):
        name = f"{table}_label_stats_insert"
        old = stats[name]
        head = f"AFTER INSERT ON {table} BEGIN"
        new = old.replace(head, f"AFTER INSERT ON {table} WHEN {_OWNER_NOT_WRITTEN} BEGIN")
        found[name] = (old, new)
    for old, new in found.values():
        assert old != new
    return found


def _pg_functions() -> dict[str, tuple[str, str]]:
    """table -> (its label function as revision 0020 left it, as this revision makes it)"""
    functions: dict[str, str] = _revision("0020_item_label_stats")._PG_FUNCTIONS
    found = {}
    for table, old in functions.items():
        assert old.count("BEGIN\n") == 1
        found[table] = (old, old.replace("BEGIN\n", "BEGIN\n" + _PG_GUARD))
    return found


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for _, new in _pg_functions().values():
            op.execute(new)
        return
    for name, (_, new) in _sqlite_triggers().items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(new)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for old, _ in _pg_functions().values():
            op.execute(old)
        return
    for name, (old, _) in _sqlite_triggers().items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(old)
