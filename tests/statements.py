"""The statements a piece of code sends to the database, recorded in tests."""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Iterator

from sqlalchemy import event

from labelwell.store.db import Database
from labelwell.store.raw import Raw, Unit


@contextlib.contextmanager
def sent_here(db: Database) -> Iterator[list[str]]:
    """Every statement sent while the block runs, as text without its
    parameters: the hot path's own (through :class:`Raw`) and any the engine
    runs, from this thread only (not, say, the live events' sender, which
    notifies what an earlier unit committed)."""
    sent: list[str] = []
    here = threading.get_ident()
    original = Raw._sql

    def recorded(self: Raw, statement):  # type: ignore[no-untyped-def]
        sql = original(self, statement)
        if threading.get_ident() == here:
            sent.append(sql)
        return sql

    def on_engine(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if threading.get_ident() == here:
            sent.append(statement)

    Raw._sql = recorded  # type: ignore[method-assign]
    event.listen(db.engine, "before_cursor_execute", on_engine)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", on_engine)
        Raw._sql = original  # type: ignore[method-assign]


@contextlib.contextmanager
def round_trips(unit: Unit) -> Iterator[list[int]]:
    """How many times the unit's connection waited for PostgreSQL in the
    block (the list's one item, filled when the block ends), read from the
    protocol trace: each run of the server's messages after the client's."""
    pgconn = unit.connection.connection.dbapi_connection.pgconn  # type: ignore[union-attr]
    count: list[int] = []
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        try:
            yield count
        finally:
            pgconn.untrace()
        trace.seek(0)
        sides = [line.split("\t")[1] for line in trace if line.count("\t") >= 3]
    count.append(sum(1 for a, b in zip(sides, sides[1:], strict=False) if (a, b) == ("F", "B")))
