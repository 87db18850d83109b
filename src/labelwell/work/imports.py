"""Imports that never hold the database's writer for long.

A file of a million items used to be stored in one transaction: on SQLite the
writer lock was held for the whole import and every annotator waited (12.7 s
stalls, then 503s). Here the rows are validated outside any transaction and
stored chunk by chunk, each chunk in a short transaction of its own, under an
import whose ``state`` is ``writing``; nothing sees such items
(:mod:`labelwell.work.published`). One short transaction then publishes them
all by flipping the import's state.

Items of an import in progress are stored ``staged`` rather than ``open``: the
queue looks for work in the ``open`` range of its index and never visits them
(when the 0006 queue skipped them one by one instead, an empty queue beside a
million-row import cost 3-6 s per next task). Once published, the items are
opened chunk by chunk (:func:`open_staged`), each chunk a short transaction;
the import is marked ``staged`` until the last chunk, and should the process
die before it, the next server or command to start opens the rest
(:func:`recover`).

The import stays atomic: a bad row, an error or an interrupted command removes
the chunks already stored (``discarded``), and a writer that died (a crash, a
``kill -9``) leaves chunks that the next server or command to start removes
(:func:`recover`): its process is gone from this host, or it has not stored a
chunk for :data:`ABANDONED_AFTER_S`.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from labelwell.errors import Conflict
from labelwell.formats.registry import ImportRow
from labelwell.store.db import Database, rows_changed
from labelwell.store.tables import Import, Item, Project, utcnow
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.events import IMPORTED, publish
from labelwell.work.items import (
    Annotators,
    ProgressFn,
    WarnFn,
    _write_batch,
    checked_batches,
    importer_for,
    read_into,
)
from labelwell.work.media_pyramids import queue_for_import
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of

#: an import that stored no chunk for this long has lost its writer
ABANDONED_AFTER_S = 600.0
#: rows stored per transaction at most, whatever the batch size: a chunk holds
#: SQLite's writer lock for its length (measured with 100,000 rows on a loaded
#: 2-core machine: 5,000-row chunks held it 788 ms at the median, 1,000-row
#: chunks 198 ms, and the import took 40 s against 42 s)
CHUNK_ROWS = 1_000
#: SQLite: chunks stored between passive checkpoints (about 4 MB of WAL since
#: the items carry eight sort indexes (migration 0020): ten chunks wrote 7 MB;
#: one after every chunk made a 200,000-row import twice as slow, 11.7 s against 5.4)
CHECKPOINT_EVERY = 5
#: items removed per transaction when an import is discarded
DISCARD_CHUNK = 2_000


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def import_rows(
    db: Database,
    actor: Actor,
    project_id: int,
    rows: Iterable[ImportRow],
    *,
    filename: str = "",
    fmt: str = "",
    batch_size: int = 5_000,
    progress: ProgressFn | None = None,
    annotators: str = "keep",
) -> Import:
    """Validate and store ``rows`` in chunks of ``batch_size`` (at most
    :data:`CHUNK_ROWS`), each in its own transaction, then publish them at once;
    raise InvalidInput (with line and field) on the first bad row, having stored
    nothing. Opens its own units of work on ``db``: call it outside any."""
    with db.session() as s:
        project = authorize(s, actor, project_id, Permission.manage)
        record = Import(
            project_id=project_id,
            filename=filename[:500],
            format=fmt,
            created_by=actor.id,
            state="writing",
            owner=_owner(),
            heartbeat_at=utcnow(),
        )
        s.add(record)
        s.flush()
        people = Annotators(s, actor, annotators, project_id=project_id)
    try:
        total = _store(db, project, record, rows, actor, people, batch_size, progress)
        people.check(filename)
        _publish(db, actor, record, total)
    except BaseException:
        # should the database be gone too, recover() removes them later
        with contextlib.suppress(Exception):
            discard(db, record.id)
        raise
    queue_for_import(db, project, record.id)  # large images' pyramids, before anyone asks
    return record


def _store(
    db: Database,
    project: Project,
    record: Import,
    rows: Iterable[ImportRow],
    actor: Actor,
    people: Annotators,
    batch_size: int,
    progress: ProgressFn | None,
) -> int:
    """Validate each row outside any transaction; store each full chunk in one."""
    ontology = ontology_of(project)
    chunk = max(1, min(batch_size, CHUNK_ROWS))
    total = chunks = 0

    def write(batch: list[ImportRow]) -> None:
        nonlocal total, chunks
        with db.session() as s:
            people.session = s
            people.resolve(batch)
            total += _write_batch(s, project, record, batch, actor, people)
            s.execute(
                update(Import)
                .where(Import.id == record.id)
                .values(n_items=total, heartbeat_at=utcnow())
            )
        chunks += 1
        if chunks % CHECKPOINT_EVERY == 0:
            db.checkpoint()  # SQLite: keep the WAL short for the annotators' commits
        if progress:
            progress(total)

    # later chunks are checked against the stored ones
    for batch in checked_batches(rows, ontology, record.filename, chunk):
        write(batch)
    return total


def _publish(db: Database, actor: Actor, record: Import, total: int) -> None:
    """One short transaction: the import's rows become visible together."""
    with db.session() as s:
        flipped = rows_changed(
            s,
            update(Import)
            .where(Import.id == record.id, Import.state == "writing")
            .values(state="published", staged=True, n_items=total, heartbeat_at=utcnow()),
        )
        if not flipped:  # recover() took it for abandoned: its rows are gone
            raise Conflict(
                f"import {record.id} was interrupted for too long and discarded; import again"
            )
        audit.record(
            s,
            actor,
            "items.import",
            project_id=record.project_id,
            target_type="import",
            target_id=record.id,
            details={"filename": record.filename, "items": total},
        )
    record.state, record.n_items = "published", total
    open_staged(db, record.id)


