"""Paging through a project's items with filters, a sort and full-text search.

Pages are keyset pages: the cursor holds the sort value and id of the last
row, and the next page starts after it (``(value, id) > (v, last)``), so a
page costs the same at row 50 and row 1,000,000 and rows neither repeat nor
go missing while labels arrive. An empty value sorts as the lowest.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.store import derived
from labelwell.store.db import Database
from labelwell.store.tables import Import, Item, Prediction
from labelwell.work.actors import Actor
from labelwell.work.data_manager.columns import COLUMNS, NO_VALUE, Column
from labelwell.work.policies import Permission, authorize
from labelwell.work.published import published_in_order

MAX_LIMIT = 500
MAX_FILTERS = 20
MAX_WORDS = 12
PREVIEW_CHARS = 200
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Filter:
    column: str
    op: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class TableQuery:
    """What the table shows: ``filters`` (all must hold), a ``sort`` column,
    its direction and a full-text ``search`` over the items' data."""

    filters: tuple[Filter, ...] = ()
    sort: str = "id"
    descending: bool = False
    search: str = ""

    @classmethod
    def of(cls, state: dict[str, Any]) -> TableQuery:
        """From the JSON form (an API body or a saved view), checked."""
        raw = state.get("filters") or []
        if not isinstance(raw, list):
            raise InvalidInput("filters: must be a list", field="filters")
        filters = []
        for i, f in enumerate(raw):
            if not isinstance(f, dict):
                raise InvalidInput(f"filters[{i}]: must be an object", field=f"filters[{i}]")
            filters.append(Filter(str(f.get("column", "")), str(f.get("op", "")), f.get("value")))
        query = cls(
            tuple(filters),
            str(state.get("sort") or "id"),
            bool(state.get("descending", False)),
            str(state.get("search") or ""),
        )
        query.check()
        return query

    def as_state(self) -> dict[str, Any]:
        return {
            "filters": [{"column": f.column, "op": f.op, "value": f.value} for f in self.filters],
            "sort": self.sort,
            "descending": self.descending,
            "search": self.search,
        }

    def check(self) -> None:
        if len(self.filters) > MAX_FILTERS:
            raise InvalidInput(f"filters: at most {MAX_FILTERS}", field="filters")
        for i, f in enumerate(self.filters):
            _value(f, f"filters[{i}]")
        column = COLUMNS.get(self.sort)
        if column is None or not column.sortable:
            sortable = ", ".join(k for k, c in COLUMNS.items() if c.sortable)
            raise InvalidInput(f"sort: must be one of {sortable}", field="sort")
        if len(self.search) > 500:
            raise InvalidInput("search: at most 500 characters", field="search")


def _column(f: Filter, where: str) -> Column:
    column = COLUMNS.get(f.column)
    if column is None:
        raise InvalidInput(
            f"{where}.column: unknown column {f.column!r}; known: {', '.join(COLUMNS)}",
            field=f"{where}.column",
        )
    if f.op not in column.operators:
        raise InvalidInput(
            f"{where}.op: {f.column} takes {', '.join(column.operators)}", field=f"{where}.op"
        )
    return column


def _value(f: Filter, where: str) -> Any:
    """The filter's value in the column's type; InvalidInput naming the field."""
    column = _column(f, where)
    field_name = f"{where}.value"
    if f.op in NO_VALUE:
        return None
    value = f.value
    if column.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidInput(f"{field_name}: {f.column} needs a number", field=field_name)
        try:
            number = float(value)
        except ValueError:
            raise InvalidInput(
                f"{field_name}: {f.column} needs a number, not {value!r}", field=field_name
            ) from None
        if number != number or abs(number) > 1e300:
            raise InvalidInput(f"{field_name}: not a usable number", field=field_name)
        return number
    if column.kind == "bool":
        if value in (True, "true", "1", 1):
            return True
        if value in (False, "false", "0", 0):
            return False
        raise InvalidInput(f"{field_name}: {f.column} needs true or false", field=field_name)
    if column.kind == "choice":
        if value not in column.choices:
            raise InvalidInput(
                f"{field_name}: {f.column} is one of {', '.join(column.choices)}",
                field=field_name,
            )
        return value
    if column.kind == "time":
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise InvalidInput(
                f"{field_name}: {f.column} needs a date or time (2026-01-31, 2026-01-31T12:00)",
                field=field_name,
            ) from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    if not isinstance(value, str) or not value or len(value) > 200:
        raise InvalidInput(f"{field_name}: 1 to 200 characters of text", field=field_name)
    return value


