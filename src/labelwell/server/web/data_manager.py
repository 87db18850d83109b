"""The data manager's pages: the project's item table and one item with every
answer side by side. Managers of the project only; the pages' script reads
and acts through ``/api/v1/projects/{id}/data/...``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from labelwell.formats.registry import fitting_exporters
from labelwell.server.routes.data_manager import first_page
from labelwell.server.web.i18n import catalogue_for
from labelwell.server.web.pages import _lang, _page, render
from labelwell.work.actors import Actor
from labelwell.work.data_manager import COLUMNS, views
from labelwell.work.data_manager.detail import item_detail
from labelwell.work.data_manager.query import labelled_read
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import list_members, ontology_of

router = APIRouter(include_in_schema=False)
PREFIXES = ("dm.",)


@router.get("/projects/{project_id}/data")
def table_page(request: Request, project_id: int) -> Response:
    def build(actor: Actor) -> Response:
        # one transaction for the whole page, its first rows included
        with labelled_read(request.app.state.db, project_id) as s:
            project = authorize(s, actor, project_id, Permission.manage)
            formats = [n for n, (ok, _) in fitting_exporters(ontology_of(project)).items() if ok]
            layout = views.layout(s, actor, project_id)
            boot = {
                "kind": "table",
                "project": {"id": project.id, "name": project.name, "ontology": project.ontology},
                "columns": [
                    {
                        "key": c.key,
                        "kind": c.kind,
                        "operators": list(c.operators),
                        "sortable": c.sortable,
                        "choices": list(c.choices),
                    }
                    for c in COLUMNS.values()
                ],
                "layout": layout,
                "views": [
                    {"id": v.id, "name": v.name, "state": v.state}
                    for v in views.list_views(s, actor, project_id)
                ],
                "formats": formats,
                "annotators": [
                    {"id": u.id, "email": u.email, "role": m.role}
                    for m, u in list_members(s, actor, project_id)
                    if u.is_active
                ],
                "i18n": catalogue_for(_lang(request), PREFIXES),
                "first": first_page(s, actor, project_id, layout),
            }
        return render(request, "data_manager.html", actor, project=project, boot=boot)

    return _page(request, build)


@router.get("/projects/{project_id}/data/{item_id}")
def item_page(request: Request, project_id: int, item_id: int) -> Response:
    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            found = item_detail(s, actor, project_id, item_id)
            item = found.item
            boot = {
                "kind": "item",
                "project": {
                    "id": project_id,
                    "name": found.project.name,
                    "ontology": found.project.ontology,
                },
                "item": {
                    "id": item.id,
                    "external_id": item.external_id,
                    "data": item.data,
                    "media": item.media or [],
                    "status": item.status,
                    "is_gold": item.is_gold,
                    "review_state": item.review_state,
                },
                "annotations": [
                    {
                        "id": a.id,
                        "agent": a.agent,
                        "source": a.source,
                        "status": a.status,
                        "revision": a.revision,
                        "is_current": a.is_current,
                        "result": a.result,
                        "time_spent_ms": a.time_spent_ms,
                        "created_at": a.created_at.isoformat(),
                    }
                    for a in found.annotations
                ],
                "predictions": [
                    {
                        "model": p.model_name,
                        "version": p.model_version,
                        "score": p.score,
                        "result": p.result,
                    }
                    for p in found.predictions
                ],
                "gold": found.gold.result if found.gold is not None else None,
                "i18n": catalogue_for(_lang(request), PREFIXES),
            }
        return render(
            request, "data_manager_item.html", actor, project=found.project, item=item, boot=boot
        )

    return _page(request, build)
