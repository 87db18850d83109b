"""Guidelines rendered as sanitised Markdown, and the difference between two
versions (members of the project)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from labelwell.server.deps import Ctx
from labelwell.server.schemas import PathId
from labelwell.server.schemas_projects import (
    DiffLinePublic,
    GuidelineDiffPublic,
    GuidelineRendered,
)
from labelwell.work import guidelines

router = APIRouter(tags=["projects"])


@router.get("/projects/{project_id}/guidelines/diff", response_model=GuidelineDiffPublic)
def guideline_diff(
    project_id: PathId,
    ctx: Ctx,
    from_version: int = Query(..., ge=1, le=2**31 - 1),
    to_version: int = Query(..., ge=1, le=2**31 - 1),
) -> GuidelineDiffPublic:
    """The lines of ``to_version`` against ``from_version``: same, added, removed."""
    with ctx.db.read_session() as s:
        found = guidelines.guideline_diff(s, ctx.actor, project_id, from_version, to_version)
    return GuidelineDiffPublic(
        from_version=found.from_version,
        to_version=found.to_version,
        added=found.added,
        removed=found.removed,
        lines=[DiffLinePublic(op=line.op, text=line.text) for line in found.lines],
    )


@router.get("/projects/{project_id}/guidelines/{version}", response_model=GuidelineRendered)
def rendered(project_id: PathId, version: PathId, ctx: Ctx) -> GuidelineRendered:
    with ctx.db.read_session() as s:
        return GuidelineRendered(**guidelines.rendered(s, ctx.actor, project_id, version))
