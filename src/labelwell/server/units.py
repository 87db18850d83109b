"""Running a unit of work from an async route.

No request blocks the event loop on the database: a lock wait, a slow commit
or an exhausted connection pool stalls only the request that meets it, never
``/healthz``, static files or the other annotators served by the process.

* SQLite: the annotator's loop (next task, submit) is a few indexed statements,
  less work than handing the request to a worker thread and back, and SQLite
  is in-process: such a unit runs right on the event loop, but only once the
  writer lock is free, so it cannot block. When another writer holds it (a
  request in another server process, usually for well under a millisecond)
  the unit tries again after a short asynchronous sleep, the loop serving
  other requests meanwhile; after 50 ms (a long writer such as an import
  chunk) it queues in the database threads instead. A process's writers take
  turns first-come first-served (an asyncio lock), so only one of them polls
  at a time: left to poll all at once, whichever woke when the lock came free
  won, and unlucky requests waited up to the 50 ms limit.
* PostgreSQL: in the process's database threads (:func:`in_database_thread`),
  in an autocommit unit: the queue's work there is one call of a server-side
  function (plus the token lookup), atomic on its own, so ``BEGIN`` and
  ``COMMIT`` would only add round trips. Work that needs a transaction (the
  submit that completes its item and decides its consensus) opens one before
  writing and goes on in it, on the same connection
  (``Unit.require_transaction``). The functions
  never wait on each other's rows (``SKIP LOCKED``), but a submit does wait for
  its lease's row, which anything else may hold (a manager's bulk change, an
  ``ALTER TABLE``), and every commit waits for the WAL flush.
"""

from __future__ import annotations

import asyncio
import functools
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from labelwell.store.db import Database, WriterBusy

T = TypeVar("T")
FIRST_RETRY_S = 0.0001
MAX_RETRY_S = 0.0005
#: how long a unit waits on the loop for the lock before queueing in a thread
LOOP_WAIT_S = 0.05
#: threads per server process for units of work (each holds a pooled connection
#: while it runs; the pool has 20 plus 20 overflow)
DATABASE_THREADS = 32


def _in_unit(db: Database, work: Callable[..., T], args: tuple[Any, ...]) -> T:
    with db.unit() as unit:
        return work(unit, *args)


def _in_autocommit_unit(db: Database, work: Callable[..., T], args: tuple[Any, ...]) -> T:
    with db.unit(autocommit=True) as unit:
        return work(unit, *args)


async def write_unit(db: Database, work: Callable[..., T], *args: Any) -> T:
    """``work(unit, *args)`` in one committed :class:`~labelwell.store.raw.Unit`."""
    if db.dialect == "postgresql":
        return await in_database_thread(_in_autocommit_unit, db, work, args)
    if db.dialect != "sqlite":
        return await in_database_thread(_in_unit, db, work, args)
    async with _turn():
        delay = FIRST_RETRY_S
        deadline = time.monotonic() + LOOP_WAIT_S
        while True:
            try:
                with db.unit(wait=False) as unit:
                    return work(unit, *args)
            except WriterBusy:
                pass
            if time.monotonic() > deadline:  # a long writer (an import): queue in a thread
                return await in_database_thread(_in_unit, db, work, args)
            await asyncio.sleep(delay)  # the loop serves other requests meanwhile
            delay = min(delay * 2, MAX_RETRY_S)


async def in_database_thread(call: Callable[..., T], *args: Any) -> T:
    """``call(*args)`` in one of the running loop's database threads.

    Threads of their own, apart from the pool that serves synchronous routes
    (``/healthz``, pages, uploads): requests waiting on the database can take
    all of these and still leave those routes free. A plain executor is a
    lighter hop than anyio's thread pool (no capacity limiter or cancel scope).
    """
    loop = asyncio.get_running_loop()
    executor = _executors.get(loop)
    if executor is None:
        executor = _executors[loop] = ThreadPoolExecutor(
            DATABASE_THREADS, thread_name_prefix="labelwell-db"
        )
        weakref.finalize(loop, executor.shutdown, wait=False)
    return await loop.run_in_executor(executor, functools.partial(call, *args))


_executors: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ThreadPoolExecutor] = (
    weakref.WeakKeyDictionary()
)
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _turn() -> asyncio.Lock:
    """The running loop's queue of SQLite writers (asyncio locks are first-come
    first-served and belong to one loop)."""
    loop = asyncio.get_running_loop()
    lock = _turns.get(loop)
    if lock is None:
        lock = _turns[loop] = asyncio.Lock()
    return lock
