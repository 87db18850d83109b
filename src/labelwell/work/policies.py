"""Who may do what in a project.

Global admins reach every project. Everyone else reaches a project only through
membership, with the member role deciding the permission:

============  =======  ========  ======  ======  ===========
permission    manager  reviewer  annot.  what it allows
============  =======  ========  ======  ======  ===========
view          yes      yes       yes     project settings, guidelines, own tasks
annotate      yes      yes       yes     next task, submit, skip
review        yes      yes       no      review decisions on annotations
see_labels    yes      yes*      yes*    others' labels (*see :func:`label_scope`)
manage        yes      no        no      settings, members, import, gold, export
============  =======  ========  ======  ======  ===========

A non-member gets ``NotFound``, so project ids leak nothing. Outside projects,
the global role decides (:class:`GlobalPermission`): admins may do everything,
managers create projects and list users. Routes and pages ask :func:`authorize`,
:func:`allowed`, :func:`authorize_global` or :func:`may`, never a role name.

What raters never learn (:class:`Audience`): which items are gold, and which
model wrote a response of a comparison. Only managers (and admins) see gold
flags, gold-revealing item state (``status``, ``n_done``, ``external_id``) and
model names; reviewers may annotate too, so they are raters here. Nor do raters
see what consensus or review made of an answer (its ``status``, whether it is
still current, :func:`current_for`): gold answers get neither. Every route and
page that shows an item, an annotation or the review queue asks
:func:`audience` and shows a rater the view of :func:`rater_data`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from labelwell.errors import Forbidden, NotFound
from labelwell.store.tables import Annotation, Item, Member, Project
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


class GlobalPermission(StrEnum):
    """What a user's global role allows outside any project."""

    create_projects = "create_projects"
    list_users = "list_users"
    #: create users, set passwords, issue reset links, see and revoke others' tokens
    manage_accounts = "manage_accounts"


_GLOBAL_GRANTS: dict[str, frozenset[GlobalPermission]] = {
    "admin": frozenset(GlobalPermission),
    "manager": frozenset({GlobalPermission.create_projects, GlobalPermission.list_users}),
}


def may(actor: Actor, permission: GlobalPermission) -> bool:
    return permission in _GLOBAL_GRANTS.get(actor.role, frozenset())


def authorize_global(actor: Actor, permission: GlobalPermission) -> None:
    """Raise Forbidden unless ``actor``'s global role allows ``permission``."""
    if not may(actor, permission):
        roles = sorted(r for r, grants in _GLOBAL_GRANTS.items() if permission in grants)
        raise Forbidden(
            f"{permission.value.replace('_', ' ')} needs the role {' or '.join(roles)}; "
            f"you are {actor.role}"
        )


#: Keys of a response that name the model behind it; stored and exported, never
#: shown to a rater.
MODEL_KEYS = frozenset({"model", "model_name", "model_version", "provenance"})


@dataclass(frozen=True, slots=True)
class Audience:
    """What a caller may learn in a project beyond what labeling an item needs."""

    role: str | None

    @property
    def sees_gold(self) -> bool:
        """Gold flags, gold answers' scoring and the item state that tells gold apart."""
        return self.role == "manager"

    @property
    def sees_models(self) -> bool:
        """The model behind each response of a comparison (blind evaluation)."""
        return self.role == "manager"


def audience(session: Session, actor: Actor, project_id: int) -> Audience:
    return Audience(project_role(session, actor, project_id))


def rater_data(data: dict[str, Any]) -> dict[str, Any]:
    """An item's data as a rater sees it: every list of responses (dicts with a
    ``text``) without the keys that name a model, so responses are A, B, C only."""

    def blind(value: Any) -> Any:
        if not isinstance(value, list) or not any(
            isinstance(r, dict) and "text" in r for r in value
        ):
            return value
        return [
            {k: v for k, v in r.items() if k not in MODEL_KEYS} if isinstance(r, dict) else r
            for r in value
        ]

    return {key: blind(value) for key, value in data.items()}


#: Keys of an annotation's details that score it against a gold answer.
GOLD_KEYS = frozenset({"gold_correct", "gold_controls"})


def rater_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """An annotation's details as a rater (a reviewer) sees them: no gold scoring."""
    return {k: v for k, v in (details or {}).items() if k not in GOLD_KEYS}


def check_item_filter(seen: Audience, status: str | None) -> None:
    """Filtering items by status would list the gold items (they never fill up)."""
    if status is not None and not seen.sees_gold:
        raise Forbidden(
            f"status: filtering items by status needs the manager role; you are {seen.role}",
            details={"field": "status"},
        )


def current_for(seen: Audience, actor_id: int) -> ColumnElement[bool]:
    """Which annotations are current in ``seen``'s eyes. A rater's own answer
    stays their current one when a reviewer fixed it (only their own revision
    replaces it): consensus and review never touch gold answers, so a rater must
    not see what they made of the others."""
    if seen.sees_gold:
        return Annotation.is_current.is_(True)
    later = aliased(Annotation)
    revised_by_them = exists().where(
        later.supersedes_id == Annotation.id, later.user_id == actor_id
    )
    return or_(
        Annotation.is_current.is_(True),
        and_(Annotation.user_id == actor_id, ~revised_by_them),
    )


def has_gold(session: Session, project: Project) -> bool:
    """The project mixes gold into the queue, or did (a gold item exists)."""
    if project.gold_ratio > 0:
        return True
    return bool(
        session.scalar(
            select(exists().where(Item.project_id == project.id, Item.is_gold.is_(True)))
        )
    )


class LabelScope(StrEnum):
    """Whose answers a caller sees besides their own (:func:`label_scope`)."""

    everyone = "everyone"
    #: others' answers only on items the caller worked on (annotators, not blind)
    worked = "worked"
    #: others' answers only on items the caller never worked on
    not_worked = "not_worked"
    #: their own answers only
    own = "own"


def blind_for_raters(session: Session, project: Project) -> bool:
    """Effective blindness: annotators see only their own answers where the project
    is ``blind`` and, whatever ``blind`` says, in a project with gold. Everyone
    answers a gold item and others' answers there stay hidden, so seeing others'
    answers on regular items only would tell the gold ones apart."""
    return bool(project.blind) or has_gold(session, project)


def label_scope(session: Session, role: str | None, project: Project) -> LabelScope:
    """Managers see every answer. Annotators see others' answers on items they
    worked on unless the project is blind for raters (:func:`blind_for_raters`).
    Reviewers review others' answers; in a project with gold only on items they
    never worked on, where an answer missing is no tell of theirs. Others'
    answers on gold items are never shown to raters (:func:`labelwell.work.labels`)."""
    if role == "manager":
        return LabelScope.everyone
    if role == "reviewer":
        return LabelScope.not_worked if has_gold(session, project) else LabelScope.everyone
    if role == "annotator" and not blind_for_raters(session, project):
        return LabelScope.worked
    return LabelScope.own
