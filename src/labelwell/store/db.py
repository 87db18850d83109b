"""Engines and sessions.

SQLite runs in WAL mode with foreign keys on, and every transaction starts with
``BEGIN IMMEDIATE`` so that writers queue on the database's own lock (a single
writer at a time, across processes). PostgreSQL is reached through psycopg 3.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import CursorResult, Engine, Executable, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from labelwell.errors import Busy
from labelwell.store.raw import Unit


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            # Hand out the connection used last: its cache is the warmest.
            pool_use_lifo=True,
            pool_size=kwargs.pop("pool_size", 20),
            max_overflow=kwargs.pop("max_overflow", 20),
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(
        url,
        pool_size=kwargs.pop("pool_size", 20),
        max_overflow=kwargs.pop("max_overflow", 20),
        **kwargs,
    )
    _ping_when_idle(engine)
    return engine


#: a pooled PostgreSQL connection left idle this long is pinged before reuse
PING_AFTER_IDLE_S = 2.0


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling that costs nothing under load.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip per
    request, a quarter of the round trips of the annotator's loop on
    PostgreSQL. A connection checked in less than :data:`PING_AFTER_IDLE_S` ago
    was working then; one idle for longer (the server may have restarted, or
    a firewall dropped it) is pinged, and a dead one is replaced before use
    (the pool retries a checkout that raises ``DisconnectionError``).
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as error:  # the driver's error for a dead connection
            raise exc.DisconnectionError(f"pooled connection lost: {error}") from error
        if not alive:
            raise exc.DisconnectionError("pooled connection lost")


#: PostgreSQL SQLSTATEs that mean the connection is gone: connection exceptions
#: (class 08) and the server shutting the backend down (57P01-57P03)
_LOST_STATES = ("57P01", "57P02", "57P03")


def lost_connection(error: BaseException) -> bool:
    """Whether ``error`` says the database connection was lost (a backend
    terminated, the server restarting, the network gone): worth a retry on a fresh
    connection, and a 503 rather than a 500 if that fails too."""
    if isinstance(error, exc.DisconnectionError):
        return True
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig  # type: ignore[assignment]
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    if isinstance(error, psycopg.InterfaceError):
        return True
    if isinstance(error, psycopg.OperationalError):
        state = getattr(error, "sqlstate", None)
        return state is None or state.startswith("08") or state in _LOST_STATES
    return False


class WriterBusy(Exception):
    """Another writer holds SQLite's write lock (``session(wait=False)`` only)."""


class WriterGate:
    """Queues SQLite writers without polling.

    SQLite's own lock (taken by ``BEGIN IMMEDIATE``) is what keeps writes
    correct. But a writer that finds it taken sleeps in SQLite's busy handler
    with growing back-off (up to 100 ms), which wrecks latency under load. The
    gate makes writers wait their turn on a thread lock plus an ``flock`` on a
    file beside the database instead, so the next writer wakes the moment the
    previous one commits, in this process or another one.
    """

    def __init__(self, database_path: str | None) -> None:
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        if database_path and database_path != ":memory:":
            self._fd = os.open(f"{database_path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)

    def acquire(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=timeout):
            raise Busy(f"the database stayed busy for {timeout:.0f} s; retry later")
        if self._fd is None:
            return
        try:
            while True:
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise Busy(
                            f"the database stayed busy for {timeout:.0f} s; retry later"
                        ) from None
                    time.sleep(0.0005)
        except BaseException:
            self._thread_lock.release()
            raise

    def try_acquire(self) -> bool:
        """Take the gate only if nobody holds it, here or in another process."""
        if not self._thread_lock.acquire(blocking=False):
            return False
        if self._fd is None:
            return True
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            self._thread_lock.release()
            return False

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()


WAL_CHECKPOINT_PAGES = 10_000
CACHE_KIB = 32 * 1024


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take over transaction control from the sqlite3 module, so BEGIN is ours.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        # Checkpoint the WAL every 10,000 pages (40 MB) instead of every 1,000:
        # each checkpoint syncs and copies, and at the default one ran every
        # ~100 submissions, costing a third of the submit throughput.
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        # Up to 32 MiB of page cache per connection (the default is 2 MiB): the
        # queue's indexes on a million items stay in memory.
        cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock up front; read-only units of work do not.
        # On the DBAPI connection: this runs for every unit of work.
        driver = conn.connection.driver_connection
        if conn.get_execution_options().get("labelwell_read_only"):
            driver.execute("BEGIN")
            return
        driver.execute("BEGIN IMMEDIATE")


def rows_changed(session: Session, statement: Executable) -> int:
    """How many rows an UPDATE or DELETE changed (its cursor's row count)."""
    result = session.execute(statement)
    if not isinstance(result, CursorResult):
        raise TypeError(f"{statement} returned no row count")
    return result.rowcount


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class Database:
    """An engine and its session factory; built once per app or command."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._gate = WriterGate(self.engine.url.database) if self.dialect == "sqlite" else None
        self._read_sessions = sessionmaker(
            self.engine.execution_options(labelwell_read_only=True), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, wait: bool = True) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any error.

        With ``wait=False`` a SQLite writer that would have to queue raises
        :class:`WriterBusy` instead (nothing has run yet)."""
        if self._gate is not None:
            if wait:
                self._gate.acquire()
            elif not self._gate.try_acquire():
                raise WriterBusy
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            if self._gate is not None:
                self._gate.release()

    @contextmanager
    def unit(self, *, wait: bool = True, autocommit: bool = False) -> Iterator[Unit]:
        """A write unit of work without an ORM session up front (the hot path:
        about a fifth of a session's overhead); commits on success, rolls back
        on any error. ``wait`` as for :meth:`session`. ``autocommit`` (PostgreSQL
        only) gives a unit whose statements commit one by one; see
        :class:`~labelwell.store.raw.Unit`."""
        if autocommit:
            if self.dialect != "postgresql":
                raise ValueError("autocommit units are for PostgreSQL")
            with self.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT")
                unit = Unit(connection, autocommit=True)
                try:
                    yield unit
                    unit.commit()  # the transaction the work asked for, if any
                finally:
                    unit.close()  # an uncommitted transaction rolls back with the connection
            unit.committed()
            return
        if self._gate is not None:
            if wait:
                self._gate.acquire()
            elif not self._gate.try_acquire():
                raise WriterBusy
        try:
            with self.engine.connect() as connection:
                with connection.begin():
                    unit = Unit(connection)
                    try:
                        yield unit
                        unit.flush()
                    finally:
                        unit.close()
                unit.committed()
        finally:
            if self._gate is not None:
                self._gate.release()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A unit of work that only reads (on SQLite it does not take the write lock)."""
        session = self._read_sessions()
        try:
            yield session
        finally:
            # close() ends the transaction and detaches objects without expiring them.
            session.close()

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the database now, without taking
        the writer lock or waiting for readers (``PASSIVE``). A long writer (an
        import) calls it between its transactions, so that the WAL stays short
        and no annotator's commit meets the automatic checkpoint (up to 40 MB
        copied while that request waits). Nothing on PostgreSQL."""
        if self.dialect != "sqlite":
            return
        connection = self.engine.raw_connection()
        driver: Any = connection.driver_connection
        try:  # outside any transaction: the driver does not begin one itself
            driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()

    def drop_pooled_connections(self) -> None:
        """Forget every pooled connection, so the next checkouts connect afresh: when
        one connection was lost (a restart, terminated backends) the others to the
        same server usually are too. Connections in use are dropped when returned."""
        self.engine.dispose(close=False)

    def dispose(self) -> None:
        self.engine.dispose()