def _tsquery(words: list[str]) -> str:
    """PostgreSQL's query for items holding every word (each as a prefix)."""
    return " & ".join(f"{w}:*" for w in words)


def full_text(session: Session, search: str) -> ColumnElement[bool]:
    """Items whose data holds every word of ``search`` (each as a word prefix):
    FTS5 on SQLite (migration 0010), the GIN-indexed ``item_search`` table on
    PostgreSQL (migration 0021)."""
    words = _WORD.findall(search)[:MAX_WORDS]
    if not words:
        return true()
    if session.get_bind().dialect.name == "postgresql":
        terms = _tsquery(words)
        found = text(
            "SELECT item_id FROM item_search"
            " WHERE document @@ to_tsquery('simple'::regconfig, :terms)"
        ).bindparams(terms=terms)
        return Item.id.in_(found.columns(literal_column("item_id")))  # type: ignore[arg-type]
    match = " ".join(f'"{w}"*' for w in words)
    hits = text("SELECT rowid FROM items_fts WHERE items_fts MATCH :match").bindparams(match=match)
    # ``+items.id``: the hits are a list the page's index order is checked
    # against. Looked up one by one and sorted instead (SQLite's choice for an
    # id sort), two common words (280,000 hits of 1,000,000) took 4 to 8 s a
    # page, the list 0.1 s; a rare word walks the whole index, about 0.1 s.
    key: ColumnElement[int] = literal_column("+items.id")
    return key.in_(hits.columns(literal_column("rowid")))  # type: ignore[arg-type]


def _condition(session: Session, f: Filter, where: str) -> ColumnElement[bool]:
    column = _column(f, where)
    value = _value(f, where)
    if column.kind == "search":
        return full_text(session, str(value or ""))
    assert column.sql is not None
    sql = column.sql()
    if f.column == "review_state" and value == "none":
        return sql.is_(None) if f.op == "eq" else sql.is_not(None)
    if f.op == "empty":
        return sql.is_(None)
    if f.op == "not_empty":
        return sql.is_not(None)
    if f.op == "contains":
        return sql.contains(value, autoescape=True)  # type: ignore[no-any-return]
    if column.kind == "bool":
        return sql.is_(true()) if value else or_(sql.is_(false()), sql.is_(None))
    compare = {
        "eq": sql.__eq__,
        "ne": sql.__ne__,
        "lt": sql.__lt__,
        "le": sql.__le__,
        "gt": sql.__gt__,
        "ge": sql.__ge__,
    }[f.op]
    condition: ColumnElement[bool] = compare(value)
    return condition


def where(
    session: Session, project_id: int, query: TableQuery, *, importing: bool = True
) -> list[ColumnElement[bool]]:
    """The conditions selecting ``query``'s items of a project; ``importing``
    False: the caller has seen that no import of the project is being written,
    so that every item of it is published."""
    conditions = [Item.project_id == project_id]
    if importing:
        conditions.append(published_in_order())
    for i, f in enumerate(query.filters):
        conditions.append(_condition(session, f, f"filters[{i}]"))
    if query.search.strip():
        conditions.append(full_text(session, query.search))
    return conditions


def _sort_key(query: TableQuery) -> ColumnElement[Any]:
    column = COLUMNS[query.sort]
    assert column.sql is not None
    sql = column.sql()
    if column.kind == "bool":
        return case((sql.is_(true()), 1), else_=0)
    return sql  # type: ignore[return-value]  # an ORM attribute is a column element here


def _after(key: ColumnElement[Any], value: Any, last: int, descending: bool) -> ColumnElement[bool]:
    """The rows after the cursor ``(value, last)`` in the order ``key, id``, an
    empty value (NULL) sorting as the lowest: first ascending, last descending."""
    if descending:
        if value is None:
            return and_(key.is_(None), Item.id < last)
        return or_(key < value, and_(key == value, Item.id < last), key.is_(None))
    if value is None:
        return or_(and_(key.is_(None), Item.id > last), key.is_not(None))
    return or_(key > value, and_(key == value, Item.id > last))


