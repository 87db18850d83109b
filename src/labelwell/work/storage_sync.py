"""Source sync: make an item of each new object under a storage connection's
prefix (:mod:`labelwell.work.storage`), by hand (``labelwell storage sync``, the
API) or as the ``storage_sync`` job a worker runs."""

from __future__ import annotations

import fnmatch
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from fsspec.spec import AbstractFileSystem  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exists, insert, select, update

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ImportRow
from labelwell.store.db import Database
from labelwell.store.tables import (
    Import,
    Item,
    StorageConnection,
    StorageObject,
    table_of,
    utcnow,
)
from labelwell.work import jobs
from labelwell.work.actors import Actor
from labelwell.work.jobs import JOB_KINDS, JobKind, JobRun
from labelwell.work.storage import _fs_error, _path, filesystem, get_connection, split_url


@dataclass(frozen=True, slots=True)
class SyncReport:
    connection: str
    listed: int
    added_objects: int
    added_items: int
    import_id: int | None
    #: seconds of each stage: ``known`` (reading the objects earlier syncs
    #: took), ``listing`` (until the last listing ended), ``items`` (storing
    #: and publishing the import, from the end of the listing: items are
    #: stored while the rest is listed) and ``record`` (recording the objects
    #: taken)
    stages: dict[str, float] = field(default_factory=dict)


#: listings the sync runs at once
LIST_WORKERS = 16
#: the sync splits the prefix by its "folders" until it has this many parts
LIST_SPLIT = 64
#: and goes no deeper than this many levels below the prefix to find them
LIST_DEPTH = 4


def list_keys(
    fs: AbstractFileSystem,
    root: str,
    *,
    workers: int = LIST_WORKERS,
    split: int = LIST_SPLIT,
    depth: int = LIST_DEPTH,
) -> list[str]:
    """The keys of every object under ``root`` (relative to it, sorted): what
    ``fs.find(root)`` gives, listed in parallel the way s5cmd and rclone list a
    bucket (see :func:`iter_keys`)."""
    parts = iter_keys(fs, root, workers=workers, split=split, depth=depth)
    return sorted(key for part in parts for key in part)


def iter_keys(
    fs: AbstractFileSystem,
    root: str,
    *,
    workers: int = LIST_WORKERS,
    split: int = LIST_SPLIT,
    depth: int = LIST_DEPTH,
    ended: Callable[[], None] | None = None,
) -> Iterator[list[str]]:
    """The keys of every object under ``root`` (relative to it), each once, in
    parts as their listings finish, each part sorted. One level at a time, the
    "folders" (common prefixes under the ``/`` delimiter) of the prefix are
    listed, ``workers`` at a time, until there are ``split`` of them or
    ``depth`` levels were split; the objects found on the way are the first
    part. Then each folder is listed in full, ``workers`` at a time, in the
    background while the caller works on the parts already given: one part a
    folder, in the folders' order. A prefix without folders (a flat layout) is
    one listing, page after page: the store gives no way to split a key range
    it has not shown yet. ``ended``, if given, is called as each listing ends
    (from the thread that ran it)."""
    start = root.rstrip("/") + "/"
    seen: set[str] = set()

    def find(path: str) -> list[str]:
        found = list(fs.find(path))
        if ended:
            ended()
        return found

    def fresh(paths: list[str]) -> list[str]:
        keys = []
        for path in sorted(paths):
            key = path[len(start) :]
            if path.startswith(start) and key not in seen:
                seen.add(key)
                keys.append(key)
        return keys

    files: list[str] = []
    frontier = [root.rstrip("/")]
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        for _ in range(depth):
            if not frontier or len(frontier) >= split:
                break
            folders: list[str] = []
            for entries in pool.map(lambda p: _ls(fs, p), frontier):
                for entry in entries:
                    name = str(entry["name"]).rstrip("/")
                    if entry.get("type") == "directory":
                        folders.append(name)
                    elif not str(entry["name"]).endswith("/"):
                        files.append(name)
            frontier = folders
        listings = pool.map(find, frontier)  # all started now
        if ended:
            ended()
        yield fresh(files)
        for found in listings:
            yield fresh(found)
    finally:
        # a caller that stops early (its import failed) leaves no listing queued
        pool.shutdown(wait=False, cancel_futures=True)


