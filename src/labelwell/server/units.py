"""Running a unit of work from an async route.

The annotator's loop (next task, submit) is a few indexed statements, far
less work than handing the request to a worker thread and back (a thread hop
and two GIL hand-offs). On SQLite, when the writer lock is free, such a unit
runs right on the event loop: it cannot block there, since nobody holds the
lock it needs. When the lock is taken (by a request in another server
process, usually for well under a millisecond) the unit tries again after a
short asynchronous sleep, so the loop serves other requests meanwhile; after
50 ms (a long writer such as an import) it queues in the thread pool instead.
The loop never blocks on the lock. On PostgreSQL every statement is a network round trip, so units
always run in the thread pool.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from labelwell.store.db import Database, WriterBusy

T = TypeVar("T")
FIRST_RETRY_S = 0.0001
MAX_RETRY_S = 0.002
#: how long a unit waits on the loop for the lock before queueing in a thread
LOOP_WAIT_S = 0.05


def _in_unit(db: Database, work: Callable[..., T], args: tuple[Any, ...]) -> T:
    with db.unit() as unit:
        return work(unit, *args)


async def write_unit(db: Database, work: Callable[..., T], *args: Any) -> T:
    """``work(unit, *args)`` in one committed :class:`~labelwell.store.raw.Unit`."""
    if db.dialect != "sqlite":
        return await run_in_threadpool(_in_unit, db, work, args)
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
