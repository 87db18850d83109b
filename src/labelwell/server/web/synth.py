"""The synthetic-data page of a project (``/projects/{id}/synth``): its
synthetic items with their provenance and verdicts, filters, the verify / fix /
reject actions, and the guards. Managers of the project only; annotators never
learn which items are synthetic. Rows and the summary come from
:mod:`labelwell.work.synth` and :mod:`labelwell.work.synth_report`, the
services behind ``/api/v1/projects/{id}/synth/...``; the page's script acts
through those routes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from labelwell.errors import InvalidInput
from labelwell.server.schemas_synth import SynthItemPublic, SynthSummaryPublic
from labelwell.server.web.i18n import catalogue_for
from labelwell.server.web.pages import _lang, _page, render
from labelwell.store.tables import SYNTH_VERDICTS
from labelwell.work import synth, synth_report
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize

router = APIRouter(include_in_schema=False)
PREFIXES = ("syn.",)
PAGE_SIZE = 50


def _generation(value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit() or int(value) < 1:
        raise InvalidInput("generation: a whole number from 1", field="generation")
    return int(value)


@router.get("/projects/{project_id}/synth")
def synth_page(
    request: Request,
    project_id: int,
    verdict: str = "",
    method: str = "",
    generation: str = "",
    after: int = 0,
) -> Response:
    def build(actor: Actor) -> Response:
        filters = {
            "verdict": verdict or None,
            "method": method or None,
            "generation": _generation(generation),
        }
        with request.app.state.db.read_session() as s:
            project = authorize(s, actor, project_id, Permission.manage)
            rows, total = synth.list_with_data(
                s, actor, project_id, **filters, after=max(after, 0), limit=PAGE_SIZE
            )
            summary = SynthSummaryPublic.of(synth_report.summary(s, actor, project_id))
        items = [
            {**SynthItemPublic.of(r).model_dump(mode="json"), "data": data} for r, data in rows
        ]
        boot = {
            "project": {"id": project.id, "name": project.name},
            "items": items,
            "summary": summary.model_dump(mode="json"),
            "i18n": catalogue_for(_lang(request), PREFIXES),
        }
        return render(
            request,
            "synth.html",
            actor,
            project=project,
            items=items,
            total=total,
            filters={**filters, "generation": generation},
            verdicts=SYNTH_VERDICTS,
            methods=list(synth.MAIN_FIELD),
            next_after=items[-1]["item_id"] if len(items) == PAGE_SIZE else None,
            boot=boot,
        )

    return _page(request, build)