def _ls(fs: AbstractFileSystem, path: str) -> list[dict[str, Any]]:
    """One level of ``path``; nothing for a prefix that holds no object yet."""
    try:
        return list(fs.ls(path, detail=True))
    except FileNotFoundError:
        return []


def new_keys(listed: list[str], known: set[str], pattern: str = "*") -> list[str]:
    """The keys of ``listed`` (sorted) that match ``pattern`` and no earlier
    sync took, at most 1,000 characters long (the longest key S3 allows, and
    the longest the store records)."""
    match = re.compile(fnmatch.translate(pattern)).match
    return [k for k in listed if len(k) <= 1000 and k not in known and match(k)]


def _object_rows(
    fs: AbstractFileSystem, conn: StorageConnection, keys: Iterable[str], root: str
) -> Iterator[tuple[str, list[ImportRow]]]:
    data_key = conn.options.get("data_key", "url")
    as_json = bool(conn.options.get("json_items"))
    scheme, _ = split_url(conn.url)
    for n, key in enumerate(keys, start=1):
        url = f"{conn.url}/{key}"
        if as_json and key.endswith((".json", ".jsonl")):
            yield key, _json_rows(fs, f"{root}/{key}", url, n)
        else:
            yield key, [ImportRow(line=n, data={data_key: url}, media=[url])]


