"""Imports stored chunk by chunk in short transactions, published at once:
nothing sees an import before it is published, and a refused, failed or
killed import leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import orjson
import pytest
from sqlalchemy import func, select, text

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ImportRow
from labelwell.store import derived
from labelwell.store.tables import Import, Item, utcnow
from labelwell.work import imports, items, queue, stats
from labelwell.work.export import iter_records
from labelwell.work.export_sql import iter_jsonl_lines
from server_process import running
from waiting import wait_for
from world import build_world


def _stored(db, project_id: int) -> int:
    """Every item row of the project, published or not."""
    with db.engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM items WHERE project_id = :p"), {"p": project_id}
        ).scalar_one()


def _seen(world) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """What the queue, the item list, the exports and the statistics see."""
    db, pid = world.db, world.project_id
    with db.read_session() as s:
        listed = len(items.list_items(s, world.manager, pid, limit=1000))
        counted = items.count_items(s, pid)
        exported = sum(1 for _ in iter_records(s, pid))
        in_sql_export = sum(1 for _ in iter_jsonl_lines(s, pid))
        in_stats = stats.project_stats(s, world.manager, pid).items
    with db.session() as s:
        leased = int(queue.next_task(s, world.annotators[0], pid) is not None)
    return {"listed": listed, "counted": counted, "exported": exported,
            "in_sql_export": in_sql_export, "in_stats": in_stats, "leased": leased}


def _rows(n: int, start: int = 0) -> list[ImportRow]:
    return [ImportRow(line=i + 1, data={"text": f"new {start + i}"}) for i in range(n)]


def test_an_unpublished_import_is_seen_by_nothing(db):
    world = build_world(db, n_items=0)
    seen_midway: list[dict[str, int]] = []
    stored_midway: list[int] = []

    def rows() -> Iterator[ImportRow]:
        for i, row in enumerate(_rows(10)):
            if i == 7:  # two chunks of three are stored, each committed
                stored_midway.append(_stored(db, world.project_id))
                seen_midway.append(_seen(world))
            yield row

    record = imports.import_rows(db, world.manager, world.project_id, rows(), batch_size=3)
    assert stored_midway == [6]
    assert seen_midway == [
        {"listed": 0, "counted": 0, "exported": 0, "in_sql_export": 0, "in_stats": 0,
         "leased": 0}
    ]
    assert record.state == "published" and record.n_items == 10
    with db.read_session() as s:
        assert items.count_items(s, world.project_id) == 10
        assert s.scalar(select(Import.state).where(Import.id == record.id)) == "published"
    assert _seen(world)["leased"] == 1


def test_items_of_an_unpublished_import_cannot_be_read_by_id(db):
    world = build_world(db, n_items=0)
    found: list[str] = []

    def rows() -> Iterator[ImportRow]:
        yield from _rows(3)
        with db.read_session() as s:
            item_id = s.scalar(select(func.min(Item.id)))
            try:
                items.get_item(s, world.manager, item_id)
                found.append("read")
            except Exception as exc:
                found.append(type(exc).__name__)
        yield from _rows(1, start=3)

    imports.import_rows(db, world.manager, world.project_id, rows(), batch_size=3)
    assert found == ["NotFound"]


def test_a_bad_row_after_stored_chunks_leaves_nothing(db):
    world = build_world(db, n_items=2)
    rows = _rows(10, start=100)
    rows[8] = ImportRow(line=9, data={"wrong": "field"})
    with pytest.raises(InvalidInput) as refused:
        imports.import_rows(db, world.manager, world.project_id, rows, filename="f.jsonl",
                            batch_size=3)
    assert refused.value.line == 9
    assert _stored(db, world.project_id) == 2  # the seed items only
    with db.read_session() as s:
        states = s.scalars(select(Import.state).order_by(Import.id)).all()
    assert states == ["published", "discarded"]


def test_a_duplicate_external_id_in_a_later_chunk_is_refused(db):
    world = build_world(db, n_items=0)
    rows = [ImportRow(line=i + 1, data={"text": str(i)}, external_id=f"e{i % 4}")
            for i in range(6)]
    with pytest.raises(InvalidInput, match="e0") as refused:
        imports.import_rows(db, world.manager, world.project_id, rows, batch_size=4)
    assert refused.value.line == 5
    assert _stored(db, world.project_id) == 0


def test_recover_removes_only_imports_whose_writer_is_gone(db):
    world = build_world(db, n_items=0)
    host = imports._owner().rpartition(":")[0]
    writers = {"dead": f"{host}:{_dead_pid()}", "alive": imports._owner(),
               "elsewhere": "another-host:1"}
    ids: dict[str, int] = {}
    with db.session() as s:
        for name, owner in writers.items():
            record = Import(project_id=world.project_id, filename=name, format="jsonl",
                            state="writing", owner=owner, heartbeat_at=utcnow())
            s.add(record)
            s.flush()
            ids[name] = record.id
            written = [Item(project_id=world.project_id, data={"text": f"{name} {i}"},
                            import_id=record.id) for i in range(3)]
            s.add_all(written)
            s.flush()
            # what the importer does in each chunk's transaction (migration 0022)
            derived.fill_written(s, record.id, written[0].id, written[-1].id)
    assert imports.recover(db) == [ids["dead"]]
    assert _stored(db, world.project_id) == 6
    with db.read_session() as s:
        states = {name: state for name, state in s.execute(
            select(Import.filename, Import.state).where(Import.id.in_(ids.values())))}
    assert states == {"dead": "discarded", "alive": "writing", "elsewhere": "writing"}


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.slow
def test_a_killed_import_is_invisible_and_removed_when_the_server_starts(db, tmp_path):
    world = build_world(db, n_items=0)
    path = tmp_path / "big.jsonl"
    with open(path, "wb") as out:
        for i in range(200_000):
            out.write(orjson.dumps({"data": {"text": f"row {i}"}}) + b"\n")
    env = {**os.environ, "LABELWELL_DATABASE_URL": db.url,
           "LABELWELL_USER": world.manager.email}
    proc = subprocess.Popen(
        [sys.executable, "-m", "labelwell.cli", "import", str(world.project_id), str(path),
         "--batch-size", "2000"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )

    def some_chunks_stored() -> bool:
        assert proc.poll() is None, "the import ended before it was killed"
        return _stored(db, world.project_id) >= 10_000

    wait_for(some_chunks_stored, 120, "the import to store its first chunks")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    left = _stored(db, world.project_id)
    assert 10_000 <= left < 200_000
    with db.read_session() as s:
        assert items.count_items(s, world.project_id) == 0
    with running(db.url) as server:
        token = world.token(world.manager)
        listed = httpx.get(
            f"{server.url}/api/v1/projects/{world.project_id}/items",
            headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200 and listed.json()["count"] == 0
    assert _stored(db, world.project_id) == 0
    with db.read_session() as s:
        # the world's (empty) seed import, and the killed one
        assert s.scalars(select(Import.state).order_by(Import.id)).all() == [
            "published", "discarded"]


def test_a_long_import_keeps_the_sqlite_wal_short(db):
    """Checkpoints between chunks: no annotator's commit meets a long automatic one."""
    if db.dialect != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    world = build_world(db, n_items=0)
    wal = db.engine.url.database + "-wal"
    imports.import_rows(db, world.manager, world.project_id, _rows(60_000))
    # 60 chunks: 13 MB of WAL without the checkpoints, 2.3 MB with them
    assert os.path.getsize(wal) < 5_000_000, os.path.getsize(wal)


