from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from labelwell.store.migrate import alembic_config, current_revision, head_revision, upgrade
from world import build_world


def _migrate(db, step, target):
    """Run an Alembic command (upgrade or downgrade) to ``target`` on ``db``."""
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        step(cfg, target)


def _next_task_source(db):
    """The body of this schema's labelwell_next_task (PostgreSQL)."""
    with db.engine.connect() as conn:
        return conn.execute(text(
            "SELECT prosrc FROM pg_proc WHERE proname = 'labelwell_next_task'"
            " AND pronamespace = current_schema()::regnamespace")).scalar_one()


def test_upgrade_is_idempotent_and_reaches_head(db):
    upgrade(db)
    assert current_revision(db) == head_revision()
    indexes = {i["name"] for i in inspect(db.engine).get_indexes("items")}
    assert {"ix_items_queue", "ix_items_project_order", "ix_items_review"} <= indexes


def test_downgrade_to_base_and_back(db):
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert "items" not in inspect(db.engine).get_table_names()
    upgrade(db)
    assert current_revision(db) == head_revision()


def test_audit_log_is_append_only(db):
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (actor, action, target_type, details) "
                          "VALUES ('x', 'test', '', '{}')"))
    for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT action FROM audit_log")).scalars().all() == ["test"]


def test_sqlite_runs_in_wal_mode_with_foreign_keys(db):
    if db.dialect != "sqlite":
        pytest.skip("SQLite pragmas")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_migrations_match_the_tables(db):
    """store/tables.py and the migrations describe the same schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from labelwell.store.tables import Base

    upgrade(db)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # tables, columns, nullability and plain indexes; the queue's expression
    # indexes (priority DESC; the gold search's is checked by its plan in
    # tests/work/test_queue.py) and the label sort indexes (NULLS FIRST) are ones
    # autogenerate cannot compare
    def relevant(d):
        if isinstance(d, list):
            return [x for x in d if x[0] not in ("modify_default", "modify_comment")]
        if d[0].endswith("_index") and d[1].name in (
            "ix_items_queue", "ix_items_fulltext", "ix_items_gold_candidates"
        ):
            return []
        # the label columns' sort indexes are (NULLS FIRST) expressions on PostgreSQL
        stored = ("ix_items_label_", "ix_items_prediction_")
        if d[0].endswith("_index") and d[1].name.startswith(stored):
            return []
        # the full-text indexes over item data (SQLite's FTS5 tables, migration 0010;
        # PostgreSQL's item_search, migration 0021) are written by triggers, not the ORM
        fulltext = ("items_fts", "item_search")
        if d[0] == "remove_index" and d[1].table.name in fulltext:
            return []
        return [] if d[0] == "remove_table" and d[1].name.startswith(fulltext) else [d]

    assert [x for d in diff for x in relevant(d)] == []


def test_sessions_revision_adds_token_expiry_and_password_resets(db):
    upgrade(db)
    columns = {c["name"] for c in inspect(db.engine).get_columns("api_tokens")}
    assert {"kind", "expires_at", "last_used_at"} <= columns
    assert "password_resets" in inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        default = conn.execute(text("SELECT COUNT(*) FROM api_tokens WHERE kind <> 'api'"))
        assert default.scalar() == 0


def _import_being_written(conn, project_id):
    """Import 2, still ``writing``, with its item 2 (columns as of 0006)."""
    conn.execute(text("INSERT INTO imports (id, project_id, filename, format, n_items, "
                      "created_at, state) VALUES (2, :p, 'new', 'jsonl', 0, "
                      "CURRENT_TIMESTAMP, 'writing')"), {"p": project_id})
    conn.execute(text(
        "INSERT INTO items (id, project_id, data, media, status, priority, is_gold, "
        "n_active, n_done, import_id, created_at) VALUES (2, :p, '{}', '[]', 'open', "
        "0, false, 0, 0, 2, CURRENT_TIMESTAMP)"), {"p": project_id})


def test_import_batches_revision_hides_unpublished_imports_and_downgrades(db):
    """0006: imports gain a state (existing ones published); the PostgreSQL queue
    function learns to skip unpublished items; downgrading to 0005 removes the
    rows of unpublished imports and restores 0005's function."""

    world = build_world(db, n_items=1)  # one published import with item 1
    _migrate(db, command.downgrade, "0005")
    if db.dialect == "postgresql":
        assert "published" not in _next_task_source(db)
    _migrate(db, command.upgrade, "0006")
    with db.engine.begin() as conn:
        assert conn.execute(text("SELECT state FROM imports")).scalar() == "published"
        _import_being_written(conn, world.project_id)
    if db.dialect == "postgresql":
        assert "m.state <> 'published'" in _next_task_source(db)
    _migrate(db, command.downgrade, "0005")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM items")).scalars().all() == [1]
        assert conn.execute(text("SELECT id FROM imports")).scalars().all() == [1]
    assert "state" not in {c["name"] for c in inspect(db.engine).get_columns("imports")}
    if db.dialect == "postgresql":
        assert "published" not in _next_task_source(db)
    upgrade(db)
    assert current_revision(db) == head_revision()


