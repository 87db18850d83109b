"""Streaming export in any registered format, and which formats fit a project."""

from __future__ import annotations

from datetime import datetime
from typing import Any, BinaryIO

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from labelwell.errors import InvalidInput
from labelwell.formats.registry import EXPORTERS, fits, fitting_exporters
from labelwell.server.deps import Ctx
from labelwell.server.schemas import Page, PathId, Public
from labelwell.server.streaming import content_disposition, primed, stream_writer
from labelwell.work.export import ExportFilter, export_to
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of

router = APIRouter(tags=["export"])


class ExportFormatPublic(Public):
    name: str
    fits: bool
    reason: str | None = None


@router.get("/projects/{project_id}/export/formats", response_model=Page[ExportFormatPublic])
def export_formats(project_id: PathId, ctx: Ctx) -> Page[ExportFormatPublic]:
    """Every registered export format, and whether this project's ontology can fill it
    (``fits``; when not, ``reason`` says what it lacks)."""
    with ctx.db.read_session() as s:
        ontology = ontology_of(authorize(s, ctx.actor, project_id, Permission.manage))
    data = [
        ExportFormatPublic(name=name, fits=ok, reason=reason or None)
        for name, (ok, reason) in fitting_exporters(ontology).items()
    ]
    return Page(data=data, count=len(data))


EXPORT_PATH = "/projects/{project_id}/export"


def document_media_types(operation: dict[str, Any]) -> None:
    """Give the export operation of an OpenAPI schema the media type of every
    registered exporter (read when the schema is built, plug-ins included)."""
    kinds = sorted({EXPORTERS[name]().media_type for name in EXPORTERS})
    operation["responses"]["200"]["content"] = {kind: {} for kind in kinds}


@router.get(
    EXPORT_PATH,
    response_class=StreamingResponse,
    responses={200: {"description": "The file, in its format's media type"}},
)
def export(
    project_id: PathId,
    ctx: Ctx,
    format: str = Query(
        "jsonl", description=f"a registered exporter: {', '.join(sorted(EXPORTERS))}"
    ),
    status: str | None = Query(None, pattern="^(open|full|done)$"),
    annotator: str | None = Query(None, max_length=320),
    since: datetime | None = None,
    until: datetime | None = None,
    source: str | None = Query(
        None, pattern="^(human|model|labeling_function|consensus|synthetic)$"
    ),
    labels: str = Query(
        "both", pattern="^(raw|aggregated|both)$", description="raw, aggregated (consensus) or both"
    ),
) -> StreamingResponse:
    """Stream the project's items with their labels. A format the project's ontology
    cannot fill is a 422 naming what it lacks, before any byte is sent."""
    make_exporter = EXPORTERS.get(format)
    flt = ExportFilter(
        status=status, annotator=annotator, since=since, until=until, source=source, labels=labels
    )
    flt.check()
    with ctx.db.read_session() as s:
        project = authorize(s, ctx.actor, project_id, Permission.manage)
        ontology = ontology_of(project)
        name = project.name
    exporter = make_exporter()
    ok, reason = fits(exporter, ontology)
    if not ok:
        raise InvalidInput(reason, field="format")
    db = ctx.db

    def write(out: BinaryIO) -> None:
        with db.read_session() as s:
            export_to(s, project_id, exporter, out, ontology, flt)

    filename = f"{name}.{exporter.extension.lstrip('.')}"
    return StreamingResponse(
        primed(stream_writer(write)),
        media_type=exporter.media_type,
        headers={"Content-Disposition": content_disposition(filename)},
    )