def _statuses(db, import_id: int) -> dict[str, int]:
    with db.engine.connect() as conn:
        return dict(conn.execute(text(
            "SELECT status, count(*) FROM items WHERE import_id = :i GROUP BY status"),
            {"i": import_id}).all())


def test_items_wait_staged_until_published_then_open(db):
    """An import in progress stores its items ``staged`` (outside the queue's
    ``open`` index range); publishing opens every one and clears the mark."""
    world = build_world(db, n_items=0)
    midway: list[dict[str, int]] = []

    def rows() -> Iterator[ImportRow]:
        for i, row in enumerate(_rows(7)):
            if i == 6:
                with db.read_session() as s:
                    current = s.scalar(select(func.max(Import.id)))
                midway.append(_statuses(db, current))
            yield row

    record = imports.import_rows(db, world.manager, world.project_id, rows(), batch_size=3)
    assert midway == [{"staged": 6}]
    assert _statuses(db, record.id) == {"open": 7}
    with db.read_session() as s:
        assert s.scalar(select(Import.staged).where(Import.id == record.id)) is False


def test_imported_labels_still_make_items_done(db):
    world = build_world(db, n_items=0)
    rows = [ImportRow(line=1, data={"text": "labelled"},
                      annotations=[{"result": {"sentiment": "positive"}}]),
            ImportRow(line=2, data={"text": "not yet"})]
    record = imports.import_rows(db, world.manager, world.project_id, rows)
    assert _statuses(db, record.id) == {"done": 1, "open": 1}


