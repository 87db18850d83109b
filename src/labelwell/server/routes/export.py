"""Streaming export in any registered format."""

from __future__ import annotations

from datetime import datetime
from typing import BinaryIO

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from labelwell.errors import InvalidInput
from labelwell.formats.registry import EXPORTERS
from labelwell.server.deps import Ctx
from labelwell.server.schemas import PathId
from labelwell.server.streaming import stream_writer
from labelwell.work.export import ExportFilter, export_to
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of

router = APIRouter(tags=["export"])


@router.get(
    "/projects/{project_id}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
)
def export(
    project_id: PathId,
    ctx: Ctx,
    format: str = Query("jsonl", description="a registered exporter: jsonl, csv, parquet, ..."),
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
    import labelwell.formats.builtin  # noqa: F401  (registers the formats)

    if format not in EXPORTERS:
        raise InvalidInput(
            f"format: unknown exporter {format!r}; known: {', '.join(sorted(EXPORTERS))}",
            field="format",
        )
    flt = ExportFilter(
        status=status, annotator=annotator, since=since, until=until, source=source, labels=labels
    )
    flt.check()
    with ctx.db.read_session() as s:
        project = authorize(s, ctx.actor, project_id, Permission.manage)
        ontology = ontology_of(project)
        name = project.name
    exporter = EXPORTERS[format]()
    db = ctx.db

    def write(out: BinaryIO) -> None:
        with db.read_session() as s:
            export_to(s, project_id, exporter, out, ontology, flt)

    filename = f"{name}.{exporter.extension.lstrip('.')}".replace('"', "")
    return StreamingResponse(
        stream_writer(write),
        media_type=exporter.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
