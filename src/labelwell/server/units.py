"""Running a unit of work from an async route.

The annotator's loop (next task, submit) is a few indexed statements, less
work than handing the request to a worker thread and back (a thread hop and
GIL hand-offs between threads). Such units run right on the event loop:

* SQLite: only once the writer lock is free, so the unit cannot block. When
  another writer holds it (a request in another server process, usually for
  well under a millisecond) the unit tries again after a short asynchronous
  sleep, the loop serving other requests meanwhile; after 50 ms (a long writer
  such as an import) it queues in the thread pool instead. A process's writers
  take turns first-come first-served (an asyncio lock), so only one of them
  polls at a time: left to poll all at once, whichever woke when the lock came
  free won, and unlucky requests waited up to the 50 ms limit.
* PostgreSQL: directly, in an autocommit unit: the queue's work there is one
  call of a server-side function (plus the token lookup), atomic on its own, so
  ``BEGIN`` and ``COMMIT`` would only add round trips. Work that needs a
  transaction says so before writing (``NeedsTransaction``) and runs again in
  one. The functions never wait on each other's rows (``SKIP LOCKED``), so the
  loop blocks only for local round trips. Run several server processes
  (``labelwell serve --workers N``) so that one process's round trips overlap
  another's work.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from labelwell.store.db import Database, WriterBusy
from labelwell.store.raw import NeedsTransaction

T = TypeVar("T")
FIRST_RETRY_S = 0.0001
MAX_RETRY_S = 0.0005
#: how long a unit waits on the loop for the lock before queueing in a thread
LOOP_WAIT_S = 0.05


def _in_unit(db: Database, work: Callable[..., T], args: tuple[Any, ...]) -> T:
    with db.unit() as unit:
        return work(unit, *args)


async def write_unit(db: Database, work: Callable[..., T], *args: Any) -> T:
    """``work(unit, *args)`` in one committed :class:`~labelwell.store.raw.Unit`."""
    if db.dialect == "postgresql":
        try:
            with db.unit(autocommit=True) as unit:
                return work(unit, *args)
        except NeedsTransaction:
            return _in_unit(db, work, args)
    if db.dialect != "sqlite":
        return _in_unit(db, work, args)
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
                return await run_in_threadpool(_in_unit, db, work, args)
            await asyncio.sleep(delay)  # the loop serves other requests meanwhile
            delay = min(delay * 2, MAX_RETRY_S)


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
