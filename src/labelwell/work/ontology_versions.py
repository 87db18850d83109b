"""Changing a project's ontology after creation, versioned like its guidelines.

Adding controls or labels is free. A rename says how many stored annotations
use the old name and moves them (annotations of every revision, predictions and
gold answers). A removal, or a control given another type, is refused while
stored annotations use it, unless forced with a reason, which the version keeps;
those annotations are left as they were made. Every version is kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput
from labelwell.schema import Ontology
from labelwell.schema.changes import Change, Rename, apply_renames, compare, touches
from labelwell.store.tables import Annotation, GoldAnswer, OntologyVersion, Prediction, Project
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize

_BATCH = 1000


@dataclass(frozen=True)
class ChangeImpact:
    """A change and how many stored annotations (every revision) it touches."""

    change: Change
    annotations: int

    def to_dict(self) -> dict[str, Any]:
        return {**self.change.to_dict(), "annotations": self.annotations}


@dataclass(frozen=True)
class OntologyImpact:
    version: int  # the version the change would make
    changes: list[ChangeImpact]

    @property
    def needs_force(self) -> bool:
        """A removal or retype that stored annotations use."""
        return any(c.change.destructive and c.annotations for c in self.changes)


def first_version(project: Project) -> OntologyVersion:
    """Version 1: the ontology the project was made with."""
    return OntologyVersion(
        project_id=project.id,
        version=1,
        ontology=project.ontology,
        changes=[],
        reason="",
        created_at=project.created_at,
        created_by=project.created_by,
    )


def list_versions(session: Session, actor: Actor, project_id: int) -> list[OntologyVersion]:
    """Every version, oldest first (a project never changed has version 1 only)."""
    project = authorize(session, actor, project_id, Permission.view)
    rows = list(
        session.scalars(
            select(OntologyVersion)
            .where(OntologyVersion.project_id == project_id)
            .order_by(OntologyVersion.version)
        )
    )
    return rows or [first_version(project)]


def _checked(project: Project, ontology: dict[str, Any]) -> Ontology:
    if not isinstance(ontology, dict):
        raise InvalidInput("ontology: must be an object", field="ontology")
    return Ontology.from_dict({"name": project.ontology.get("name", project.name), **ontology})


def _count(session: Session, project_id: int, changes: list[Change]) -> list[ChangeImpact]:
    counted = [c for c in changes if c.kind not in ("add_control", "add_label")]
    counts = dict.fromkeys(counted, 0)
    if counted:
        rows = session.execute(
            select(Annotation.result).where(Annotation.project_id == project_id)
        ).yield_per(_BATCH)
        for (result,) in rows:
            for c in counted:
                if touches(result, c):
                    counts[c] += 1
    return [ChangeImpact(c, counts.get(c, 0)) for c in changes]


def _next_version(session: Session, project_id: int) -> int:
    last = session.scalar(
        select(func.max(OntologyVersion.version)).where(OntologyVersion.project_id == project_id)
    )
    return (last or 1) + 1


def impact(
    session: Session,
    actor: Actor,
    project_id: int,
    ontology: dict[str, Any],
    renames: Sequence[Rename] = (),
) -> OntologyImpact:
    """What changing to ``ontology`` would do, without doing it (managers)."""
    project = authorize(session, actor, project_id, Permission.manage)
    new = _checked(project, ontology)
    changes = compare(Ontology.from_dict(project.ontology), new, renames)
    return OntologyImpact(_next_version(session, project_id), _count(session, project_id, changes))


def _migrate(session: Session, project_id: int, changes: list[Change]) -> None:
    renames = [c for c in changes if c.kind in ("rename_control", "rename_label")]
    if not renames:
        return
    # each table holding results, with the column that picks out one of its rows
    keyed: list[tuple[Any, Any]] = [
        (Annotation, Annotation.id),
        (Prediction, Prediction.id),
        (GoldAnswer, GoldAnswer.item_id),
    ]
    for table, key in keyed:
        rows = session.execute(select(key, table.result).where(table.project_id == project_id))
        for row_key, result in rows.all():
            if any(touches(result, c) for c in renames):
                changed = apply_renames(result, renames)
                session.execute(update(table).where(key == row_key).values(result=changed))


def change_ontology(
    session: Session,
    actor: Actor,
    project_id: int,
    ontology: dict[str, Any],
    renames: Sequence[Rename] = (),
    *,
    force: bool = False,
    reason: str = "",
) -> OntologyVersion:
    """Make ``ontology`` the project's next version (managers): renames move the
    stored values; removals that stored annotations use need ``force`` and a reason."""
    project = authorize(session, actor, project_id, Permission.manage)
    new = _checked(project, ontology)
    changes = compare(Ontology.from_dict(project.ontology), new, renames)
    if not changes:
        raise InvalidInput("ontology: is the same as the current version", field="ontology")
    impacts = _count(session, project_id, changes)
    reason = reason.strip()
    blocked = [i for i in impacts if i.change.destructive and i.annotations]
    if blocked and not force:
        said = "; ".join(_describe(i) for i in blocked)
        raise Conflict(
            f"{said}. Rename instead, or force the change with a reason "
            "(those annotations are kept as they were made)"
        )
    if blocked and not reason:
        raise InvalidInput("reason: say why the change is forced", field="reason")
    version = _next_version(session, project_id)
    if (
        version == 2
        and session.scalar(
            select(OntologyVersion.id).where(OntologyVersion.project_id == project_id)
        )
        is None
    ):
        session.add(first_version(project))
    _migrate(session, project_id, changes)
    project.ontology = new.to_dict()
    row = OntologyVersion(
        project_id=project_id,
        version=version,
        ontology=project.ontology,
        changes=[i.to_dict() for i in impacts],
        reason=reason,
        created_by=actor.id,
    )
    audit.created(
        session,
        actor,
        "ontology.change",
        row,
        target_type="ontology_version",
        project_id=project_id,
        details={"version": version, "forced": bool(blocked), "reason": reason},
    )
    return row


def _describe(i: ChangeImpact) -> str:
    c = i.change
    what = f"control {c.control!r}" if c.label is None else f"label {c.label!r} of {c.control!r}"
    verb = "changing the type of" if c.kind == "retype_control" else "removing"
    return f"{verb} {what} touches {i.annotations} stored annotation(s)"