def test_staged_items_revision_stages_imports_in_progress_and_downgrades(db):
    """0007: the items of an import still being written become ``staged``; the
    PostgreSQL queue's gold search skips staged items; downgrading to 0006 opens
    them again (0006 hides them by their import) and restores its function."""

    world = build_world(db, n_items=1)
    _migrate(db, command.downgrade, "0006")
    assert "staged" not in {c["name"] for c in inspect(db.engine).get_columns("imports")}
    with db.engine.begin() as conn:
        _import_being_written(conn, world.project_id)
    if db.dialect == "postgresql":
        assert "staged" not in _next_task_source(db)
    _migrate(db, command.upgrade, "0007")
    with db.engine.connect() as conn:
        statuses = conn.execute(text("SELECT id, status FROM items ORDER BY id")).all()
        assert [tuple(r) for r in statuses] == [(1, "open"), (2, "staged")]
        assert conn.execute(text("SELECT count(*) FROM imports WHERE staged")).scalar() == 0
    if db.dialect == "postgresql":
        assert "i.is_gold = true AND i.status IN ('open', 'full', 'done')" in _next_task_source(db)
    _migrate(db, command.downgrade, "0006")
    with db.engine.connect() as conn:
        statuses = conn.execute(text("SELECT id, status FROM items ORDER BY id")).all()
        assert [tuple(r) for r in statuses] == [(1, "open"), (2, "open")]
    assert "staged" not in {c["name"] for c in inspect(db.engine).get_columns("imports")}
    if db.dialect == "postgresql":
        assert "staged" not in _next_task_source(db) and "m.state <> 'published'" in (
            _next_task_source(db))
    upgrade(db)
    assert current_revision(db) == head_revision()


def test_downgrading_and_upgrading_again_keeps_every_row_and_link(db):
    """A downgrade to 0001 and back keeps the labels, leases and each item's
    import. (On SQLite a batch copy of a table drops it, and its implicit
    DELETE fired the foreign keys pointing at it: a downgrade past 0002 deleted
    every annotation, one past 0006 cleared every item's import.)"""
    from labelwell.work import queue

    world = build_world(db, n_items=4)
    with db.session() as s:
        for annotator in world.annotators:
            task = queue.next_task(s, annotator, world.project_id)
            queue.submit(s, annotator, task.assignment_id, {"sentiment": "positive"})

    def snapshot():
        with db.engine.connect() as conn:
            return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                    for table in ("items", "annotations", "assignments", "api_tokens",
                                  "members", "imports")} | {
                "linked": conn.execute(text(
                    "SELECT count(*) FROM items WHERE import_id IS NOT NULL")).scalar()}

    before = snapshot()
    assert before["annotations"] == 3 and before["linked"] == 4
    _migrate(db, command.downgrade, "0001")
    upgrade(db)
    assert snapshot() == before


def test_runtime_state_revision_moves_assist_state_out_of_settings_and_back(db):
    """0008: ``settings["assist_state"]`` (lease, label count, calibration, spot
    checks) moves to flywheel_state, calibrations and spot_checks, leaving the
    settings a manager set; downgrading to 0007 writes it back as it was."""
    import orjson


    def settings_by_project():
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, CAST(settings AS TEXT) FROM projects"))
            return {pid: orjson.loads(value) for pid, value in rows}

    world = build_world(db, n_items=4)
    with db.engine.connect() as conn:
        items = conn.execute(text("SELECT id FROM items ORDER BY id")).scalars().all()
    _migrate(db, command.downgrade, "0007")
    state = {
        "lease": {"owner": "ab12", "until": "2031-05-06T07:08:09.123456+00:00"},
        "labels_at_retrain": 150,
        "model_version": "n120-T1.21",
        "temperature": 1.21,
        "trained_on": 150,
        "calibration": {"confidence": [0.9, 0.61, 0.75], "correct": [True, False, True]},
        "spot_checks": [items[1], items[3]],
    }
    configured = {"flywheel": True, "retrain_every": 30, "gold_feedback": True}
    stale = {**state, "spot_checks": [*state["spot_checks"], 99999]}  # 99999: deleted since
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE projects SET settings = :s WHERE id = :p"),
                     {"s": orjson.dumps({**configured, "assist_state": stale}).decode(),
                      "p": world.project_id})
        conn.execute(text(
            "INSERT INTO projects (id, name, description, ontology, overlap, gold_ratio, "
            "lease_seconds, blind, ordering, required_skills, show_predictions, settings, "
            "created_at) VALUES (2, 'p2', '', '{}', 1, 0, 60, true, 'fifo', '[]', true, "
            "'{\"gold_threshold\": 0.7}', CURRENT_TIMESTAMP)"))

    _migrate(db, command.upgrade, "0008")
    assert settings_by_project() == {world.project_id: configured, 2: {"gold_threshold": 0.7}}
    with db.engine.connect() as conn:
        lease = conn.execute(text("SELECT project_id, lease_owner, labels_at_retrain "
                                  "FROM flywheel_state")).all()
        assert [tuple(r) for r in lease] == [(world.project_id, "ab12", 150)]
        calibration = conn.execute(text(
            "SELECT project_id, model_version, temperature, n_labels, "
            "CAST(confidence AS TEXT), CAST(correct AS TEXT) FROM calibrations")).one()
        assert tuple(calibration[:4]) == (world.project_id, "n120-T1.21", 1.21, 150)
        assert orjson.loads(calibration[4]) == [0.9, 0.61, 0.75]
        assert orjson.loads(calibration[5]) == [True, False, True]
        spot = conn.execute(text("SELECT item_id, project_id FROM spot_checks "
                                 "ORDER BY item_id")).all()
        assert [tuple(r) for r in spot] == [(items[1], world.project_id),
                                            (items[3], world.project_id)]

    _migrate(db, command.downgrade, "0007")
    assert settings_by_project() == {
        world.project_id: {**configured, "assist_state": state},
        2: {"gold_threshold": 0.7},
    }
    tables = inspect(db.engine).get_table_names()
    assert not {"flywheel_state", "calibrations", "spot_checks"} & set(tables)
    upgrade(db)
    assert current_revision(db) == head_revision()
    assert settings_by_project()[world.project_id] == configured
