"""The built-in background jobs: retrain, pre-label and export.

Each is a :class:`~labelwell.work.jobs.JobKind` registered in
:data:`~labelwell.work.jobs.JOB_KINDS`; a worker process runs them (see
:mod:`labelwell.work.jobs`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelwell.errors import InvalidInput
from labelwell.formats.registry import EXPORTERS, fits
from labelwell.store.tables import Project
from labelwell.work import webhooks
from labelwell.work.export import ExportSelection, export_to
from labelwell.work.jobs import JOB_KINDS, JobKind, JobRun
from labelwell.work.projects import ontology_of


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RetrainOptions(_Options):
    force: bool = Field(
        False, description="Retrain now, even before `retrain_every` new labels came in."
    )


class PrelabelOptions(_Options):
    model: Literal["saved", "http"] = Field(
        "saved",
        description="saved: the model `labelwell assist train` saved on the worker's machine; "
        "http: a model server speaking labelwell's prediction protocol.",
    )
    url: str | None = Field(None, max_length=2000, description="The model server, for http.")
    batch_size: int = Field(256, ge=1, le=100_000, description="Items per batch.")
    item_ids: list[int] | None = Field(
        None,
        max_length=10_000,
        description="Only these items (a data manager selection); by default every unlabeled item.",
    )


class ExportOptions(ExportSelection):
    pass


def _project(run: JobRun) -> int:
    if run.project_id is None:
        raise InvalidInput("this job needs a project", field="project_id")
    return run.project_id


def retrain(run: JobRun) -> dict[str, Any]:
    from labelwell.work.assist import maybe_retrain

    outcome = maybe_retrain(run.db, _project(run), force=run.options.force)
    if outcome is None:
        return {"retrained": False, "reason": "not due, or fewer than two labels to learn from"}
    return {
        "retrained": True,
        "labels": outcome.labels,
        "model_version": outcome.model_version,
        "scored": outcome.n_scored,
        "prioritised": len(outcome.chosen),
        "ece_before": outcome.ece_before,
        "ece_after": outcome.ece_after,
    }


def prelabel(run: JobRun) -> dict[str, Any]:
    from labelwell.work import assist
    from labelwell.work.assist import saved

    project_id = _project(run)
    if run.actor is None:
        raise InvalidInput("pre-labeling runs on behalf of a manager of the project")
    options: PrelabelOptions = run.options
    if options.model == "http":
        if not options.url:
            raise InvalidInput("options.url: needed with model http", field="options.url")
        from labelwell.assist.http_backend import HTTPBackend

        predictor: Any = HTTPBackend(options.url)
        predictor.health()
    else:
        with run.db.read_session() as s:
            project = s.get(Project, project_id)
            assert project is not None
            predictor = saved.load(project, run.home)
    with run.db.session() as s:
        report = assist.prelabel(
            s,
            run.actor,
            project_id,
            predictor,
            batch_size=options.batch_size,
            item_ids=options.item_ids,
        )
    return {
        "model": report.model_name,
        "model_version": report.model_version,
        "pool": report.n_pool,
        "predicted": report.n_predicted,
    }


def export(run: JobRun) -> dict[str, Any]:
    project_id = _project(run)
    options: ExportOptions = run.options
    exporter = EXPORTERS.get(options.format)()
    flt = options.filter()
    flt.check()
    with run.db.read_session() as s:
        project = s.get(Project, project_id)
        assert project is not None
        ontology = ontology_of(project)
        name = project.name
    ok, reason = fits(exporter, ontology)
    if not ok:
        raise InvalidInput(reason, field="options.format")
    extension = exporter.extension.lstrip(".")
    path = run.files / f"export-{run.id}.{extension}"
    partial = path.with_suffix(path.suffix + ".part")
    with partial.open("wb") as out, run.db.read_session() as s:
        n = export_to(s, project_id, exporter, out, ontology, flt)
    partial.replace(path)
    result = {
        "items": n,
        "file": path.name,
        "filename": f"{name}.{extension}",
        "media_type": exporter.media_type,
        "bytes": path.stat().st_size,
    }
    with run.db.session() as s:
        webhooks.publish(
            s,
            project_id,
            "export.ready",
            {"job_id": run.id, "format": options.format, "items": n, "bytes": result["bytes"]},
        )
    return result


JOB_KINDS.register(
    "retrain",
    JobKind(
        RetrainOptions,
        retrain,
        dedupe=lambda project_id, _: f"retrain:{project_id}",
        description="Retrain the project's model, rescore its pool, reorder its queue.",
    ),
)
JOB_KINDS.register(
    "prelabel",
    JobKind(
        PrelabelOptions,
        prelabel,
        dedupe=lambda project_id, _: f"prelabel:{project_id}",
        description="Store a model's predictions for the unlabeled items.",
    ),
)
JOB_KINDS.register(
    "export",
    JobKind(ExportOptions, export, description="Write an export file to download later."),
)