def encode_cursor(value: Any, last_id: int) -> str:
    if isinstance(value, datetime):
        value = {"t": value.astimezone(UTC).isoformat()}
    raw = orjson.dumps([value, last_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value, last_id = raw
        if isinstance(value, dict):
            value = datetime.fromisoformat(value["t"])
        if not isinstance(last_id, int) or isinstance(last_id, bool) or last_id < 0:
            raise ValueError(cursor)
        if not (value is None or isinstance(value, int | float | str | datetime)):
            raise ValueError(cursor)
        return value, last_id
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        raise InvalidInput("cursor: not a cursor this API returned", field="cursor") from None


@dataclass(frozen=True, slots=True)
class Row:
    """One item as the table shows it."""

    id: int
    external_id: str | None
    preview: str
    status: str
    annotations: int
    agreement: float | None
    consensus: str | None
    gold: bool
    predictions: list[tuple[str, float | None]]
    review_state: str | None
    last_annotator: str | None
    time_spent_ms: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Table:
    rows: list[Row]
    next_cursor: str | None = None
    columns: tuple[str, ...] = field(default=())


def preview(data: Any, limit: int = PREVIEW_CHARS) -> str:
    """The item's text values (then any other values) in one line, cut to ``limit``."""
    if not isinstance(data, dict):
        return str(data)[:limit]
    texts = [v for v in data.values() if isinstance(v, str)]
    parts = texts or [orjson.dumps(v).decode() for v in data.values()]
    line = " · ".join(" ".join(p.split()) for p in parts)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def consensus_text(result: Any) -> str | None:
    """A consensus result as ``control: value`` pairs."""
    if isinstance(result, str | bytes):
        try:
            result = orjson.loads(result)
        except orjson.JSONDecodeError:
            return str(result)
    if not isinstance(result, dict):
        return None if result is None else str(result)
    pairs = []
    for name, value in result.items():
        shown = value if isinstance(value, str) else orjson.dumps(value).decode()
        pairs.append(f"{name}: {shown}")
    return "; ".join(pairs)[:PREVIEW_CHARS]


def rows_of(session: Session, ids: list[int]) -> list[Row]:
    """The table's rows of these items, in the order of ``ids``."""
    if not ids:
        return []
    found = session.scalars(select(Item).where(Item.id.in_(ids))).all()
    predictions: dict[int, list[tuple[str, float | None]]] = {}
    for item_id, model, score in session.execute(
        select(Prediction.item_id, Prediction.model_name, Prediction.score)
        .where(Prediction.item_id.in_(ids))
        .order_by(Prediction.id)
    ):
        predictions.setdefault(item_id, []).append((model, score))
    by_id = {}
    for item in found:
        by_id[item.id] = Row(
            id=item.id,
            external_id=item.external_id,
            preview=preview(item.data),
            status=item.status,
            annotations=item.label_answers,
            agreement=item.label_agreement,
            consensus=consensus_text(item.label_consensus),
            gold=item.is_gold,
            predictions=predictions.get(item.id, []),
            review_state=item.review_state,
            last_annotator=item.label_last_annotator,
            time_spent_ms=item.label_time_spent_ms,
            created_at=item.created_at,
        )
    return [by_id[i] for i in ids if i in by_id]


def derive_labels(db: Database, project_id: int) -> None:
    """Bring the project's stored label columns up to date before the table
    reads them: a write of an answer or a prediction only marks its item
    (migration 0023); the marked items are derived here, in one short write
    transaction, and only when there are any."""
    with db.read_session() as s:
        if not derived.has_stale(s, project_id):
            return
    with db.session() as s:
        derived.refresh_stale(s, project_id)


@contextmanager
def labelled_read(db: Database, project_id: int) -> Iterator[Session]:
    """A read session in which the project's label columns are up to date: the
    staleness check is its first statement, so that a page in the usual case
    (nothing stale) costs one transaction, not two; stale items are derived
    first (:func:`derive_labels`) and the read starts after."""
    with db.read_session() as s:
        if not derived.has_stale(s, project_id):
            yield s
            return
    derive_labels(db, project_id)
    with db.read_session() as s:
        yield s


def page(
    session: Session,
    actor: Actor,
    project_id: int,
    query: TableQuery,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> Table:
    """One page of the table (managers only: it shows gold flags and every answer)."""
    authorize(session, actor, project_id, Permission.manage)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit: 1 to {MAX_LIMIT}", field="limit")
    query.check()
    key = _sort_key(query)
    after: list[ColumnElement[bool]] = []
    if cursor:
        value, last = decode_cursor(cursor)
        if query.sort == "id":
            after.append(Item.id < last if query.descending else Item.id > last)
        else:
            after.append(_after(key, value, last, query.descending))
    found: list[Any] | None = None
    words = _WORD.findall(query.search)[:MAX_WORDS]
    if words and session.get_bind().dialect.name == "postgresql":
        found = _probed(session, project_id, query, key, after, limit, words)
    if found is None:
        conditions = where(session, project_id, query) + after
        found = list(
            session.execute(
                select(Item.id, key.label("sort_key"))
                .where(*conditions)
                .order_by(*_order(query, key, Item.id))
                .limit(limit + 1)
            ).all()
        )
    more = len(found) > limit
    found = found[:limit]
    next_cursor = encode_cursor(found[-1].sort_key, found[-1].id) if more else None
    return Table(rows_of(session, [r.id for r in found]), next_cursor)


def _order(query: TableQuery, key: Any, last: Any) -> tuple[Any, Any]:
    """``ORDER BY`` the sort ``key``, then the id ``last``. The label columns'
    indexes are (project_id, column NULLS FIRST, id), the items' own columns'
    plain (which on SQLite is the same order)."""
    if COLUMNS[query.sort].nulls_first_index:
        if query.descending:
            return key.desc().nulls_last(), last.desc()
        return key.asc().nulls_first(), last.asc()
    return (key.desc(), last.desc()) if query.descending else (key.asc(), last.asc())


#: rows of the sort's order a PostgreSQL search first checks one by one
SEARCH_WINDOW = 2_000


def _probed(
    session: Session,
    project_id: int,
    query: TableQuery,
    key: ColumnElement[Any],
    after: list[ColumnElement[bool]],
    limit: int,
    words: list[str],
) -> list[Any] | None:
    """A PostgreSQL search's page read in the sort's index order, each item's
    words checked on its ``item_search`` row, over the first
    :data:`SEARCH_WINDOW` rows only; None when they hold fewer than a page (a
    rarer search: the GIN index finds its few items faster). Words common
    enough to fill a page early make the GIN index list hundreds of thousands
    of items to sort or probe (1.9 to 4.5 s a page for two words in 28 % of
    1,000,000 items, against about 0.2 s here)."""
    plain = TableQuery(query.filters, query.sort, query.descending, "")
    window = (
        select(Item.id.label("id"), key.label("sort_key"))
        .where(*where(session, project_id, plain), *after)
        .order_by(*_order(query, key, Item.id))
        .limit(SEARCH_WINDOW)
        .subquery("w")
    )
    # a value, not a join: the planner cannot turn it back into the GIN scan
    document: ColumnElement[Any] = literal_column(
        "(SELECT s.document FROM item_search s WHERE s.item_id = w.id)"
    )
    matches = func.to_tsquery(literal_column("'simple'::regconfig"), _tsquery(words))
    found = session.execute(
        select(window.c.id, window.c.sort_key)
        .where(document.op("@@")(matches))
        .order_by(*_order(query, window.c.sort_key, window.c.id))
        .limit(limit + 1)
    ).all()
    return list(found) if len(found) > limit else None


def _importing(session: Session, project_id: int) -> bool:
    """Whether an import of the project is being written: only then may some of
    its items be unpublished (a discarded import's items are removed before it
    is marked so)."""
    found = session.scalar(
        select(Import.id).where(Import.project_id == project_id, Import.state == "writing").limit(1)
    )
    return found is not None


def count(session: Session, actor: Actor, project_id: int, query: TableQuery) -> int:
    """How many items ``query`` selects. With no import being written the rule
    that hides unpublished items is left out, so that a count can read an
    index alone instead of every item's row (1,000,000 items on SQLite: 0.2 s
    instead of 1.5 s)."""
    authorize(session, actor, project_id, Permission.manage)
    query.check()
    conditions = where(session, project_id, query, importing=_importing(session, project_id))
    return int(session.scalar(select(func.count()).select_from(Item).where(*conditions)) or 0)
