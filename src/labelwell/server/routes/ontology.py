"""A project's ontology after creation: every version, what a change would do,
and the change itself (managers)."""

from __future__ import annotations

from fastapi import APIRouter, status

from labelwell.server.deps import Ctx
from labelwell.server.schemas import Page, PathId, page_of
from labelwell.server.schemas_projects import (
    ChangePublic,
    OntologyChange,
    OntologyImpactPublic,
    OntologyVersionPublic,
)
from labelwell.store.tables import OntologyVersion
from labelwell.work import ontology_versions

router = APIRouter(tags=["projects"])


@router.get("/projects/{project_id}/ontology/versions", response_model=Page[OntologyVersionPublic])
def list_versions(project_id: PathId, ctx: Ctx) -> Page[OntologyVersionPublic]:
    with ctx.db.read_session() as s:
        return page_of(
            ontology_versions.list_versions(s, ctx.actor, project_id),
            OntologyVersionPublic.model_validate,
        )


@router.post("/projects/{project_id}/ontology/impact", response_model=OntologyImpactPublic)
def impact(project_id: PathId, body: OntologyChange, ctx: Ctx) -> OntologyImpactPublic:
    """What the change would do, done nothing: each change and how many stored
    annotations it touches; ``needs_force`` when a removal touches any."""
    with ctx.db.read_session() as s:
        found = ontology_versions.impact(
            s, ctx.actor, project_id, body.ontology, [r.rename() for r in body.renames]
        )
        return OntologyImpactPublic(
            version=found.version,
            changes=[ChangePublic(**c.to_dict()) for c in found.changes],
            needs_force=found.needs_force,
        )


@router.post(
    "/projects/{project_id}/ontology/versions",
    response_model=OntologyVersionPublic,
    status_code=status.HTTP_201_CREATED,
)
def change_ontology(project_id: PathId, body: OntologyChange, ctx: Ctx) -> OntologyVersion:
    """Make the ontology the next version: renames move stored values; a removal
    that stored annotations use is refused (409) unless ``force`` with a ``reason``."""
    with ctx.db.session() as s:
        return ontology_versions.change_ontology(
            s,
            ctx.actor,
            project_id,
            body.ontology,
            [r.rename() for r in body.renames],
            force=body.force,
            reason=body.reason,
        )
