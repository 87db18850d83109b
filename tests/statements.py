"""The statements a piece of code sends to the database, recorded in tests."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from sqlalchemy import event

from labelwell.store.db import Database
from labelwell.store.raw import Raw


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
