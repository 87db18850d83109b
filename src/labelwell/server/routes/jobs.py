"""Background jobs: queue one, follow it, cancel it, download what it wrote.

The server only writes the job's row; ``labelwell worker`` (started beside the
server by ``labelwell serve``, or on its own) runs it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from labelwell.errors import Conflict, NotFound
from labelwell.server.deps import Ctx
from labelwell.server.schemas import MAX_ID, Page, PathId, Public
from labelwell.server.streaming import content_disposition
from labelwell.store.tables import Job
from labelwell.work import jobs

router = APIRouter(tags=["jobs"])


class JobCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=40, description="retrain, prelabel, export, or a plug-in's kind")
    options: dict[str, Any] = Field(
        default_factory=dict, description="The kind's options (see `GET /job-kinds`)."
    )


class JobPublic(Public):
    id: int
    kind: str
    project_id: int | None
    state: str = Field(description="queued, running, done, failed or cancelled")
    options: dict[str, Any]
    attempts: int
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    download: str | None = Field(None, description="Where to fetch the file a job wrote.")


class JobCreated(JobPublic):
    joined: bool = Field(description="True when an equal job was live and this is that one.")


class JobKindPublic(Public):
    name: str
    description: str
    options: dict[str, Any] = Field(description="The options' JSON schema.")


def _public(job: Job) -> JobPublic:
    result = job.result or None
    download = (
        f"/api/v1/jobs/{job.id}/file"
        if job.state == "done" and result and "file" in result
        else None
    )
    return JobPublic.model_validate(
        {
            **{name: getattr(job, name) for name in JobPublic.model_fields if name != "download"},
            "download": download,
        }
    )


@router.get("/job-kinds", response_model=Page[JobKindPublic])
def job_kinds(ctx: Ctx) -> Page[JobKindPublic]:
    """Every kind of background job, with its options' schema."""
    data = [
        JobKindPublic(
            name=name, description=kind.description, options=kind.options.model_json_schema()
        )
        for name, kind in jobs.JOB_KINDS.items()
    ]
    return Page(data=data, count=len(data))


@router.post(
    "/projects/{project_id}/jobs",
    response_model=JobCreated,
    status_code=status.HTTP_202_ACCEPTED,
)
def create_job(project_id: PathId, body: JobCreate, ctx: Ctx) -> JobCreated:
    """Queue a job for the project (managers). When an equal job is queued or
    running already (one retrain or pre-labeling per project at a time), that job
    is returned with ``joined: true``."""
    with ctx.db.session() as s:
        job, new = jobs.enqueue(s, ctx.actor, body.kind, project_id, body.options)
        s.flush()
        return JobCreated(**_public(job).model_dump(), joined=not new)


@router.get("/projects/{project_id}/jobs", response_model=Page[JobPublic])
def project_jobs(
    project_id: PathId,
    ctx: Ctx,
    limit: int = Query(50, ge=1, le=500),
    before: int | None = Query(None, ge=1, le=MAX_ID, description="Jobs older than this id."),
) -> Page[JobPublic]:
    """The project's jobs, newest first."""
    with ctx.db.read_session() as s:
        found = jobs.listing(s, ctx.actor, project_id, limit=limit, before=before)
        data = [_public(job) for job in found]
    cursor = str(found[-1].id) if len(found) == limit else None
    return Page(data=data, count=len(data), next_cursor=cursor)


@router.get("/jobs/{job_id}", response_model=JobPublic)
def get_job(job_id: PathId, ctx: Ctx) -> JobPublic:
    """A job's state and, once it ended, its result or error."""
    with ctx.db.read_session() as s:
        return _public(jobs.get(s, ctx.actor, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobPublic)
def cancel_job(job_id: PathId, ctx: Ctx) -> JobPublic:
    """Cancel a queued or running job (409 once it has ended)."""
    with ctx.db.session() as s:
        return _public(jobs.cancel(s, ctx.actor, job_id))


@router.get(
    "/jobs/{job_id}/file",
    response_class=FileResponse,
    responses={200: {"description": "The file the job wrote"}},
)
def job_file(job_id: PathId, ctx: Ctx) -> FileResponse:
    """Download the file a finished job wrote (an export)."""
    with ctx.db.read_session() as s:
        job = jobs.get(s, ctx.actor, job_id)
        result = dict(job.result or {})
        state = job.state
    if state != "done" or "file" not in result:
        raise Conflict(f"job {job_id} has no file to download ({state})", details={"state": state})
    path = jobs.files_dir(ctx.settings.home) / str(result["file"])
    if path.name != result["file"] or not path.is_file():
        raise NotFound(f"the file of job {job_id} is gone from this server")
    return FileResponse(
        path,
        media_type=str(result.get("media_type") or "application/octet-stream"),
        headers={
            "Content-Disposition": content_disposition(str(result.get("filename") or path.name))
        },
    )
