"""Project pages beyond the console: the ontology after creation (its versions,
a live preview of the workspace, what a change would touch) and the guidelines
(rendered as sanitised Markdown, with the difference between two versions).
Data comes from the services behind ``/api/v1/projects/{id}/ontology`` and
``/guidelines``; the ontology page's script acts through those routes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from labelwell.schema.templates import SAMPLE_DATA, SAMPLE_IMAGE
from labelwell.server.schemas_projects import OntologyVersionPublic
from labelwell.server.web.i18n import catalogue_for
from labelwell.server.web.pages import _lang, _page, render
from labelwell.work import guidelines, items, ontology_versions, projects
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, allowed, authorize, project_role

router = APIRouter(include_in_schema=False)


@router.get("/projects/{project_id}/ontology")
def ontology_page(request: Request, project_id: int) -> Response:
    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            project = authorize(s, actor, project_id, Permission.manage)
            versions = [
                OntologyVersionPublic.model_validate(v).model_dump(mode="json")
                for v in ontology_versions.list_versions(s, actor, project_id)
            ]
            first = items.list_items(s, actor, project_id, limit=1)
            boot = {
                "project": {"id": project.id, "name": project.name},
                "ontology": {"controls": project.ontology.get("controls", [])},
                "item": {"id": first[0].id, "data": first[0].data, "media": first[0].media}
                if first
                else None,
                "versions": versions,
                "sample": SAMPLE_DATA,
                "sample_image": SAMPLE_IMAGE,
                "i18n": catalogue_for(_lang(request), ("new.", "work.", "onto.")),
            }
        return render(request, "ontology.html", actor, project=project, boot=boot)

    return _page(request, build)


@router.get("/projects/{project_id}/guidelines")
def guidelines_page(
    request: Request,
    project_id: int,
    from_version: int | None = None,
    to_version: int | None = None,
) -> Response:
    """The current guidelines, every version, and what changed between two."""

    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            project = authorize(s, actor, project_id, Permission.view)
            versions = projects.list_guidelines(s, actor, project_id)
            last = versions[-1].version if versions else 0
            to = to_version or last
            since = from_version or max(1, to - 1)
            diff = (
                guidelines.guideline_diff(s, actor, project_id, since, to)
                if versions and since != to
                else None
            )
            shown = next((v for v in versions if v.version == to), None)
            manage = allowed(project_role(s, actor, project_id), Permission.manage, project)
        return render(
            request,
            "guidelines.html",
            actor,
            project=project,
            versions=versions,
            shown=shown,
            diff=diff,
            since=since,
            to=to,
            can_manage=manage,
        )

    return _page(request, build)
