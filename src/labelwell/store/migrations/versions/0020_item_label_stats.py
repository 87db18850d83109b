"""The item table's label columns, stored on the item: sorts by them are index reads.

The data manager sorted and filtered by answers, agreement, consensus, last
annotator, time spent and model score with a correlated subquery per item:
a sort of a million items computed a million of them (2 to 5 seconds). Each
item now carries these values, kept in step by triggers on ``annotations``
and ``predictions`` (every insert, update and delete recomputes the item's
values in the same transaction), so every writer (the queue's Python path
and PostgreSQL functions, edits, reviews, consensus, imports, requeues)
keeps them current without knowing of them:

* ``label_answers``: the item's current human answers;
* ``label_agreement``: the share of them giving the most common answer (from
  two answers up), as :mod:`labelwell.work.data_manager.columns` defines it;
* ``label_consensus``: the current consensus result, as JSON text;
* ``label_last_annotator`` and ``label_time_spent_ms``: of the human answers;
* ``prediction_model``, ``prediction_score`` and ``prediction_uncertainty``:
  the latest prediction's model, the best score and one minus it.

Each has an index ``(project_id, column, id)``; on PostgreSQL with ``NULLS
FIRST`` (an empty value sorts as the lowest, as on SQLite). Existing items
are filled in by the migration.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

#: (column, type, its value for the item ``{item}``, over its annotations or predictions)
_HUMAN = "a.item_id = {item} AND a.source = 'human'"
_CURRENT = _HUMAN + " AND a.is_current"
_COLUMNS: tuple[tuple[str, sa.types.TypeEngine, str], ...] = (
    ("label_answers", sa.Integer(), f"(SELECT count(*) FROM annotations a WHERE {_CURRENT})"),
    (
        "label_agreement",
        sa.Float(),
        "(SELECT CASE WHEN sum(g.n) >= 2 THEN CAST(max(g.n) AS FLOAT) / CAST(sum(g.n) AS FLOAT)"
        " END FROM (SELECT count(*) AS n FROM annotations a"
        f" WHERE {_CURRENT} GROUP BY CAST(a.result AS TEXT)) g)",
    ),
    (
        "label_consensus",
        sa.Text(),
        "(SELECT CAST(a.result AS TEXT) FROM annotations a WHERE a.item_id = {item}"
        " AND a.source = 'consensus' AND a.is_current ORDER BY a.id DESC LIMIT 1)",
    ),
    (
        "label_last_annotator",
        sa.String(320),
        f"(SELECT a.agent FROM annotations a WHERE {_HUMAN} ORDER BY a.id DESC LIMIT 1)",
    ),
    (
        "label_time_spent_ms",
        sa.BigInteger(),
        f"(SELECT sum(a.time_spent_ms) FROM annotations a WHERE {_HUMAN})",
    ),
)
_PREDICTION_COLUMNS: tuple[tuple[str, sa.types.TypeEngine, str], ...] = (
    (
        "prediction_model",
        sa.String(200),
        "(SELECT p.model_name FROM predictions p WHERE p.item_id = {item}"
        " ORDER BY p.id DESC LIMIT 1)",
    ),
    (
        "prediction_score",
        sa.Float(),
        "(SELECT max(p.score) FROM predictions p WHERE p.item_id = {item})",
    ),
    (
        "prediction_uncertainty",
        sa.Float(),
        "(SELECT 1.0 - max(p.score) FROM predictions p WHERE p.item_id = {item})",
    ),
)


def _set(columns: tuple[tuple[str, sa.types.TypeEngine, str], ...], item: str) -> str:
    return ", ".join(f"{name} = {value.format(item=item)}" for name, _, value in columns)


def _update(columns: tuple[tuple[str, sa.types.TypeEngine, str], ...], item: str) -> str:
    return f"UPDATE items SET {_set(columns, item)} WHERE id = {item}"


_SQLITE_TRIGGERS = {
    f"{table}_label_stats_{event.lower()}": (
        f"CREATE TRIGGER {table}_label_stats_{event.lower()} AFTER {event} ON {table} BEGIN"
        f" {_update(columns, row + '.item_id')}; END"
    )
    for table, columns in (("annotations", _COLUMNS), ("predictions", _PREDICTION_COLUMNS))
    for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
}

_PG_FUNCTIONS = {
    table: f"""
CREATE OR REPLACE FUNCTION lw_{table}_label_stats() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'DELETE' THEN
        {_update(columns, "OLD.item_id")};
        RETURN OLD;
    END IF;
    {_update(columns, "NEW.item_id")};
    RETURN NEW;
END
$fn$"""
    for table, columns in (("annotations", _COLUMNS), ("predictions", _PREDICTION_COLUMNS))
}


def _indexes() -> list[str]:
    return [name for name, _, _ in _COLUMNS + _PREDICTION_COLUMNS]


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    # plain ALTER TABLE: a batch copy of ``items`` on SQLite would drop its FTS triggers
    for name, kind, _ in _COLUMNS + _PREDICTION_COLUMNS:
        if name == "label_answers":
            op.add_column(
                "items", sa.Column(name, kind, nullable=False, server_default=sa.text("0"))
            )
        else:
            op.add_column("items", sa.Column(name, kind, nullable=True))
    op.execute(
        f"UPDATE items SET {_set(_COLUMNS, 'items.id')}"
        " WHERE EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = items.id)"
    )
    op.execute(
        f"UPDATE items SET {_set(_PREDICTION_COLUMNS, 'items.id')}"
        " WHERE EXISTS (SELECT 1 FROM predictions p WHERE p.item_id = items.id)"
    )
    for name in _indexes():
        if postgresql:
            op.execute(
                f"CREATE INDEX ix_items_{name} ON items (project_id, {name} NULLS FIRST, id)"
            )
        else:
            op.create_index(f"ix_items_{name}", "items", ["project_id", name, "id"])
    if postgresql:
        for table, function in _PG_FUNCTIONS.items():
            op.execute(function)
            op.execute(
                f"CREATE TRIGGER {table}_label_stats AFTER INSERT OR UPDATE OR DELETE ON {table}"
                f" FOR EACH ROW EXECUTE FUNCTION lw_{table}_label_stats()"
            )
    else:
        for trigger in _SQLITE_TRIGGERS.values():
            op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _PG_FUNCTIONS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_label_stats ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS lw_{table}_label_stats()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name in _indexes():
        op.drop_index(f"ix_items_{name}", table_name="items")
    for name, _, _ in reversed(_COLUMNS + _PREDICTION_COLUMNS):
        op.drop_column("items", name)
