"""The label columns are marked stale on write and derived when read.

Revision 0020's triggers recomputed an item's label columns (five subqueries
over its annotations, three over its predictions) and rewrote its row on
every annotation or prediction written: on PostgreSQL that was most of a
submit's cost, and each rewrite of ``items`` also updated its eight sort
indexes. A write now only records the item in ``item_labels_stale`` (one
insert that does nothing when the item is marked already); whatever reads
the columns (the data manager's table, counts and bulk selections) first
derives the project's stale items in one statement
(:func:`labelwell.store.derived.refresh_stale`), so reads see the same values
as before.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import importlib
from types import ModuleType

import sqlalchemy as sa
from alembic import op

from labelwell.store.derived import REFRESH

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TABLES = ("annotations", "predictions")
_EVENTS = (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
_MARK = (
    "INSERT INTO item_labels_stale (project_id, item_id) VALUES ({row}.project_id, {row}.item_id)"
)

#: a mark already there is written again, so it stays locked until this write
#: commits: a refresh that takes it meanwhile waits, then reads this write
_AGAIN = "ON CONFLICT (project_id, item_id) DO UPDATE SET item_id = EXCLUDED.item_id"


def _pg_function(table: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION lw_{table}_label_stats() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'DELETE' THEN
        {_MARK.format(row="OLD")} {_AGAIN};
        RETURN OLD;
    END IF;
    {_MARK.format(row="NEW")} {_AGAIN};
    RETURN NEW;
END
$fn$"""


def _revision(name: str) -> ModuleType:
    return importlib.import_module(f"labelwell.store.migrations.versions.{name}")


def _sqlite_trigger(table: str, event: str, row: str) -> str:
    name = f"{table}_label_stats_{event.lower()}"
    return (
        f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN"
        f" {_MARK.replace('INSERT', 'INSERT OR IGNORE', 1).format(row=row)}; END"
    )


def _previous_sqlite() -> dict[str, str]:
    """The label triggers as revisions 0020 and 0022 left them, by name."""
    triggers: dict[str, str] = dict(_revision("0020_item_label_stats")._SQLITE_TRIGGERS)
    for name, (_, new) in _revision("0022_imports_derive_in_bulk")._sqlite_triggers().items():
        if name in triggers:
            triggers[name] = new
    return triggers


def upgrade() -> None:
    op.create_table(
        "item_labels_stale",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.PrimaryKeyConstraint("project_id", "item_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in _TABLES:
            op.execute(_pg_function(table))
        return
    for table in _TABLES:
        for event, row in _EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_label_stats_{event.lower()}")
            op.execute(_sqlite_trigger(table, event, row))


def downgrade() -> None:
    # the triggers of 0020 keep the columns current from here on: derive what is stale
    op.execute(f"UPDATE items SET {REFRESH} WHERE id IN (SELECT item_id FROM item_labels_stale)")
    if op.get_bind().dialect.name == "postgresql":
        for _, new in _revision("0022_imports_derive_in_bulk")._pg_functions().values():
            op.execute(new)
    else:
        for name, trigger in _previous_sqlite().items():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(trigger)
    op.drop_table("item_labels_stale")
