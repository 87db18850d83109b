"""Who may do what in a project.

Global admins reach every project. Everyone else reaches a project only through
membership, with the member role deciding the permission:

============  =======  ========  ======  ======  ===========
permission    manager  reviewer  annot.  what it allows
============  =======  ========  ======  ======  ===========
view          yes      yes       yes     project settings, guidelines, own tasks
annotate      yes      yes       yes     next task, submit, skip
review        yes      yes       no      review decisions on annotations
see_labels    yes      yes       yes*    others' labels (*only when not blind)
manage        yes      no        no      settings, members, import, gold, export
============  =======  ========  ======  ======  ===========

A non-member gets ``NotFound``, so project ids leak nothing.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import Forbidden, NotFound
from labelwell.store.tables import Member, Project
from labelwell.work.actors import Actor


class Permission(StrEnum):
    view = "view"
    annotate = "annotate"
    review = "review"
    see_labels = "see_labels"
    manage = "manage"


_GRANTS: dict[str, frozenset[Permission]] = {
    "manager": frozenset(Permission),
    "reviewer": frozenset(
        {Permission.view, Permission.annotate, Permission.review, Permission.see_labels}
    ),
    "annotator": frozenset({Permission.view, Permission.annotate, Permission.see_labels}),
}


def project_role(session: Session, actor: Actor, project_id: int) -> str | None:
    if actor.is_admin:
        return "manager"
    return session.scalar(
        select(Member.role).where(Member.project_id == project_id, Member.user_id == actor.id)
    )


def allowed(role: str | None, permission: Permission, project: Project) -> bool:
    if role is None:
        return False
    # Blind mode hides annotators' labels from each other; reviewing them is the
    # reviewer's job, so reviewers and managers still see them.
    if permission is Permission.see_labels and project.blind and role == "annotator":
        return False
    return permission in _GRANTS.get(role, frozenset())


def authorize(session: Session, actor: Actor, project_id: int, permission: Permission) -> Project:
    """Load the project and check ``permission``; raise NotFound or Forbidden."""
    project = session.get(Project, project_id)
    role = project_role(session, actor, project_id) if project is not None else None
    if project is None or role is None:
        raise NotFound(f"no project {project_id}")
    if not allowed(role, permission, project):
        raise Forbidden(
            f"your role in project {project.name!r} ({role}) does not allow {permission.value}"
        )
    return project


def require_global(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise Forbidden(f"this needs one of the roles {', '.join(roles)}; you are {actor.role}")
