"""Every column of the data manager, defined once: the SQL that sorts and
filters by it and the filters its kind takes.

Label columns are stored on the item (migration 0020; their SQL is in
:mod:`labelwell.store.derived`): a write of an answer or a prediction marks its
item, and the API derives the marked items before it reads the table
(:func:`.query.derive_labels`, migration 0023). ``annotations`` counts the
item's current human answers; ``agreement`` is the share of them that give its
most common answer (whole results compared; the observed agreement of a
plurality vote, defined from two answers up); ``consensus`` is the current
consensus result; ``last_annotator`` and ``time_spent`` are of every human
answer; ``model`` is the latest prediction's, ``score`` the best score and
``uncertainty`` one minus it (least-confidence sampling, Settles 2009,
section 3.1). Each has an index ``(project_id, column, id)``, so a sort by it
is an index read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, select

from labelwell.store.tables import Item, SyntheticItem

#: kinds of columns and the filter operators each takes
OPERATORS: dict[str, tuple[str, ...]] = {
    "number": ("eq", "ne", "lt", "le", "gt", "ge", "empty", "not_empty"),
    "text": ("contains", "eq", "ne", "empty", "not_empty"),
    "choice": ("eq", "ne"),
    "bool": ("eq",),
    "time": ("lt", "gt"),
    "search": ("matches",),
}
#: operators that take no value
NO_VALUE = frozenset({"empty", "not_empty"})


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    kind: str
    #: the SQL value, correlated to ``items`` (None: shown only, e.g. the data preview)
    sql: Callable[[], SQLColumnExpression[Any]] | None
    sortable: bool = True
    choices: tuple[str, ...] = ()
    #: may be empty (NULL); a column that never is sorts by its index as it is
    nullable: bool = True
    #: its index orders empty values first on PostgreSQL (the label columns,
    #: migration 0020), so the sort says ``NULLS FIRST`` to read it; the items'
    #: own columns have plain indexes, which such a sort cannot read (it sorted
    #: all 1,000,000 items for each page: 0.8 s instead of 0.2 ms)
    nulls_first_index: bool = True

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.kind]


def _synthetic(column: str) -> Callable[[], ColumnElement[object]]:
    """A column of the item's synthetic provenance (NULL for human data); a
    primary-key lookup per item, so it filters but does not sort."""

    def sql() -> ColumnElement[object]:
        return (
            select(getattr(SyntheticItem, column))
            .where(SyntheticItem.item_id == Item.id)
            .correlate(Item)
            .scalar_subquery()
        )

    return sql


COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        Column("id", "number", lambda: Item.id, nullable=False, nulls_first_index=False),
        Column("data", "search", None, sortable=False),
        Column(
            "status",
            "choice",
            lambda: Item.status,
            choices=("open", "full", "done", "staged"),
            nullable=False,
            nulls_first_index=False,
        ),
        Column("annotations", "number", lambda: Item.label_answers, nullable=False),
        Column("agreement", "number", lambda: Item.label_agreement),
        Column("consensus", "text", lambda: Item.label_consensus),
        Column("gold", "bool", lambda: Item.is_gold, nullable=False, nulls_first_index=False),
        Column("model", "text", lambda: Item.prediction_model),
        Column("score", "number", lambda: Item.prediction_score),
        Column("uncertainty", "number", lambda: Item.prediction_uncertainty),
        Column(
            "review_state",
            "choice",
            lambda: Item.review_state,
            choices=("none", "review", "escalated", "resolved"),
        ),
        Column("last_annotator", "text", lambda: Item.label_last_annotator),
        Column("time_spent", "number", lambda: Item.label_time_spent_ms),
        Column(
            "created",
            "time",
            lambda: Item.created_at,
            nullable=False,
            nulls_first_index=False,
        ),
        # synthetic data (labelwell.work.synth): empty for human data
        Column("generation", "number", _synthetic("generation"), sortable=False),
        Column(
            "synth_verdict",
            "choice",
            _synthetic("verdict"),
            sortable=False,
            choices=("verified", "fixed", "rejected"),
        ),
    )
}
#: the table's columns for someone who has not chosen any
DEFAULT_COLUMNS = (
    "id",
    "data",
    "status",
    "annotations",
    "agreement",
    "consensus",
    "gold",
    "model",
    "score",
    "review_state",
    "last_annotator",
    "time_spent",
    "created",
)