def _json_rows(fs: AbstractFileSystem, path: str, url: str, line: int) -> list[ImportRow]:
    try:
        text = fs.cat_file(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{url}: cannot read it as UTF-8 JSON ({type(exc).__name__})") from None
    try:
        if path.endswith(".jsonl"):
            values = [json.loads(t) for t in text.splitlines() if t.strip()]
        else:
            value = json.loads(text)
            values = value if isinstance(value, list) else [value]
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{url}: not JSON ({exc.msg} at line {exc.lineno})") from None
    rows = []
    for value in values:
        if not isinstance(value, dict):
            raise InvalidInput(f"{url}: each item must be a JSON object")
        data = value.get("data", value) if isinstance(value.get("data"), dict) else value
        rows.append(ImportRow(line=line, data=data))
    return rows


def sync(
    db: Database,
    actor: Actor,
    project_id: int,
    ref: str | int,
    *,
    progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Make an item of each object under the connection's prefix that no earlier
    sync took (the ``glob`` option filters keys); runs again without duplicates.
    One sync of a connection runs at a time, across servers, commands and
    workers: this one holds a ``storage_sync`` job row while it works, and a
    second one is refused (``Conflict``) meanwhile. Opens its own units of work
    on ``db``: call it outside any."""
    with db.read_session() as s:
        conn_id = get_connection(s, actor, project_id, ref).id
    with jobs.held(db, actor, "storage_sync", project_id, {"storage": str(conn_id)}) as result:
        report = _sync(db, actor, project_id, conn_id, progress=progress)
        result.update(_summary(report))
    return report


def _summary(report: SyncReport) -> dict[str, Any]:
    return {
        "connection": report.connection,
        "listed": report.listed,
        "added_objects": report.added_objects,
        "added_items": report.added_items,
        "import_id": report.import_id,
        "stages": report.stages,
    }


def _sync(
    db: Database,
    actor: Actor,
    project_id: int,
    ref: str | int,
    *,
    progress: Callable[[int], None] | None = None,
) -> SyncReport:
    from labelwell.work.imports import import_rows

    stages: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str, since: float | None = None) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[stage] = round(now - (clock if since is None else since), 3)
        clock = now

    with db.read_session() as s:
        conn = get_connection(s, actor, project_id, ref)
        s.expunge(conn)
    with db.read_session() as s:
        known = set(
            s.scalars(select(StorageObject.key).where(StorageObject.connection_id == conn.id))
        )
    _recover(db, conn, known)
    lap("known")
    fs = filesystem(conn)
    root = _path(conn.url).rstrip("/")
    pattern = conn.options.get("glob", "*")
    listed = 0
    listed_at = clock

    def ended() -> None:
        nonlocal listed_at
        listed_at = max(listed_at, time.perf_counter())

    def new() -> Iterator[str]:
        """The new keys, part after part, while the rest is being listed."""
        nonlocal listed
        try:
            for part in iter_keys(fs, root, ended=ended):
                listed += len(part)
                yield from new_keys(part, known, pattern)
        except (OSError, ValueError) as exc:
            raise _fs_error(exc, conn.url) from None
        stages["listing"] = round(listed_at - clock, 3)

    keys = new()
    first = next(keys, None)
    if first is None:
        _mark_synced(db, conn.id, [], [])
        lap("record", since=listed_at)
        return SyncReport(conn.name, listed, 0, 0, None, stages)
    taken: list[tuple[str, int]] = []  # (key, rows it made)

    def rows() -> Iterator[ImportRow]:
        for key, made in _object_rows(fs, conn, chain([first], keys), root):
            taken.append((key, len(made)))
            yield from made

    record: Import = import_rows(
        db, actor, project_id, rows(), filename=conn.url, fmt="storage", progress=progress
    )
    lap("items", since=listed_at)
    with db.read_session() as s:
        ids = list(s.scalars(select(Item.id).where(Item.import_id == record.id).order_by(Item.id)))
    firsts: list[int | None] = []
    at = 0
    for _, n in taken:
        firsts.append(ids[at] if n == 1 and at < len(ids) else None)
        at += n
    _mark_synced(db, conn.id, [k for k, _ in taken], firsts)
    lap("record")
    return SyncReport(conn.name, listed, len(taken), len(ids), record.id, stages)


def _recover(db: Database, conn: StorageConnection, known: set[str]) -> None:
    """Record the objects of an earlier sync of ``conn`` whose items were
    published but not recorded (the process ended in between), so they are not
    taken twice: the items of its imports that no ``storage_objects`` row names.
    Adds their keys to ``known``."""
    prefix = conn.url + "/"
    with db.read_session() as s:
        orphans = s.execute(
            select(Item.id, Item.media)
            .join(Import, Import.id == Item.import_id)
            .where(
                Import.project_id == conn.project_id,
                Import.format == "storage",
                Import.filename == conn.url[:500],
                Import.state == "published",
                ~exists().where(
                    StorageObject.connection_id == conn.id, StorageObject.item_id == Item.id
                ),
            )
        ).all()
    found: dict[str, int] = {}
    for item_id, media in orphans:
        if media and isinstance(media[0], str) and media[0].startswith(prefix):
            key = media[0][len(prefix) :]
            if key not in known:
                found.setdefault(key, item_id)
    if found:
        _mark_synced(db, conn.id, list(found), list(found.values()))
        known.update(found)


def _mark_synced(
    db: Database, connection_id: int, keys: list[str], item_ids: list[int | None]
) -> None:
    """Record the objects taken, in short transactions of :data:`MARK_CHUNK`
    rows (annotators wait for SQLite's writer lock)."""
    now = utcnow()
    rows = [
        {"connection_id": connection_id, "key": k, "item_id": i, "synced_at": now}
        for k, i in zip(keys, item_ids, strict=True)
    ]
    for start in range(0, len(rows), MARK_CHUNK):
        with db.session() as s:
            s.execute(insert(table_of(StorageObject)), rows[start : start + MARK_CHUNK])
    with db.session() as s:
        s.execute(
            update(StorageConnection)
            .where(StorageConnection.id == connection_id)
            .values(synced_at=now)
        )


#: objects recorded per transaction
MARK_CHUNK = 5_000


class SyncOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    storage: str = Field(
        ..., min_length=1, max_length=100, description="The connection's name or id."
    )


def sync_job(run: JobRun) -> dict[str, Any]:
    """The worker's side: the job row it claimed is the one that keeps a second
    sync of the connection out."""
    if run.project_id is None:
        raise InvalidInput("this job needs a project", field="project_id")
    if run.actor is None:
        raise InvalidInput("a sync runs as the person who asked for it", field="created_by")
    return _summary(_sync(run.db, run.actor, run.project_id, run.options.storage))


JOB_KINDS.register(
    "storage_sync",
    JobKind(
        SyncOptions,
        sync_job,
        dedupe=lambda project_id, options: f"storage_sync:{project_id}:{options.storage}",
        description="Make an item of each new object under a storage connection's prefix.",
    ),
)
