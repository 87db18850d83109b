"""One process's side of the live events: a source of events (PostgreSQL's
``LISTEN`` or SQLite's polled table, see :mod:`labelwell.work.events`) fanned
out to the streams open in this process.

The hub starts its source with the first stream and holds no database
connection for the streams themselves: on PostgreSQL one dedicated ``LISTEN``
connection per process (a thread waits on it), on SQLite a short read every
:data:`POLL_S` while a stream is open.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter, deque
from typing import Any

from sqlalchemy.engine import make_url

from labelwell.errors import Busy, TooManyRequests
from labelwell.store.db import Database, WriterBusy
from labelwell.store.raw import Raw
from labelwell.work import events
from labelwell.work.events import Event

#: SQLite: seconds between two reads of the events table
POLL_S = 0.1
PRUNE_EVERY_S = 60.0
#: streams one person may hold open in one server process
MAX_STREAMS_PER_USER = 8
#: seconds a person over the bound is told to wait
STREAM_RETRY_S = 30
#: events waiting for a slow stream before it is told to refetch everything
QUEUE_SIZE = 256
#: PostgreSQL: events kept in memory for streams that resume (``Last-Event-ID``)
RECENT = 2000
LISTEN_READY_S = 10.0


class Subscription:
    """One stream's queue of events of one project."""

    __slots__ = ("project_id", "user_id", "queue", "overflowed")

    def __init__(self, project_id: int, user_id: int) -> None:
        self.project_id = project_id
        self.user_id = user_id
        self.queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        #: events were dropped: the page should refetch all it shows
        self.overflowed = False


class Hub:
    """The streams of one server process and the source that feeds them."""

    def __init__(self, db: Database, *, max_streams_per_user: int = MAX_STREAMS_PER_USER) -> None:
        self.db = db
        self.max_streams_per_user = max_streams_per_user
        self._subscriptions: dict[int, set[Subscription]] = {}
        self._streams: Counter[int] = Counter()
        self._recent: deque[Event] = deque(maxlen=RECENT)
        self._poller: asyncio.Task[None] | None = None
        self._listener: threading.Thread | None = None
        self._listening = threading.Event()
        self._stop = threading.Event()

    @property
    def streams(self) -> int:
        return sum(self._streams.values())

    async def subscribe(self, project_id: int, user_id: int) -> Subscription:
        """A new stream's subscription, once the source is sure to see what
        commits from now on. ``TooManyRequests`` past the per-person bound."""
        if self._streams[user_id] >= self.max_streams_per_user:
            raise TooManyRequests(
                f"you have {self._streams[user_id]} live streams open on this server; "
                "close a tab or wait for one to end",
                retry_after=STREAM_RETRY_S,
            )
        self._streams[user_id] += 1
        subscription = Subscription(project_id, user_id)
        self._subscriptions.setdefault(project_id, set()).add(subscription)
        try:
            if self.db.dialect == "postgresql":
                await self._start_listener()
            else:
                await self._start_poller()
        except BaseException:
            self.unsubscribe(subscription)
            raise
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        found = self._subscriptions.get(subscription.project_id)
        if found is None or subscription not in found:
            return
        found.discard(subscription)
        if not found:
            del self._subscriptions[subscription.project_id]
        self._streams[subscription.user_id] -= 1
        if self._streams[subscription.user_id] <= 0:
            del self._streams[subscription.user_id]

    async def backlog(self, project_id: int, last_event_id: str) -> list[Event] | None:
        """The project's events after ``last_event_id`` (a stream resuming), or
        ``None`` when they are no longer known (the page refetches everything)."""
        if self.db.dialect == "postgresql":
            recent = list(self._recent)
            for index, event in enumerate(recent):
                if event.id == last_event_id:
                    return [e for e in recent[index + 1 :] if e.project_id == project_id]
            return None
        if not last_event_id.isdigit():
            return None
        return await asyncio.to_thread(self._read, int(last_event_id), project_id)

    def dispatch(self, event: Event) -> None:
        """Hand ``event`` to every stream of its project (on the event loop)."""
        self._recent.append(event)
        for subscription in self._subscriptions.get(event.project_id, ()):
            try:
                subscription.queue.put_nowait(event)
            except asyncio.QueueFull:
                subscription.overflowed = True

    async def close(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        if self._listener is not None:
            await asyncio.to_thread(self._listener.join, 5.0)
        self._poller = self._listener = None
        self._listening.clear()
        self._stop.clear()  # the app may start again (a test's second client)

    # -- SQLite: the polled table ------------------------------------------------

    def _read(self, cursor: int, project_id: int | None = None) -> list[Event]:
        with self.db.read_session() as s:
            return events.after(Raw(s), cursor, project_id=project_id)

    def _last_id(self) -> int:
        with self.db.read_session() as s:
            return events.last_id(Raw(s))

    def _prune(self) -> None:
        try:
            with self.db.session(wait=False) as s:
                events.prune(s)
        except WriterBusy:  # another writer is busy: the next round prunes
            pass

    async def _start_poller(self) -> None:
        if self._poller is not None and not self._poller.done():
            return
        cursor = await asyncio.to_thread(self._last_id)
        if self._poller is not None and not self._poller.done():
            return  # another stream started it meanwhile
        self._poller = asyncio.create_task(self._poll(cursor), name="labelwell-events-poll")

    async def _poll(self, cursor: int) -> None:
        pruned_at = 0.0
        while self._subscriptions and not self._stop.is_set():
            for event in await asyncio.to_thread(self._read, cursor):
                cursor = int(event.id)
                self.dispatch(event)
            if time.monotonic() - pruned_at > PRUNE_EVERY_S:
                pruned_at = time.monotonic()
                await asyncio.to_thread(self._prune)
            await asyncio.sleep(POLL_S)

    # -- PostgreSQL: one LISTEN connection ----------------------------------------

    async def _start_listener(self) -> None:
        if self._listener is None or not self._listener.is_alive():
            loop = asyncio.get_running_loop()
            self._listener = threading.Thread(
                target=self._listen, args=(loop,), name="labelwell-events-listen", daemon=True
            )
            self._listener.start()
        if not await asyncio.to_thread(self._listening.wait, LISTEN_READY_S):
            raise Busy("live updates are not available: the database did not answer; retry later")

    def _conninfo(self) -> str:
        url = make_url(self.db.url).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    def _listen(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait for notifications and hand them to the loop; reconnect when the
        connection is lost (events sent meanwhile are lost: streams resume
        with a refetch)."""
        import psycopg
        from psycopg import sql

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo(), autocommit=True) as connection:
                    name = connection.execute(
                        "SELECT %s || current_schema()", (events.CHANNEL,)
                    ).fetchone()
                    assert name is not None
                    connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(str(name[0]))))
                    self._listening.set()
                    while not self._stop.is_set():
                        for note in connection.notifies(timeout=1.0):
                            self._hand_over(loop, note.payload)
            except psycopg.Error:
                self._listening.clear()
                self._stop.wait(1.0)

    def _hand_over(self, loop: asyncio.AbstractEventLoop, payload: Any) -> None:
        try:
            event = Event.of_wire(str(payload))
        except (ValueError, KeyError, TypeError):  # not ours
            return
        try:
            loop.call_soon_threadsafe(self.dispatch, event)
        except RuntimeError:  # the loop closed: the server is stopping
            self._stop.set()
