"""A pooled PostgreSQL connection the server dropped is replaced before use."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, text

from labelwell.store import db as store_db
from labelwell.store.db import Database, normalise_url
from labelwell.store.raw import Statement

SELECT_ONE = Statement("SELECT 1")


def _kill_backends(url: str, application_name: str) -> int:
    admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE application_name = :name"
                    ),
                    {"name": application_name},
                ).all()
            )
    finally:
        admin.dispose()


@pytest.mark.parametrize("idle_s", [0.0, 3600.0])
def test_idle_connection_dropped_by_the_server(pg_url: str, idle_s: float, monkeypatch) -> None:
    monkeypatch.setattr(store_db, "PING_AFTER_IDLE_S", idle_s)
    name = f"labelwell-reconnect-{int(idle_s)}"
    sep = "&" if "?" in pg_url else "?"
    database = Database(f"{normalise_url(pg_url)}{sep}application_name={name}")
    try:
        with database.engine.connect() as conn:  # one connection, now idle in the pool
            assert conn.execute(text("SELECT 1")).scalar() == 1
        assert _kill_backends(pg_url, name) == 1
        if idle_s == 0.0:
            # idle past the threshold: pinged, found dead, replaced
            with database.unit(autocommit=True) as unit:
                assert unit.raw.one(SELECT_ONE) == (1,)
        else:
            # used moments ago: not pinged, so the dead connection surfaces as an
            # error and the pool drops it; the next checkout connects afresh
            with pytest.raises(psycopg.OperationalError), database.unit(autocommit=True) as unit:
                unit.raw.one(SELECT_ONE)
            with database.unit(autocommit=True) as unit:
                assert unit.raw.one(SELECT_ONE) == (1,)
    finally:
        database.dispose()

