"""The quality page of a project (``/projects/{id}/quality``): agreement of the
categorical controls and the pairwise agreement of its media controls (masks,
video tracks, audio regions and speakers, cuboids), per item and per annotator
pair. Managers only. Everything comes from
:func:`labelwell.work.quality_report.quality_report`, the service behind
``/api/v1/projects/{id}/quality``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from labelwell.server.web.pages import _page, render
from labelwell.store.tables import Project
from labelwell.work.actors import Actor
from labelwell.work.quality_report import quality_report

router = APIRouter(include_in_schema=False)

#: rows of the per-item and per-pair tables shown (the API has them all)
SHOWN = 50


@router.get("/projects/{project_id}/quality")
def quality_page(request: Request, project_id: int) -> Response:
    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            report = quality_report(s, actor, project_id, max_labels=0)
            project = s.get(Project, project_id)
        return render(request, "quality.html", actor, project=project, report=report, shown=SHOWN)

    return _page(request, build)
