"""Shared pieces of the platform benchmarks: synthetic projects, a server in a
subprocess, latency percentiles and peak memory of child processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SENTIMENT = {
    "name": "bench",
    "controls": [{"name": "sentiment", "type": "choice", "source": "text",
                  "options": ["positive", "negative", "neutral"], "required": True}],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(samples, dtype=float) * 1000.0
    if arr.size == 0:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "p99_ms": float("nan")}
    return {f"p{q}_ms": round(float(np.percentile(arr, q)), 2) for q in (50, 95, 99)}


_MEASURE = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.run(sys.argv[1:]).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print('PEAK_RSS_KB', peak, file=sys.stderr)\n"
    "sys.exit(rc)\n"
)


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run a command; return (seconds, its own peak RSS in MB, stdout). A small
    launcher process reports the peak of exactly this child."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *cmd],
                          env={**os.environ, **(env or {})}, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}")
    peak_kb = int(proc.stderr.rsplit("PEAK_RSS_KB", 1)[1].split()[0])
    return seconds, peak_kb // 1024, proc.stdout


class Server:
    """``labelwell serve`` in its own process group."""

    def __init__(self, database_url: str, workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "LABELWELL_DATABASE_URL": database_url}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "labelwell.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(workers)],
            env=env, start_new_session=True, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()


def fresh_database(kind: str, workdir: Path) -> str:
    """A new empty database URL: a SQLite file, or a new PostgreSQL schema."""
    if kind == "sqlite":
        path = workdir / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    from sqlalchemy import create_engine, text

    base = os.environ.get("LABELWELL_BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = "bench"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return f"{base}?options=-csearch_path%3D{schema}"


def seed(database_url: str, *, annotators: int, items: int, overlap: int,
         gold_ratio: float = 0.0, batch: int = 20_000) -> tuple[int, list[str]]:
    """Create a project with ``items`` items and ``annotators`` annotators with tokens;
    returns (project id, tokens). Items go in through the import service."""
    from labelwell.formats.registry import ImportRow
    from labelwell.store.db import Database
    from labelwell.store.migrate import upgrade
    from labelwell.store.tables import User
    from labelwell.work import accounts, projects
    from labelwell.work import items as items_service
    from labelwell.work.actors import Actor

    db = Database(database_url)
    upgrade(db)
    tokens = []
    with db.session() as s:
        admin = accounts.create_user(s, "admin@bench.org", role="admin")
        actor = Actor.of(admin)
        project = projects.create_project(s, actor, "bench", SENTIMENT, overlap=overlap,
                                          gold_ratio=gold_ratio, lease_seconds=600)
        for i in range(annotators):
            user = accounts.create_user(s, f"a{i}@bench.org", skills=["en"])
            projects.set_member(s, actor, project.id, user.id, "annotator")
            tokens.append(accounts.create_token(s, s.get(User, user.id)).token)
        rows = (ImportRow(line=i + 1, data={"text": f"review number {i}: pretty good"})
                for i in range(items))
        items_service.import_rows(s, actor, project.id, rows, filename="bench",
                                  batch_size=batch)
        project_id = project.id
    db.dispose()
    return project_id, tokens
