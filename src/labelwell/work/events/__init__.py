"""Live events: what changed in a project, told to the pages that show it.

A service that changes a project calls :func:`publish` inside its own unit of
work, so an event is sent exactly when (and only if) the change commits:

* PostgreSQL: ``pg_notify`` on the schema's channel (:data:`CHANNEL` and the
  schema's name), sent right after the transaction commits by the process's
  sender (:mod:`labelwell.work.events.notifier`, which says why not inside
  it), never for one that rolls back. Every server process keeps one
  ``LISTEN`` connection (:class:`~labelwell.work.events.hub.Hub`) and fans
  the events out to its streams, so an event published through server A
  reaches a stream opened on server B.
* SQLite (one host): a row in ``live_events``, in the same transaction. Each
  server process polls the table with a cursor (the rows after the last id it
  saw) while it has streams open; rows older than :data:`RETAIN_S` are pruned
  (by the pollers, and by one publish in :data:`PRUNE_ONE_IN`).
  Polling a table was chosen over sockets or files between processes because
  it needs nothing beyond the database every process already opens, it works
  for ``labelwell serve --workers N`` and for commands that write (imports,
  ``labelwell worker``) alike, and its ids make ``Last-Event-ID`` resume exact.

Payloads carry ids and counts only: a page refetches what changed through its
usual, authorized routes. :func:`visible` decides what each role may receive.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from labelwell.store.raw import Raw, Statement, Unit, dumps, loads, on_commit, raw_of
from labelwell.store.tables import LiveEvent, utcnow
from labelwell.work.events.notifier import notifier

#: the PostgreSQL channel's name, before the schema's (one channel per schema,
#: so deployments or test runs sharing a database never hear each other)
CHANNEL = "labelwell_events:"
#: SQLite: events kept this long for streams that resume (``Last-Event-ID``)
RETAIN_S = 600
#: PostgreSQL refuses notifications over 8000 bytes; ids lists are cut to this
MAX_IDS = 100

#: kinds of event and who may receive them
SUBMITTED = "annotation.submitted"
REVIEWED = "annotation.reviewed"
ITEMS_CHANGED = "items.changed"
IMPORTED = "import.published"
JOB_FINISHED = "job.finished"
PRESENCE = "presence"
KINDS = (SUBMITTED, REVIEWED, ITEMS_CHANGED, IMPORTED, JOB_FINISHED, PRESENCE)
#: what a rater (annotator) is told: that labels arrive and how many are present
_RATER_KINDS = frozenset({SUBMITTED, PRESENCE})
#: payload keys that name people, items or gold: managers and reviewers only
_RATER_KEYS = frozenset({"count"})

_INSERT = Statement(
    "INSERT INTO live_events (project_id, kind, payload, created_at) VALUES (?, ?, ?json, ?)"
)
_AFTER = Statement(
    "SELECT id, project_id, kind, CAST(payload AS TEXT) FROM live_events "
    "WHERE id > ? ORDER BY id LIMIT ?"
)
_PROJECT_AFTER = Statement(
    "SELECT id, project_id, kind, CAST(payload AS TEXT) FROM live_events "
    "WHERE id > ? AND project_id = ? ORDER BY id LIMIT ?"
)
_LAST = Statement("SELECT COALESCE(MAX(id), 0) FROM live_events")
_PRUNE = Statement("DELETE FROM live_events WHERE created_at < ?")
#: SQLite: one publish in this many also prunes old events (so the table stays
#: small whether or not a server polls it)
PRUNE_ONE_IN = 500


@dataclass(frozen=True, slots=True)
class Event:
    """One change: ``id`` is the table's id on SQLite, a unique string on PostgreSQL."""

    id: str
    project_id: int
    kind: str
    payload: dict[str, Any]

    def wire(self) -> str:
        """The notification's text (PostgreSQL)."""
        return dumps({"id": self.id, "p": self.project_id, "k": self.kind, "d": self.payload})

    @classmethod
    def of_wire(cls, text: str) -> Event:
        body = loads(text)
        return cls(str(body["id"]), int(body["p"]), str(body["k"]), dict(body["d"]))


def ids(values: list[int] | tuple[int, ...]) -> list[int]:
    """At most :data:`MAX_IDS` ids for a payload (a page refetches the rest)."""
    return list(values[:MAX_IDS])


def publish(work: Session | Unit, project_id: int, kind: str, payload: dict[str, Any]) -> None:
    """Send an event when the caller's unit of work commits (nothing if it rolls back)."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    raw = raw_of(work)
    if raw.postgresql:
        event_id = f"{time.time_ns():x}{secrets.token_hex(3)}"
        wire = Event(event_id, project_id, kind, payload).wire()
        engine = work.connection.engine if isinstance(work, Unit) else work.get_bind().engine
        sender = notifier(engine, CHANNEL)
        on_commit(work, lambda: sender.send(wire))
        return
    now = utcnow()
    raw.run(_INSERT, (project_id, kind, dumps(payload), raw.stamp(now)))
    if secrets.randbelow(PRUNE_ONE_IN) == 0:
        raw.run(_PRUNE, (raw.stamp(now - timedelta(seconds=RETAIN_S)),))


def last_id(raw: Raw) -> int:
    """SQLite: the newest event's id (a poller starts after it)."""
    row = raw.one(_LAST)
    return int(row[0]) if row else 0


def after(
    raw: Raw, event_id: int, *, project_id: int | None = None, limit: int = 500
) -> list[Event]:
    """SQLite: the events after ``event_id`` (of one project, or all), oldest first."""
    if project_id is None:
        rows = raw.all(_AFTER, (event_id, limit))
    else:
        rows = raw.all(_PROJECT_AFTER, (event_id, project_id, limit))
    return [Event(str(r[0]), int(r[1]), str(r[2]), loads(r[3]) or {}) for r in rows]


def prune(session: Session, *, older_than_s: int = RETAIN_S) -> int:
    """SQLite: forget events older than ``older_than_s``; how many went."""
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    result = session.execute(delete(LiveEvent).where(LiveEvent.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True, slots=True)
class Viewer:
    """What a stream's owner may learn in the project (from :mod:`policies`)."""

    role: str
    #: the project is blind for raters (blind, or with gold): no presence for them
    blind: bool

    @property
    def rater(self) -> bool:
        return self.role not in ("manager", "reviewer")


def visible(event: Event, viewer: Viewer) -> dict[str, Any] | None:
    """The payload ``viewer`` receives for ``event``, or ``None`` to skip it.

    Managers receive everything. Reviewers everything but events about gold
    items. Annotators receive only that labels arrive and how many people are
    present (not in blind projects), with counts and no ids: never which items
    are gold, whose labels arrived, or which model wrote what."""
    if viewer.role == "manager":
        return event.payload
    if event.payload.get("gold"):
        return None
    if not viewer.rater:
        return event.payload
    if event.kind not in _RATER_KINDS or (event.kind == PRESENCE and viewer.blind):
        return None
    return {k: v for k, v in event.payload.items() if k in _RATER_KEYS}
