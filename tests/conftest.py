"""Core fixtures: a fresh database per test on SQLite and, when
LABELWELL_TEST_POSTGRES_URL is set, on PostgreSQL (its own schema per test)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from labelwell.settings import Settings
from labelwell.store.db import Database, normalise_url
from labelwell.store.migrate import upgrade

POSTGRES_URL = os.environ.get("LABELWELL_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


@dataclass
class PgSchema:
    url: str
    schema: str

    def create(self) -> None:
        engine = create_engine(normalise_url(self.url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        engine.dispose()

    def drop(self) -> None:
        engine = create_engine(normalise_url(self.url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        engine.dispose()

    @property
    def scoped_url(self) -> str:
        sep = "&" if "?" in self.url else "?"
        return f"{normalise_url(self.url)}{sep}options=-csearch_path%3D{self.schema}"


def make_database(backend: str, tmp_path: Path) -> tuple[Database, PgSchema | None]:
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'labelwell.db'}")
        upgrade(db)
        return db, None
    assert POSTGRES_URL
    pg = PgSchema(POSTGRES_URL, f"t_{uuid.uuid4().hex[:12]}")
    pg.create()
    db = Database(pg.scoped_url)
    upgrade(db)
    return db, pg


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db(backend: str, tmp_path: Path) -> Iterator[Database]:
    database, pg = make_database(backend, tmp_path)
    try:
        yield database
    finally:
        database.dispose()
        if pg is not None:
            pg.drop()


@pytest.fixture
def settings(db: Database, tmp_path: Path) -> Settings:
    return Settings(database_url=db.url, home=tmp_path, max_upload_bytes=2_000_000,
                    max_body_bytes=1_000_000)


@pytest.fixture
def pg_url() -> str:
    if not POSTGRES_URL:
        pytest.skip("LABELWELL_TEST_POSTGRES_URL is not set")
    return POSTGRES_URL