def test_recover_opens_a_published_import_whose_writer_died_while_opening(db):
    world = build_world(db, n_items=0)
    host = imports._owner().rpartition(":")[0]
    with db.session() as s:
        dead = Import(project_id=world.project_id, filename="dead", format="jsonl",
                      state="published", staged=True, owner=f"{host}:{_dead_pid()}",
                      heartbeat_at=utcnow(), n_items=2_500)
        alive = Import(project_id=world.project_id, filename="alive", format="jsonl",
                       state="published", staged=True, owner=imports._owner(),
                       heartbeat_at=utcnow(), n_items=1)
        s.add_all([dead, alive])
        s.flush()
        s.add_all([Item(project_id=world.project_id, data={"text": f"d {i}"},
                        import_id=dead.id, status="open" if i < 1_000 else "staged")
                   for i in range(2_500)])
        s.add(Item(project_id=world.project_id, data={"text": "a"}, import_id=alive.id,
                   status="staged"))
        ids = dead.id, alive.id
    assert imports.recover(db) == []
    assert _statuses(db, ids[0]) == {"open": 2_500}
    assert _statuses(db, ids[1]) == {"staged": 1}  # its writer is still opening it
    with db.read_session() as s:
        assert s.scalar(select(Import.staged).where(Import.id == ids[0])) is False
        assert stats.project_stats(s, world.manager, world.project_id).items == 2_501


def test_an_empty_queue_never_reads_the_items_of_an_import_in_progress(db):
    """PostgreSQL's queue function, with every published item labelled and
    20,000 rows of an import in progress stored: the candidate searches fetch a
    handful of item rows, not the import's (counted by PostgreSQL in
    ``pg_stat_xact_user_tables`` for the calling transaction)."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's index statistics")
    world = build_world(db, n_items=2, gold={0: {"sentiment": "positive"}}, gold_ratio=1.0)
    gone: list[dict[str, int]] = []

    def rows() -> Iterator[ImportRow]:
        for i in range(20_000):
            if i == 19_000:
                with db.session() as s:  # label the published item
                    task = queue.next_task(s, world.annotators[0], world.project_id)
                    while task is not None:
                        queue.submit(s, world.annotators[0], task.assignment_id,
                                     {"sentiment": "positive"})
                        task = queue.next_task(s, world.annotators[0], world.project_id)
                with db.engine.connect() as conn:
                    before = conn.execute(text(
                        "SELECT idx_tup_fetch + seq_tup_read FROM pg_stat_xact_user_tables"
                        " WHERE relname = 'items' AND schemaname = current_schema()"
                    )).scalar_one()
                    outcome = conn.execute(text(
                        "SELECT o_outcome FROM labelwell_next_task(NULL, :u, false, NULL, :p,"
                        " now(), true, 0.0, 0.0)"),
                        {"u": world.annotators[0].id, "p": world.project_id}).scalar_one()
                    after = conn.execute(text(
                        "SELECT idx_tup_fetch + seq_tup_read FROM pg_stat_xact_user_tables"
                        " WHERE relname = 'items' AND schemaname = current_schema()"
                    )).scalar_one()
                    conn.rollback()
                gone.append({"outcome": outcome, "read": int(after - before)})
            # a gold item in every tenth row too: the gold search has no status range
            yield ImportRow(line=i + 1, data={"text": f"new {i}"},
                            gold={"sentiment": "positive"} if i % 10 == 0 else None)

    imports.import_rows(db, world.manager, world.project_id, rows())
    assert gone[0]["outcome"] == "empty"
    assert gone[0]["read"] < 100, gone
