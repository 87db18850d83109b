"""Target storage: each completed item's labels written under a connection's
prefix, as Label Studio's target storage does. A connection with the
``labels_on_complete`` option gets ``<prefix>/<item_id>.json`` for every item of
its project that reaches ``done`` (the answers its overlap asks for): the item's
record of the JSONL export (data, media, annotations, predictions, gold,
consensus), one JSON object.

``labelwell worker`` writes them between jobs (:func:`write_completed`), so a
submit never waits on the store. Each object written is recorded in
``storage_objects`` (the table a sync records its objects in), so an item is
written once however many workers run, and a sync of the same prefix does not
take the label files back in as items. A store that cannot be reached is tried
again a minute later; the items wait."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import orjson
from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from labelwell.formats.jsonl import record_to_dict
from labelwell.store.db import Database
from labelwell.store.tables import Item, StorageConnection, StorageObject, table_of, utcnow
from labelwell.work.export import iter_records
from labelwell.work.published import published
from labelwell.work.storage import _fs_error, _path, filesystem

log = logging.getLogger(__name__)

#: the connection option that makes a connection a target
OPTION = "labels_on_complete"
#: items written per connection and pass
BATCH = 200
#: seconds a connection whose store failed rests before the next try
RETRY_S = 60.0
#: when each failed connection (by id) may be tried again, in this process
_resting: dict[int, float] = {}


@dataclass(frozen=True, slots=True)
class Written:
    connection_id: int
    key: str
    item_id: int


def key_of(item_id: int) -> str:
    """The object an item's labels go to, below the connection's prefix."""
    return f"{item_id}.json"


def targets(session: Session) -> list[StorageConnection]:
    """The connections that take completed items' labels."""
    return [c for c in session.scalars(select(StorageConnection)) if (c.options or {}).get(OPTION)]


def _due(session: Session, conn: StorageConnection, limit: int) -> list[int]:
    written = exists().where(
        StorageObject.connection_id == conn.id, StorageObject.item_id == Item.id
    )
    query = (
        select(Item.id)
        .where(Item.project_id == conn.project_id, Item.status == "done", published(), ~written)
        .order_by(Item.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def _documents(session: Session, project_id: int, ids: list[int]) -> dict[int, bytes]:
    return {
        record.item_id: orjson.dumps(record_to_dict(record), option=orjson.OPT_APPEND_NEWLINE)
        for record in iter_records(session, project_id, only=[Item.id.in_(ids)])
    }


def _record(db: Database, rows: list[Written]) -> None:
    if not rows:
        return
    now = utcnow()
    with db.session() as s:
        dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
        s.execute(
            dialect.insert(table_of(StorageObject))
            .values(
                [
                    {
                        "connection_id": r.connection_id,
                        "key": r.key,
                        "item_id": r.item_id,
                        "synced_at": now,
                    }
                    for r in rows
                ]
            )
            .on_conflict_do_nothing(index_elements=["connection_id", "key"])
        )


def write_connection(db: Database, conn: StorageConnection, *, limit: int = BATCH) -> list[Written]:
    """Write the labels of up to ``limit`` completed items not yet written
    under ``conn``; returns what was written (and recorded)."""
    with db.read_session() as s:
        ids = _due(s, conn, limit)
        documents = _documents(s, conn.project_id, ids) if ids else {}
    if not documents:
        return []
    fs = filesystem(conn)
    root = _path(conn.url).rstrip("/")
    if conn.url.startswith("file://"):
        fs.makedirs(root, exist_ok=True)
    done: list[Written] = []
    try:
        for item_id, body in documents.items():
            key = key_of(item_id)
            fs.pipe_file(f"{root}/{key}", body)
            done.append(Written(conn.id, key, item_id))
    except (OSError, ValueError) as exc:
        _record(db, done)
        raise _fs_error(exc, f"{conn.url}/{key_of(item_id)}") from None
    _record(db, done)
    return done


def write_completed(db: Database, *, limit: int = BATCH) -> int:
    """One pass of the worker: for every target connection, write the labels
    of the completed items it has not received yet (up to ``limit`` each).
    Returns how many objects were written; a connection whose store fails is
    logged and rests :data:`RETRY_S` before it is tried again."""
    with db.read_session() as s:
        conns = targets(s)
        for conn in conns:
            s.expunge(conn)
    written = 0
    for conn in conns:
        if _resting.get(conn.id, 0.0) > time.monotonic():
            continue
        try:
            written += len(write_connection(db, conn, limit=limit))
        except Exception as error:  # one store's failure must not stop the others or the worker
            _resting[conn.id] = time.monotonic() + RETRY_S
            message = getattr(error, "message", type(error).__name__)
            log.warning(
                "storage %s (project %s): %s; tried again in %g s",
                conn.name,
                conn.project_id,
                message,
                RETRY_S,
            )
        else:
            _resting.pop(conn.id, None)
    return written
