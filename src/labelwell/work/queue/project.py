"""The project as the queue sees it, read and authorized in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from labelwell.errors import Forbidden, NotFound
from labelwell.schema.ontology import Ontology
from labelwell.store.raw import Raw, loads
from labelwell.work.actors import Actor
from labelwell.work.project_settings import ProjectSettings, parsed
from labelwell.work.queue import statements as sql


@dataclass(slots=True, frozen=True)
class QueueProject:
    """The settings the queue needs. It has the attribute names of
    :class:`~labelwell.store.tables.Project`, so the consensus and
    qualification services take it in place of one."""

    id: int
    name: str
    overlap: int
    gold_ratio: float
    lease_seconds: int
    blind: bool
    required_skills: tuple[str, ...]
    show_predictions: bool
    settings: ProjectSettings
    ontology: dict[str, Any]
    compiled: Ontology
    guideline_version: int | None


@lru_cache(maxsize=128)
def _ontology(text: str) -> tuple[dict[str, Any], Ontology]:
    """The ontology column's text, parsed and compiled once per distinct text."""
    ontology = orjson.loads(text)
    return ontology, Ontology.from_dict(ontology)


def queue_project(db: Raw, actor: Actor, project_id: int) -> QueueProject:
    """Load the project for someone who annotates in it. Members of any role
    and admins may; anyone else gets ``NotFound`` (project ids leak nothing)."""
    return project_of(db.one(sql.PROJECT, (actor.id, project_id)), actor, project_id)


def project_of(row: Sequence[Any] | None, actor: Actor, project_id: int) -> QueueProject:
    """The project from the columns of the ``PROJECT`` statement (the PostgreSQL
    functions return the same ones); ``NotFound`` unless ``actor`` may annotate."""
    # a missing project has no name; a project the actor may not see has no role
    if row is None or row[1] is None or (row[11] is None and not actor.is_admin):
        raise NotFound(f"no project {project_id}")
    ontology, compiled = _ontology(row[9])
    return QueueProject(
        id=row[0],
        name=row[1],
        overlap=row[2],
        gold_ratio=row[3],
        lease_seconds=row[4],
        blind=bool(row[5]),
        required_skills=tuple(loads(row[6]) or ()),
        show_predictions=bool(row[7]),
        settings=parsed(row[8]),
        ontology=ontology,
        compiled=compiled,
        guideline_version=row[10],
    )


def check_eligible(actor: Actor, project: QueueProject) -> None:
    """Refuse an annotator who lacks a skill the project requires."""
    missing = set(project.required_skills) - set(actor.skills)
    if missing:
        raise Forbidden(
            f"project {project.name!r} needs the skill(s) {', '.join(sorted(missing))}, "
            "which your profile lacks"
        )
