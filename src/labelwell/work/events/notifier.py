"""PostgreSQL: the notifications of committed changes, sent in batches from one
thread per engine.

A transaction that calls ``NOTIFY`` takes one lock for the whole database
when it commits and holds it until its commit is durable (PostgreSQL's
``PreCommit_Notify``, ``src/backend/commands/async.c``): two such commits
never overlap, so no two submits could share a WAL flush, and 16 annotators at
overlap 3 spent their time queued on that lock (``pg_stat_activity``: about 8
backends at a time waiting on ``Lock: object`` in ``COMMIT``). So a change no
longer notifies inside its own transaction: once it has committed
(:func:`labelwell.store.raw.on_commit`) its event is handed to this sender,
which sends whatever has gathered in one ``pg_notify`` statement of its own, a
transaction without writes, so the lock is held for no WAL flush. Having
woken for an event, it lingers :data:`LINGER_S` for the ones that follow, so a
busy process sends one statement for many submits instead of one for each
(at 500 submits a second, about one in six loops instead of three in four).

What this keeps: an event is sent only for a change that committed, in the
order the changes of one process committed. What it gives up: an event of a
process that dies between its commit and the send (milliseconds) is lost, as
one sent while a stream's listener reconnects always was; streams resume with
a refetch (:meth:`~labelwell.work.events.hub.Hub.backlog`).
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
import weakref

from sqlalchemy import Engine

from labelwell.store.raw import Raw, Statement

log = logging.getLogger(__name__)

#: one statement notifies a batch, in order (one channel per schema, as
#: :data:`labelwell.work.events.CHANNEL` says)
_NOTIFY_ALL = Statement(
    "SELECT pg_notify(? || current_schema(), wire) FROM unnest(CAST(? AS text[])) AS wire"
)
#: notifications sent in one statement at most (each is under 8,000 bytes)
BATCH = 500
#: seconds the sender waits, after an event woke it, for more to send with it
#: (a live dashboard does not see 10 ms; the database sees far fewer statements)
LINGER_S = 0.01
#: seconds the thread waits for work before it ends (the next event starts it again)
IDLE_S = 5.0
FLUSH_S = 10.0


class Notifier:
    """The sender of one engine's notifications."""

    def __init__(self, engine: Engine, channel: str) -> None:
        self._engine = engine
        self._channel = channel
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition(self._lock)
        self._pending = 0

    def send(self, wire: str) -> None:
        """Notify ``wire`` soon (called once its change committed)."""
        with self._lock:
            self._pending += 1
            self._queue.put(wire)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="labelwell-events-notify", daemon=True
                )
                self._thread.start()

    def flush(self, timeout: float = FLUSH_S) -> bool:
        """Wait until everything handed over so far was sent (or dropped)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _run(self) -> None:
        while True:
            try:
                batch = [self._queue.get(timeout=IDLE_S)]
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            time.sleep(LINGER_S)
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._send(batch)
            with self._idle:
                self._pending -= len(batch)
                self._idle.notify_all()

    def _send(self, batch: list[str]) -> None:
        try:
            with self._engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT")
                raw = Raw(connection)
                try:
                    raw.all(_NOTIFY_ALL, (self._channel, batch))
                finally:
                    raw.close()
        except Exception:  # the database is unreachable: these events are lost
            log.warning(
                "live events: %d notifications could not be sent", len(batch), exc_info=True
            )


_notifiers: weakref.WeakKeyDictionary[Engine, Notifier] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def notifier(engine: Engine, channel: str) -> Notifier:
    """The engine's sender (one per engine and process)."""
    with _guard:
        found = _notifiers.get(engine)
        if found is None:
            found = _notifiers[engine] = Notifier(engine, channel)
        return found


@atexit.register
def flush_all() -> None:
    """Send what is waiting before the process ends (a command that imported,
    a worker that finished a job)."""
    for sender in list(_notifiers.values()):
        sender.flush()
