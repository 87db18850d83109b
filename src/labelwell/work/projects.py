"""Projects: creation, settings, versioned guidelines and membership."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput, NotFound
from labelwell.schema import Ontology
from labelwell.store.db import rows_changed
from labelwell.store.tables import PROJECT_ROLES, Guideline, Member, Project, User, utcnow
from labelwell.work import audit, project_settings
from labelwell.work.actors import Actor
from labelwell.work.policies import GlobalPermission, Permission, authorize, authorize_global

ORDERINGS = ("fifo", "random", "priority")
SETTINGS = (
    "overlap",
    "gold_ratio",
    "lease_seconds",
    "blind",
    "ordering",
    "required_skills",
    "show_predictions",
    "description",
    "settings",
)


@lru_cache(maxsize=256)
def _compile(ontology_json: bytes) -> Ontology:
    return Ontology.from_dict(orjson.loads(ontology_json))


def ontology_of(project: Project) -> Ontology:
    """The project's compiled ontology (cached by content)."""
    return _compile(orjson.dumps(project.ontology, option=orjson.OPT_SORT_KEYS))


def check_settings(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (a project's columns) checked; ``settings``, the whole of the
    settings column, comes back as :mod:`labelwell.work.project_settings` stores it."""
    values = dict(values)
    if "settings" in values:
        values["settings"] = project_settings.checked(values["settings"]).to_column()
    if "overlap" in values and not (
        isinstance(values["overlap"], int) and 1 <= values["overlap"] <= 100
    ):
        raise InvalidInput("overlap: must be an integer from 1 to 100", field="overlap")
    if "gold_ratio" in values:
        ratio = values["gold_ratio"]
        if not isinstance(ratio, int | float) or not 0 <= ratio <= 1:
            raise InvalidInput("gold_ratio: must be a number from 0 to 1", field="gold_ratio")
    if "lease_seconds" in values and not (
        isinstance(values["lease_seconds"], int) and 10 <= values["lease_seconds"] <= 7 * 86400
    ):
        raise InvalidInput(
            "lease_seconds: must be an integer from 10 to 604800", field="lease_seconds"
        )
    if "ordering" in values and values["ordering"] not in ORDERINGS:
        raise InvalidInput(f"ordering: must be one of {', '.join(ORDERINGS)}", field="ordering")
    if "required_skills" in values and not (
        isinstance(values["required_skills"], list)
        and all(isinstance(s, str) for s in values["required_skills"])
    ):
        raise InvalidInput("required_skills: must be a list of strings", field="required_skills")
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise InvalidInput(
            f"unknown project setting(s): {', '.join(sorted(unknown))}", field=sorted(unknown)[0]
        )
    return values


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_name(name: str) -> str:
    """A project name, stripped: 1 to 200 characters, none of them a control
    character (it names export files and headers, where a line break would split them)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("name: must be 1 to 200 characters", field="name")
    bad = _CONTROL.search(name)
    if bad:
        raise InvalidInput(
            f"name: must not contain control characters (found U+{ord(bad.group()):04X})",
            field="name",
        )
    return name


def create_project(
    session: Session,
    actor: Actor,
    name: str,
    ontology: dict[str, Any] | Ontology,
    *,
    guidelines: str = "",
    **settings: Any,
) -> Project:
    authorize_global(actor, GlobalPermission.create_projects)
    name = check_name(name)
    onto = ontology if isinstance(ontology, Ontology) else Ontology.from_dict(ontology)
    settings = check_settings(settings)
    if session.scalar(select(Project.id).where(Project.name == name)) is not None:
        raise Conflict(f"a project named {name!r} already exists")
    project = Project(name=name, ontology=onto.to_dict(), created_by=actor.id, **settings)
    session.add(project)
    session.flush()
    session.add(Member(project_id=project.id, user_id=actor.id, role="manager"))
    session.add(Guideline(project_id=project.id, version=1, text=guidelines, created_by=actor.id))
    audit.record_project(session, actor, "project.create", project.id, {"name": name})
    return project


def update_project(
    session: Session, actor: Actor, project_id: int, values: dict[str, Any]
) -> Project:
    project = authorize(session, actor, project_id, Permission.manage)
    values = check_settings(values)
    for key, value in values.items():
        setattr(project, key, value)
    audit.record_project(session, actor, "project.update", project.id, values)
    return project


def merge_settings(
    session: Session, actor: Actor, project_id: int, values: dict[str, Any]
) -> dict[str, Any]:
    """Set keys of the project's ``settings`` (a key set to None goes back to its
    default), leaving the others as they are; managers. Every key and value is
    checked by :func:`labelwell.work.project_settings.merged`. Returns the keys set."""
    project = authorize(session, actor, project_id, Permission.manage)
    merged = project_settings.merged(project.settings, values).to_column()
    project.settings = merged
    audit.record_project(session, actor, "project.settings", project.id, values)
    return merged


def get_project_by_name_or_id(session: Session, ref: str | int) -> Project:
    if isinstance(ref, int) or str(ref).isdigit():
        project = session.get(Project, int(ref))
    else:
        project = session.scalar(select(Project).where(Project.name == ref))
    if project is None:
        raise NotFound(f"no project {ref!r}")
    return project


def list_projects(session: Session, actor: Actor, *, archived: bool = False) -> list[Project]:
    """The projects ``actor`` reaches: the active ones, or with ``archived`` the archived ones."""
    query = select(Project).order_by(Project.id)
    if archived:
        query = query.where(Project.archived_at.is_not(None))
    else:
        query = query.where(Project.archived_at.is_(None))
    if not actor.is_admin:
        query = query.join(Member, Member.project_id == Project.id).where(
            Member.user_id == actor.id
        )
    return list(session.scalars(query))


def current_guideline(session: Session, project_id: int) -> Guideline | None:
    return session.scalar(
        select(Guideline)
        .where(Guideline.project_id == project_id)
        .order_by(Guideline.version.desc())
        .limit(1)
    )


def add_guideline(session: Session, actor: Actor, project_id: int, text: str) -> Guideline:
    authorize(session, actor, project_id, Permission.manage)
    version = (
        session.scalar(
            select(func.max(Guideline.version)).where(Guideline.project_id == project_id)
        )
        or 0
    ) + 1
    row = Guideline(project_id=project_id, version=version, text=text, created_by=actor.id)
    audit.created(
        session,
        actor,
        "guideline.create",
        row,
        target_type="guideline",
        project_id=project_id,
        details={"version": version},
    )
    return row


def list_guidelines(session: Session, actor: Actor, project_id: int) -> list[Guideline]:
    authorize(session, actor, project_id, Permission.view)
    return list(
        session.scalars(
            select(Guideline).where(Guideline.project_id == project_id).order_by(Guideline.version)
        )
    )


def set_member(session: Session, actor: Actor, project_id: int, user_id: int, role: str) -> Member:
    authorize(session, actor, project_id, Permission.manage)
    if role not in PROJECT_ROLES:
        raise InvalidInput(f"role: must be one of {', '.join(PROJECT_ROLES)}", field="role")
    if session.get(User, user_id) is None:
        raise NotFound(f"no user {user_id}")
    member = session.get(Member, (project_id, user_id))
    if member is None:
        member = Member(project_id=project_id, user_id=user_id, role=role)
        session.add(member)
    else:
        member.role = role
    session.flush()
    audit.record(
        session,
        actor,
        "member.set",
        project_id=project_id,
        target_type="user",
        target_id=user_id,
        details={"role": role},
    )
    return member


def remove_member(session: Session, actor: Actor, project_id: int, user_id: int) -> None:
    authorize(session, actor, project_id, Permission.manage)
    gone = rows_changed(
        session, delete(Member).where(Member.project_id == project_id, Member.user_id == user_id)
    )
    if not gone:
        raise NotFound(f"user {user_id} is not a member of project {project_id}")
    audit.record(
        session,
        actor,
        "member.remove",
        project_id=project_id,
        target_type="user",
        target_id=user_id,
    )


def list_members(session: Session, actor: Actor, project_id: int) -> list[tuple[Member, User]]:
    authorize(session, actor, project_id, Permission.view)
    rows = session.execute(
        select(Member, User)
        .join(User, User.id == Member.user_id)
        .where(Member.project_id == project_id)
        .order_by(User.id)
    )
    return [(m, u) for m, u in rows]


def archived(name: str) -> Conflict:
    """The refusal of work in an archived project (the labeling page, the queue)."""
    return Conflict(f"project {name!r} is archived; a manager can restore it from its console")


def check_active(project: Project) -> None:
    """Refuse work in an archived project (its labeling page)."""
    if project.archived_at is not None:
        raise archived(project.name)


def archive_project(session: Session, actor: Actor, project_id: int) -> Project:
    """Archive the project (managers): it leaves the project list (a filter shows
    it) and the annotators' queue; everything in it is kept."""
    project = authorize(session, actor, project_id, Permission.manage)
    if project.archived_at is not None:
        raise Conflict(f"project {project.name!r} is already archived")
    project.archived_at = utcnow()
    audit.record_project(session, actor, "project.archive", project.id, {"name": project.name})
    return project


def restore_project(session: Session, actor: Actor, project_id: int) -> Project:
    """Bring an archived project back (managers)."""
    project = authorize(session, actor, project_id, Permission.manage)
    if project.archived_at is None:
        raise Conflict(f"project {project.name!r} is not archived")
    project.archived_at = None
    audit.record_project(session, actor, "project.restore", project.id, {"name": project.name})
    return project


def delete_project(session: Session, actor: Actor, project_id: int, confirm: str) -> None:
    """Delete the project and everything in it (managers), once ``confirm`` repeats
    its name. The audit log keeps the record (it outlives the project)."""
    project = authorize(session, actor, project_id, Permission.manage)
    if confirm.strip() != project.name:
        raise InvalidInput("confirm: type the project's name to delete it", field="confirm")
    audit.record_project(session, actor, "project.delete", project.id, {"name": project.name})
    session.delete(project)
    session.flush()