def _in_chunks(
    db: Database,
    import_id: int,
    size: int,
    change: Callable[[Session, list[int]], int],
    *,
    first: ColumnElement[bool] | None = None,
) -> int:
    """Walk an import's items in id order, ``size`` at a time, calling
    ``change(session, ids)`` for each chunk in a short transaction of its own
    (from the first item matching ``first``, if given); returns the sum of
    what ``change`` returned. SQLite's WAL is checkpointed every
    :data:`CHECKPOINT_EVERY` chunks."""
    with db.read_session() as s:
        after = s.scalar(
            select(func.min(Item.id)).where(
                Item.import_id == import_id, *([first] if first is not None else [])
            )
        )
    done = chunks = 0
    while after is not None:
        with db.session() as s:
            ids = list(
                s.scalars(
                    select(Item.id)
                    .where(Item.id >= after, Item.import_id == import_id)
                    .order_by(Item.id)
                    .limit(size)
                )
            )
            if ids:
                done += change(s, ids)
        if not ids:
            break
        chunks += 1
        if chunks % CHECKPOINT_EVERY == 0:
            db.checkpoint()
        after = ids[-1] + 1
    return done


def open_staged(db: Database, import_id: int) -> int:
    """Put a published import's ``staged`` items in the queue, a short
    transaction per chunk of :data:`CHUNK_ROWS`, then clear the import's
    ``staged`` mark. Safe to run twice at once. Returns the items opened."""

    def open_chunk(s: Session, ids: list[int]) -> int:
        return rows_changed(
            s,
            update(Item)
            .where(Item.id >= ids[0], Item.id <= ids[-1], Item.import_id == import_id)
            .where(Item.status == "staged")
            .values(status="open"),
        )

    opened = _in_chunks(db, import_id, CHUNK_ROWS, open_chunk, first=Item.status == "staged")
    with db.session() as s:
        s.execute(update(Import).where(Import.id == import_id).values(staged=False))
        project_id = s.scalar(select(Import.project_id).where(Import.id == import_id))
        if project_id is not None:
            publish(s, project_id, IMPORTED, {"import_id": import_id, "count": opened})
    return opened


def import_file(
    db: Database,
    actor: Actor,
    project_id: int,
    path: Path,
    *,
    fmt: str | None = None,
    batch_size: int = 5_000,
    progress: ProgressFn | None = None,
    annotators: str = "keep",
    warn: WarnFn | None = None,
) -> Import:
    """Import a file (:func:`import_rows`); what the importer skipped (its
    ``warnings``) goes to ``warn``."""
    with db.read_session() as s:
        project = authorize(s, actor, project_id, Permission.manage)
        importer = importer_for(path, fmt, ontology_of(project))
    options = {"batch_size": batch_size, "progress": progress, "annotators": annotators}
    return read_into(importer, path, warn, import_rows, db, actor, project_id, **options)


def discard(db: Database, import_id: int) -> int:
    """Remove an unpublished import's items (with their imported labels,
    predictions and gold answers), a short transaction per chunk, and mark it
    ``discarded``. Returns the number of items removed."""

    def remove(s: Session, ids: list[int]) -> int:
        s.execute(delete(Item).where(Item.id.in_(ids)))
        return len(ids)

    removed = _in_chunks(db, import_id, DISCARD_CHUNK, remove)
    with db.session() as s:
        s.execute(
            update(Import)
            .where(Import.id == import_id, Import.state != "published")
            .values(state="discarded", n_items=0, heartbeat_at=utcnow())
        )
    return removed


def _abandoned(owner: str | None, heartbeat_at: datetime | None, now: datetime) -> bool:
    if heartbeat_at is None or now - heartbeat_at > timedelta(seconds=ABANDONED_AFTER_S):
        return True
    host, _, pid = (owner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's writer: only its silence tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover(db: Database) -> list[int]:
    """Discard the imports whose writer is gone and open the staged items of
    published imports whose writer is gone; the ids of those discarded. Run as
    a server or a command starts."""
    now = utcnow()
    with db.read_session() as s:
        writing = s.execute(
            select(Import.id, Import.owner, Import.heartbeat_at).where(Import.state == "writing")
        ).all()
        opening = s.execute(
            select(Import.id, Import.owner, Import.heartbeat_at).where(
                Import.state == "published", Import.staged.is_(True)
            )
        ).all()
    gone = [id_ for id_, owner, beat in writing if _abandoned(owner, beat, now)]
    for import_id in gone:
        discard(db, import_id)
    for import_id, owner, beat in opening:
        if _abandoned(owner, beat, now):
            open_staged(db, import_id)
    return gone
