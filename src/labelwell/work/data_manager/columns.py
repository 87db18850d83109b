"""Every column of the data manager, defined once: the SQL that sorts and
filters by it (correlated to ``items``) and the filters its kind takes.

Label columns read the item's labels: ``agreement`` is the share of its
current human answers that give its most common answer (whole results
compared; the observed agreement of a plurality vote, defined from two answers
up); ``uncertainty`` is one minus the best model score of the item
(least-confidence sampling, Settles 2009, section 3.1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    SQLColumnExpression,
    Text,
    and_,
    case,
    cast,
    func,
    select,
)

from labelwell.store.tables import Annotation, Item, Prediction

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

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.kind]


def _human() -> ColumnElement[bool]:
    return and_(Annotation.item_id == Item.id, Annotation.source == "human")


def _answers() -> ColumnElement[object]:
    current = and_(_human(), Annotation.is_current.is_(True))
    return select(func.count()).where(current).correlate(Item).scalar_subquery()


def _agreement() -> ColumnElement[object]:
    current = and_(_human(), Annotation.is_current.is_(True))
    modal = (
        select(func.count())
        .where(current)
        .group_by(cast(Annotation.result, Text))
        .order_by(func.count().desc())
        .limit(1)
        .correlate(Item)
        .scalar_subquery()
    )
    total = select(func.count()).where(current).correlate(Item).scalar_subquery()
    return case((total >= 2, cast(modal, Float) / total), else_=None)


def _consensus() -> ColumnElement[object]:
    return (
        select(cast(Annotation.result, Text))
        .where(
            Annotation.item_id == Item.id,
            Annotation.source == "consensus",
            Annotation.is_current.is_(True),
        )
        .order_by(Annotation.id.desc())
        .limit(1)
        .correlate(Item)
        .scalar_subquery()
    )


def _last_annotator() -> ColumnElement[object]:
    return (
        select(Annotation.agent)
        .where(_human())
        .order_by(Annotation.id.desc())
        .limit(1)
        .correlate(Item)
        .scalar_subquery()
    )


def _time_spent() -> ColumnElement[object]:
    return (
        select(func.sum(Annotation.time_spent_ms)).where(_human()).correlate(Item).scalar_subquery()
    )


def _best_score() -> ColumnElement[object]:
    return (
        select(func.max(Prediction.score))
        .where(Prediction.item_id == Item.id)
        .correlate(Item)
        .scalar_subquery()
    )


def _uncertainty() -> ColumnElement[object]:
    return 1.0 - _best_score()


def _model() -> ColumnElement[object]:
    return (
        select(Prediction.model_name)
        .where(Prediction.item_id == Item.id)
        .order_by(Prediction.id.desc())
        .limit(1)
        .correlate(Item)
        .scalar_subquery()
    )


COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        Column("id", "number", lambda: Item.id, nullable=False),
        Column("data", "search", None, sortable=False),
        Column(
            "status",
            "choice",
            lambda: Item.status,
            choices=("open", "full", "done", "staged"),
            nullable=False,
        ),
        Column("annotations", "number", _answers, nullable=False),
        Column("agreement", "number", _agreement),
        Column("consensus", "text", _consensus),
        Column("gold", "bool", lambda: Item.is_gold, nullable=False),
        Column("model", "text", _model),
        Column("score", "number", _best_score),
        Column("uncertainty", "number", _uncertainty),
        Column(
            "review_state",
            "choice",
            lambda: Item.review_state,
            choices=("none", "review", "escalated", "resolved"),
        ),
        Column("last_annotator", "text", _last_annotator),
        Column("time_spent", "number", _time_spent),
        Column("created", "time", lambda: Item.created_at, nullable=False),
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
