"""Running a spec's stages in order on one machine, resumably.

The stages talk to a labelwell server through the SDK, so the same functions
run under ``labelwell pipeline run``, an Airflow worker or a Prefect flow. With
no server named, :func:`in_process` serves the app of the local database in
this process (through the SDK's transport, no port opened) with a job worker
beside it, acting as ``LABELWELL_USER`` (default: the first admin).

Each stage's outcome is recorded in a state file (``<spec>.state.json`` by
default) under the run's id (default: today's UTC date); a rerun with the same
id skips the stages that finished and starts again at the first that did not.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from labelwell.client import Client
from labelwell.pipeline.spec import PipelineSpec
from labelwell.pipeline.stages import STAGE_FUNCTIONS, project_id_of


@dataclass(frozen=True, slots=True)
class StageOutcome:
    stage: str
    state: str  # done | skipped (finished by an earlier run)
    seconds: float
    result: dict[str, Any]


class RunState:
    """The state file: per run id, per stage, when it finished and its result."""

    def __init__(self, path: Path, run_id: str) -> None:
        self.path = path
        self.run_id = run_id
        self._all: dict[str, Any] = {}
        if path.exists():
            self._all = json.loads(path.read_text(encoding="utf-8"))

    def finished(self, stage: str) -> dict[str, Any] | None:
        found = self._all.get(self.run_id, {}).get(stage)
        return found if isinstance(found, dict) and found.get("state") == "done" else None

    def forget(self) -> None:
        """Drop this run's finished stages (``--fresh``)."""
        if self._all.pop(self.run_id, None) is not None:
            self._save()

    def _save(self) -> None:
        partial = self.path.with_suffix(self.path.suffix + ".part")
        partial.write_text(json.dumps(self._all, indent=2, default=str), encoding="utf-8")
        partial.replace(self.path)

    def record(self, stage: str, seconds: float, result: dict[str, Any]) -> None:
        self._all.setdefault(self.run_id, {})[stage] = {
            "state": "done",
            "seconds": round(seconds, 3),
            "finished_at": datetime.now(UTC).isoformat(),
            "result": result,
        }
        self._save()


def default_state_path(spec_path: Path) -> Path:
    return spec_path.with_name(spec_path.name + ".state.json")


def run(
    spec: PipelineSpec,
    lw: Client,
    state: RunState,
    *,
    report: Callable[[StageOutcome], None] | None = None,
) -> list[StageOutcome]:
    """Run the spec's stages in order, skipping those the state says finished;
    a stage's error stops the run (its state is not recorded)."""
    project_id = project_id_of(lw, spec.project)
    outcomes = []
    for name in spec.stages.chosen():
        before = state.finished(name)
        if before is not None:
            outcome = StageOutcome(name, "skipped", 0.0, before.get("result") or {})
        else:
            started = time.perf_counter()
            result = STAGE_FUNCTIONS[name](lw, project_id, spec, getattr(spec.stages, name))
            seconds = time.perf_counter() - started
            state.record(name, seconds, result)
            outcome = StageOutcome(name, "done", seconds, result)
        outcomes.append(outcome)
        if report is not None:
            report(outcome)
    return outcomes


class _AppTransport(httpx.BaseTransport):
    """The SDK's requests handed to the app in this process."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        r = self.client.request(
            request.method, str(request.url), headers=request.headers, content=request.read()
        )
        return httpx.Response(r.status_code, headers=r.headers, content=r.content)


@contextmanager
def in_process() -> Iterator[Client]:
    """An SDK client on the app of the local database (``LABELWELL_DATABASE_URL``),
    with a background job worker running meanwhile."""
    from fastapi.testclient import TestClient

    from labelwell.cli._common import cli_actor, open_database
    from labelwell.server import create_app
    from labelwell.settings import Settings
    from labelwell.store.tables import User
    from labelwell.work import accounts, jobs

    settings = Settings.from_env()
    db = open_database()
    with db.session() as s:
        actor = cli_actor(s)
        user = s.get(User, actor.id)
        assert user is not None
        token = accounts.create_token(
            s, user, name="pipeline run", expires_at=datetime.now(UTC) + timedelta(days=1)
        ).token
    stop = threading.Event()
    worker = threading.Thread(
        target=jobs.work, args=(db, settings.home), kwargs={"stop": stop}, daemon=True
    )
    worker.start()
    try:
        with TestClient(create_app(settings, database=db, migrate=False)) as app:
            lw = Client("http://labelwell.local", token, transport=_AppTransport(app))
            yield lw
    finally:
        stop.set()
        worker.join(30)
        db.dispose()


@contextmanager
def connect(server: str | None, token: str | None) -> Iterator[Client]:
    """A client on ``server`` (token from ``token`` or ``LABELWELL_TOKEN``), or
    :func:`in_process` when no server is named."""
    if server:
        with Client(server, token or os.environ.get("LABELWELL_TOKEN"), timeout=300) as lw:
            yield lw
    else:
        with in_process() as lw:
            yield lw
