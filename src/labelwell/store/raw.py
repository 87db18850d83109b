"""Hot-path SQL on the DBAPI cursor of a session's connection.

The task queue runs a handful of statements per request. Through SQLAlchemy
each one costs about a hundred microseconds of Python; the DBAPI call itself
costs a few. The statements of the hot path are therefore written once, in
SQLite's qmark style, and translated for psycopg; they run inside the
session's own transaction (so ``BEGIN IMMEDIATE`` and the writer gate still
apply) and store values exactly as the SQLAlchemy column types do, so that
rows written here read back through the ORM unchanged:

* timestamps: naive UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` on SQLite,
  ``timestamptz`` on PostgreSQL;
* JSON: text on SQLite, ``jsonb`` on PostgreSQL (``?json`` marks such a
  parameter; read JSON columns through ``CAST(col AS TEXT)`` and :func:`loads`);
* booleans: 0/1 on SQLite, ``boolean`` on PostgreSQL (the drivers adapt
  Python's ``bool``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, RootTransaction, event
from sqlalchemy.orm import Session


class Statement:
    """One statement in both dialects. ``?`` is a parameter, ``?json`` a JSON one;
    ``postgresql=`` gives the PostgreSQL text where it differs beyond that."""

    __slots__ = ("sqlite", "postgresql")

    def __init__(self, sql: str, *, postgresql: str | None = None) -> None:
        self.sqlite = sql.replace("?json", "?")
        if postgresql is None:
            postgresql = sql.replace("?json", "CAST(%s AS JSONB)").replace("?", "%s")
        self.postgresql = postgresql

    def __repr__(self) -> str:
        return f"Statement({self.sqlite!r})"


class Raw:
    """The DBAPI cursor of a unit of work's connection (starting its transaction)."""

    __slots__ = ("_cursor", "postgresql", "_pipeline")

    def __init__(self, source: Session | Connection) -> None:
        connection = source.connection() if isinstance(source, Session) else source
        self.postgresql = connection.dialect.name == "postgresql"
        self._cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        #: the pipeline of a transaction begun with :meth:`begin_pipelined`
        self._pipeline: ExitStack | None = None

    def _sql(self, statement: Statement) -> str:
        return statement.postgresql if self.postgresql else statement.sqlite

    def one(self, statement: Statement, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        self._cursor.execute(self._sql(statement), params)
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    def named(self, statement: Statement, params: tuple[Any, ...] = ()) -> dict[str, Any] | None:
        """The first row by column name (a database function's ``OUT`` names)."""
        self._cursor.execute(self._sql(statement), params)
        row = self._cursor.fetchone()
        if row is None:
            return None
        return dict(zip(self._names(), row, strict=True))

    def _names(self) -> list[str]:
        """The last result's column names. On PostgreSQL they are read from the
        result itself: ``cursor.description`` builds a column object per column
        on every call (a fifth of a 19-column function call's client time)."""
        if self.postgresql:
            result = self._cursor.pgresult
            return [result.fname(i).decode() for i in range(result.nfields)]
        return [column[0] for column in self._cursor.description]

    def all(self, statement: Statement, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(self._sql(statement), params)
        return [tuple(row) for row in self._cursor.fetchall()]

    def run(self, statement: Statement, params: tuple[Any, ...] = ()) -> int:
        """Execute; the number of rows changed."""
        self._cursor.execute(self._sql(statement), params)
        return int(self._cursor.rowcount)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Statements run in the block go to PostgreSQL together when it ends,
        in one round trip, not one each (psycopg's pipeline mode): for writes
        whose results nobody reads, such as a decision stored in several
        tables. A read inside the block sends what waits and its own
        statement at once; a failed statement's error is raised by the end of
        the block at the latest, and the statements after it are not run.
        ``run``'s row counts are not known inside it. On SQLite the statements
        run one by one as always (in-process: no round trip to save)."""
        if not self.postgresql or self._pipeline is not None:
            yield  # SQLite; or a pipelined transaction, which sends it all at its end
            return
        with self._cursor.connection.pipeline():
            yield

    @property
    def pipelined(self) -> bool:
        """In a transaction begun with :meth:`begin_pipelined`."""
        return self._pipeline is not None

    def begin_pipelined(self) -> None:
        """PostgreSQL, on a connection in autocommit mode: begin a transaction
        whose statements are pipelined, as in :meth:`batch`, until
        :meth:`commit_pipelined`. ``BEGIN`` goes with the first read; a read
        waits for its own answer (a flush, not a sync: the transaction stays
        open); the writes after the last read go with ``COMMIT``. ``run``'s
        row counts are not known in it."""
        assert self.postgresql and self._pipeline is None
        self._pipeline = ExitStack()
        self._pipeline.enter_context(self._cursor.connection.pipeline())
        self._cursor.execute("BEGIN")

    def commit_pipelined(self) -> None:
        """Commit the transaction of :meth:`begin_pipelined`, sending what
        waits with the ``COMMIT``. A failed statement's error is raised here,
        the transaction rolled back."""
        pipeline, self._pipeline = self._pipeline, None
        assert pipeline is not None
        try:
            with pipeline:  # leaving it syncs, raising what failed
                self._cursor.execute("COMMIT")
        except BaseException:
            self._cursor.connection.rollback()
            raise

    def stamp(self, value: datetime) -> Any:
        """A timestamp as its column stores it."""
        if self.postgresql:
            return value
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def close(self) -> None:
        """Close the cursor, rolling back a pipelined transaction that was
        not committed (its work failed)."""
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            # the error that stopped the work is on its way already
            with suppress(Exception):
                pipeline.close()
            self._cursor.connection.rollback()
        self._cursor.close()


def raw_of(work: Session | Unit) -> Raw:
    """The raw cursor of a unit of work (an ORM session or a :class:`Unit`)."""
    return work.raw if isinstance(work, Unit) else Raw(work)


def read_one(
    engine: Engine, statement: Statement, params: tuple[Any, ...] = ()
) -> tuple[Any, ...] | None:
    """One row from a pooled connection, outside any unit of work (for lookups
    made on every request, such as the API token: no session, no transaction
    of our own; the pool rolls back whatever the driver began)."""
    connection = engine.raw_connection()
    postgresql = engine.dialect.name == "postgresql"
    try:
        if postgresql:  # one round trip, not BEGIN + SELECT + ROLLBACK
            connection.driver_connection.autocommit = True  # type: ignore[union-attr]
        cursor = connection.cursor()
        sql = statement.postgresql if postgresql else statement.sqlite
        cursor.execute(sql, params)
        row = cursor.fetchone()
        cursor.close()
    finally:
        if postgresql:
            connection.driver_connection.autocommit = False  # type: ignore[union-attr]
        connection.close()
    return None if row is None else tuple(row)


def dumps(value: Any) -> str:
    """A JSON parameter (pass it to a ``?json`` marker)."""
    return orjson.dumps(value).decode()


def loads(value: Any) -> Any:
    """A JSON column read through ``CAST(col AS TEXT)`` (``None`` stays ``None``)."""
    return None if value is None else orjson.loads(value)


def when(value: Any) -> datetime | None:
    """A timestamp column's value, timezone-aware in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Unit:
    """A write unit of work on one connection, lighter than an ORM session:
    statements go through :class:`Raw` (``unit.raw``); an ORM session joined to
    the same transaction is made only when some code asks for ``unit.session``
    (it is flushed before the unit commits). Made by
    :meth:`labelwell.store.db.Database.unit`; ``Unit.of(session)`` wraps an ORM
    session's connection, so services written for units serve both.

    An ``autocommit`` unit (PostgreSQL) commits every statement on its own: for
    work done in one statement, such as a call of the queue's server-side
    functions, it saves the ``BEGIN`` and ``COMMIT`` round trips. Work that
    needs several writes in one transaction calls :meth:`require_transaction`
    before its first write: the unit goes on in a transaction on the same
    connection, which :meth:`commit` ends (the reads before it stand, as
    between any two statements of an autocommit unit: the queue's writes check
    again under lock what they rely on)."""

    __slots__ = (
        "connection",
        "autocommit",
        "_session",
        "_raw",
        "_owns_session",
        "_transaction",
        "_on_commit",
    )

    def __init__(
        self, connection: Connection, session: Session | None = None, *, autocommit: bool = False
    ) -> None:
        self.connection = connection
        self.autocommit = autocommit
        self._session = session
        self._owns_session = session is None
        self._raw: Raw | None = None
        self._transaction: RootTransaction | None = None
        self._on_commit: list[Callable[[], None]] = []

    @classmethod
    def of(cls, work: Session | Unit) -> Unit:
        return work if isinstance(work, Unit) else cls(work.connection(), work)

    def require_transaction(self, *, pipelined: bool = False) -> None:
        """From here on, one transaction: an autocommit unit opens one on its
        connection (call it before writing; what was written before is
        committed already). ``pipelined``: its statements are pipelined
        (:meth:`Raw.begin_pipelined`: ``BEGIN`` and ``COMMIT`` cost no round
        trip of their own), for work that reads no row count of ``Raw.run``
        and needs no ORM session."""
        if self.autocommit and pipelined:
            self.raw.begin_pipelined()
            self.autocommit = False
        elif self.autocommit:
            self.connection.execution_options(
                isolation_level=self.connection.default_isolation_level
            )
            self._transaction = self.connection.begin()
            self.autocommit = False

    def commit(self) -> None:
        """Commit the transaction :meth:`require_transaction` opened, if any."""
        self.flush()
        if self._raw is not None and self._raw.pipelined:
            self._raw.commit_pipelined()
        if self._transaction is not None:
            self._transaction.commit()
            self._transaction = None

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once what the unit wrote so far is committed: at
        once in an autocommit unit (its statements are), when the transaction
        commits otherwise, never if it rolls back. A unit made of an ORM
        session leaves it to the session's commit."""
        if self._session is not None and not self._owns_session:
            on_commit(self._session, callback)
        elif self.autocommit:
            callback()
        else:
            self._on_commit.append(callback)

    def committed(self) -> None:
        """Called by the unit's owner once its transaction committed."""
        callbacks, self._on_commit = self._on_commit, []
        for callback in callbacks:
            callback()

    @property
    def raw(self) -> Raw:
        if self._raw is None:
            self._raw = Raw(self.connection)
        return self._raw

    @property
    def session(self) -> Session:
        if self._raw is not None and self._raw.pipelined:
            raise RuntimeError("a pipelined transaction has no ORM session")
        if self._session is None:
            self.require_transaction()
            # joins the connection's transaction; committing stays the unit's job
            self._session = Session(
                bind=self.connection,
                join_transaction_mode="rollback_only",
                expire_on_commit=False,
            )
        return self._session

    def flush(self) -> None:
        if self._session is not None and self._owns_session:
            self._session.flush()

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()
            self._raw = None
        if self._session is not None and self._owns_session:
            self._session.close()


_ON_COMMIT = "labelwell_on_commit"


def on_commit(work: Session | Unit, callback: Callable[[], None]) -> None:
    """Run ``callback`` right after ``work``'s transaction commits, never if it
    rolls back: for what must not happen unless the change is durable (telling
    other processes about it), and need not happen inside the transaction."""
    if isinstance(work, Unit):
        work.on_commit(callback)
    else:
        work.info.setdefault(_ON_COMMIT, []).append(callback)


@event.listens_for(Session, "after_commit")
def _session_committed(session: Session) -> None:
    for callback in session.info.pop(_ON_COMMIT, ()):
        callback()


@event.listens_for(Session, "after_rollback")
def _session_rolled_back(session: Session) -> None:
    session.info.pop(_ON_COMMIT, None)
