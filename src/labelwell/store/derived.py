"""Values the database derives from other rows, as SQL written once for code.

* :data:`FTS_BODY`: the text SQLite's full-text table ``items_fts`` indexes for
  an item (migration 0010's triggers);
* :data:`LABEL_COLUMNS` and :data:`PREDICTION_COLUMNS`: an item's stored label
  columns (migration 0020). Since migration 0023 a write of an annotation or a
  prediction only marks its item in ``item_labels_stale`` (a trigger); whatever
  reads the columns derives the project's stale items first, in one statement
  (:func:`refresh_stale`), instead of every submit rewriting its item's row.

Triggers keep both current for every writer, except the rows an import writes
while it is ``writing`` (migration 0021): :func:`fill_written` derives them for
a whole chunk in two statements, which costs a fraction of a trigger per row.
``tests/store/test_derived.py`` holds these texts to the migrations'.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

#: the text FTS5 indexes for an item (``{row}`` is NEW, OLD or ``items``)
FTS_BODY = (
    "coalesce((SELECT group_concat(value, ' ') FROM json_tree({row}.data) WHERE type = 'text'), '')"
)

_HUMAN = "a.item_id = {item} AND a.source = 'human'"
_CURRENT = _HUMAN + " AND a.is_current"
#: (column, its value for the item ``{item}``), over the item's annotations
LABEL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("label_answers", f"(SELECT count(*) FROM annotations a WHERE {_CURRENT})"),
    (
        "label_agreement",
        "(SELECT CASE WHEN sum(g.n) >= 2 THEN CAST(max(g.n) AS FLOAT) / CAST(sum(g.n) AS FLOAT)"
        " END FROM (SELECT count(*) AS n FROM annotations a"
        f" WHERE {_CURRENT} GROUP BY CAST(a.result AS TEXT)) g)",
    ),
    (
        "label_consensus",
        "(SELECT CAST(a.result AS TEXT) FROM annotations a WHERE a.item_id = {item}"
        " AND a.source = 'consensus' AND a.is_current ORDER BY a.id DESC LIMIT 1)",
    ),
    (
        "label_last_annotator",
        f"(SELECT a.agent FROM annotations a WHERE {_HUMAN} ORDER BY a.id DESC LIMIT 1)",
    ),
    ("label_time_spent_ms", f"(SELECT sum(a.time_spent_ms) FROM annotations a WHERE {_HUMAN})"),
)
#: the same over the item's predictions
PREDICTION_COLUMNS: tuple[tuple[str, str], ...] = (
    (
        "prediction_model",
        "(SELECT p.model_name FROM predictions p WHERE p.item_id = {item}"
        " ORDER BY p.id DESC LIMIT 1)",
    ),
    ("prediction_score", "(SELECT max(p.score) FROM predictions p WHERE p.item_id = {item})"),
    (
        "prediction_uncertainty",
        "(SELECT 1.0 - max(p.score) FROM predictions p WHERE p.item_id = {item})",
    ),
)


def assignments(columns: tuple[tuple[str, str], ...], item: str) -> str:
    """``column = value, ...`` for the item ``item`` (an SQL expression)."""
    return ", ".join(f"{name} = {value.format(item=item)}" for name, value in columns)


#: stale items derived per statement on PostgreSQL
_CHUNK = 10_000
#: ``column = value, ...`` of every derived label column, for the item ``items.id``
REFRESH = assignments(LABEL_COLUMNS + PREDICTION_COLUMNS, "items.id")


def has_stale(session: Session, project_id: int) -> bool:
    """Whether some item of the project was written since its columns were derived."""
    found = session.execute(
        text("SELECT 1 FROM item_labels_stale WHERE project_id = :p LIMIT 1"), {"p": project_id}
    ).first()
    return found is not None


def refresh_stale(session: Session, project_id: int) -> None:
    """Derive the label columns of the project's stale items and unmark them, in
    the caller's transaction. SQLite's transaction holds the write lock
    throughout. On PostgreSQL the marks are taken first, in a statement of
    their own: a write that has marked its item but not committed holds the mark
    locked (migration 0023's trigger writes it again), so taking it waits for
    that commit, and the next statement, with a new snapshot, reads the write."""
    bound = {"p": project_id}
    if session.get_bind().dialect.name == "postgresql":
        taken = session.execute(
            text("DELETE FROM item_labels_stale WHERE project_id = :p RETURNING item_id"), bound
        )
        ids = sorted(int(row[0]) for row in taken)
        for start in range(0, len(ids), _CHUNK):
            session.execute(
                text(f"UPDATE items SET {REFRESH} WHERE id = ANY(:ids)"),
                {"ids": ids[start : start + _CHUNK]},
            )
        return
    session.execute(
        text(
            f"UPDATE items SET {REFRESH} WHERE id IN"
            " (SELECT item_id FROM item_labels_stale WHERE project_id = :p)"
        ),
        bound,
    )
    session.execute(text("DELETE FROM item_labels_stale WHERE project_id = :p"), bound)


def fill_written(session: Session, import_id: int, first_id: int, last_id: int) -> None:
    """Derive the values of the items ``first_id..last_id`` an import has just
    written (with their annotations and predictions), in the import's
    transaction: their label columns, and on SQLite their full-text entries."""
    bounds = {"imp": import_id, "first": first_id, "last": last_id}
    rows = "items.id BETWEEN :first AND :last AND items.import_id = :imp"
    session.execute(
        text(
            f"UPDATE items SET {assignments(LABEL_COLUMNS, 'items.id')} WHERE {rows}"
            " AND EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = items.id)"
        ),
        bounds,
    )
    session.execute(
        text(
            f"UPDATE items SET {assignments(PREDICTION_COLUMNS, 'items.id')} WHERE {rows}"
            " AND EXISTS (SELECT 1 FROM predictions p WHERE p.item_id = items.id)"
        ),
        bounds,
    )
    # derived here: the marks the chunk's answers and predictions left go
    session.execute(
        text(
            "DELETE FROM item_labels_stale WHERE project_id ="
            " (SELECT project_id FROM imports WHERE id = :imp)"
            " AND item_id BETWEEN :first AND :last"
        ),
        bounds,
    )
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text(
                "INSERT INTO items_fts(rowid, body)"
                f" SELECT items.id, {FTS_BODY.format(row='items')} FROM items WHERE {rows}"
            ),
            bounds,
        )
