"""The five stages of a labeling pipeline, as plain functions over the SDK.

Each takes a :class:`labelwell.client.Client` (a server over HTTP, or the app
in this process through :func:`labelwell.pipeline.runner.in_process`), the
project's id and the stage's options from the spec, and returns a JSON-able
summary. Each is idempotent, so a rerun after a crash is safe: extract takes
only objects no earlier sync took, prelabel predicts unlabeled items only (and
joins a live pre-labeling job), distribute sets settings, the gate only reads,
export overwrites its own file. Orchestrators (Airflow, Prefect) call these
same functions; the quality gate also has :func:`poke`, which answers at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from labelwell.client import Client
from labelwell.errors import Conflict, InvalidInput, LabelwellError, NotFound
from labelwell.pipeline.spec import (
    DistributeStage,
    ExportStage,
    ExtractStage,
    PipelineSpec,
    PrelabelStage,
    QualityGateStage,
)


class QualityGateFailed(LabelwellError):
    """The gate's thresholds were missed; ``details`` holds the gate's report."""


class StageTimeout(LabelwellError):
    """A stage waited longer than its ``timeout_s``."""


def project_id_of(lw: Client, project: str | int) -> int:
    """A project's id from its id or its name."""
    if isinstance(project, int) or str(project).isdigit():
        return lw.project(int(project)).id
    for found in lw.projects():
        if found.name == project:
            return found.id
    raise NotFound(f"no project named {project!r} on the server")


def wait_job(
    lw: Client,
    job: dict[str, Any],
    timeout_s: float,
    *,
    poll_s: float = 0.5,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Poll a background job until it ends; its result, or the job's error raised."""
    deadline = clock() + timeout_s
    while job["state"] in ("queued", "running"):
        if clock() > deadline:
            raise StageTimeout(
                f"job {job['id']} ({job['kind']}) still {job['state']} "
                f"after {timeout_s:g} s; is `labelwell worker` running?"
            )
        time.sleep(poll_s)
        job = lw.job(job["id"])
    if job["state"] != "done":
        raise Conflict(f"job {job['id']} ({job['kind']}) {job['state']}: {job.get('error')}")
    return dict(job.get("result") or {})


def _connection(lw: Client, project_id: int, spec: PipelineSpec, name: str | None) -> int:
    wanted = name or (spec.storage.name if spec.storage else None)
    if wanted is None:
        raise InvalidInput("stages.extract: name a storage, or give the spec one", field="storage")
    for conn in lw.storage(project_id):
        if conn["name"] == wanted:
            return int(conn["id"])
    if spec.storage is None or spec.storage.name != wanted:
        raise NotFound(f"project {project_id} has no storage connection named {wanted!r}")
    made = lw.add_storage(
        project_id,
        spec.storage.name,
        spec.storage.url,
        options=spec.storage.options,
        credentials=spec.storage.resolved_credentials(),
    )
    return int(made["id"])


def extract(
    lw: Client, project_id: int, spec: PipelineSpec, options: ExtractStage
) -> dict[str, Any]:
    """Make an item of each new object under the storage prefix (connecting the
    spec's storage to the project the first time)."""
    conn = _connection(lw, project_id, spec, options.storage)
    return lw.sync_storage(project_id, conn)


def prelabel(
    lw: Client, project_id: int, spec: PipelineSpec, options: PrelabelStage
) -> dict[str, Any]:
    """Store the project model's predictions for the unlabeled items (a
    ``prelabel`` job run by ``labelwell worker``; waits for it)."""
    job = lw.start_job(
        project_id,
        "prelabel",
        {"model": options.model, "url": options.url, "batch_size": options.batch_size},
    )
    return wait_job(lw, job, options.timeout_s)


def distribute(
    lw: Client, project_id: int, spec: PipelineSpec, options: DistributeStage
) -> dict[str, Any]:
    """Set the queue (overlap, gold ratio, lease, ordering, skills); with
    ``active_learning`` retrain the model and order the queue by its priorities."""
    settings = options.model_dump(exclude={"active_learning", "timeout_s"}, exclude_none=True)
    if options.active_learning:
        settings["ordering"] = "priority"
    out: dict[str, Any] = {"settings": settings}
    if settings:
        lw.update_project(project_id, **settings)
    if options.active_learning:
        job = lw.start_job(project_id, "retrain", {"force": True})
        out["retrain"] = wait_job(lw, job, options.timeout_s)
    return out


def poke(lw: Client, project_id: int, options: QualityGateStage) -> dict[str, Any]:
    """The gate's answer now: ``state`` waiting, passed or failed (never waits)."""
    return lw.quality_gate(project_id, **options.thresholds())


def quality_gate(
    lw: Client,
    project_id: int,
    spec: PipelineSpec,
    options: QualityGateStage,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Wait until the gate is no longer ``waiting``; the report when it passed,
    :class:`QualityGateFailed` with the report when it failed."""
    deadline = clock() + options.timeout_s
    while True:
        report = poke(lw, project_id, options)
        if report["state"] == "passed":
            return report
        if report["state"] == "failed":
            raise QualityGateFailed(
                "quality gate failed: " + "; ".join(report["reasons"]), details=report
            )
        if clock() + options.poll_s > deadline:
            raise StageTimeout(
                f"quality gate still waiting after {options.timeout_s:g} s "
                f"({report['done']:.1%} done, {options.min_done:.0%} needed)"
            )
        sleep(options.poll_s)


def export(lw: Client, project_id: int, spec: PipelineSpec, options: ExportStage) -> dict[str, Any]:
    """Write the export in ``format`` to a storage URL (under one of the
    project's connections) or a local path."""
    filters: dict[str, Any] = {"labels": options.labels}
    if options.status is not None:
        filters["status"] = options.status
    written = lw.export(project_id, options.url, format=options.format, **filters)
    return {"url": str(written), "format": options.format}


#: the stage functions by name, in pipeline order
STAGE_FUNCTIONS: dict[str, Callable[..., dict[str, Any]]] = {
    "extract": extract,
    "prelabel": prelabel,
    "distribute": distribute,
    "quality_gate": quality_gate,
    "export": export,
}
