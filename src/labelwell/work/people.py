"""Managing people: who an admin or a manager may see and act on, creating and
inviting users, roles and skills, deactivation, and each person's work.

Admins manage everyone. Managers manage the people of the projects they manage
(members of a project where they are a manager), and only annotators and
reviewers among them: a manager never sets an admin's or another manager's
password, role or state, nor gives anyone a role above reviewer. Anyone else
outside a manager's reach is ``NotFound`` to them, so user ids leak nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from labelwell.errors import Forbidden, InvalidInput, NotFound
from labelwell.store.raw import raw_of, when
from labelwell.store.tables import ROLES, Annotation, Assignment, Member, Project, User, utcnow
from labelwell.work import accounts, audit, password_resets, projects, quality_report, stats
from labelwell.work.actors import Actor
from labelwell.work.policies import GlobalPermission, authorize_global
from labelwell.work.queue import statements as queue_sql

#: the global roles a manager may give and act on
MANAGED_ROLES = ("annotator", "reviewer")


def _managed_projects(session: Session, actor: Actor) -> list[int] | None:
    """The projects whose people ``actor`` manages; None for everyone (admins)."""
    authorize_global(actor, GlobalPermission.list_users)
    if actor.is_admin:
        return None
    return list(
        session.scalars(
            select(Member.project_id).where(Member.user_id == actor.id, Member.role == "manager")
        )
    )


def _in_reach(session: Session, actor: Actor, user_id: int) -> User:
    """The user if ``actor`` manages them (see the module's rules); NotFound else."""
    scope = _managed_projects(session, actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    if scope is not None and user.id != actor.id:
        shared = session.scalar(
            select(func.count())
            .select_from(Member)
            .where(Member.user_id == user_id, Member.project_id.in_(scope))
        )
        if not shared:
            raise NotFound(f"no user {user_id}")
    return user


def may_act(actor: Actor, user: User) -> bool:
    """Whether ``actor`` may change ``user``'s account (``user`` in reach)."""
    return actor.is_admin or user.role in MANAGED_ROLES


def _may_act(actor: Actor, user: User) -> None:
    if not may_act(actor, user):
        raise Forbidden(
            f"{user.email} is {user.role}; managers act on annotators and reviewers only"
        )


@dataclass(frozen=True, slots=True)
class PersonRow:
    user: User
    projects: int
    labels: int
    last_label_at: str | None


def list_people(session: Session, actor: Actor) -> list[PersonRow]:
    """The people ``actor`` manages, with how many projects and labels each has."""
    scope = _managed_projects(session, actor)
    query = select(User).order_by(User.id)
    if scope is not None:
        members = select(Member.user_id).where(Member.project_id.in_(scope))
        query = query.where(User.id.in_(members))
    users = list(session.scalars(query))
    ids = [u.id for u in users]
    n_projects = Counter[int]()
    for user_id, n in session.execute(
        select(Member.user_id, func.count()).where(Member.user_id.in_(ids)).group_by(Member.user_id)
    ):
        n_projects[user_id] = n
    labels: dict[int, tuple[int, str | None]] = {}
    for labeler, n, last in session.execute(
        select(Annotation.user_id, func.count(), func.max(Annotation.created_at))
        .where(Annotation.user_id.in_(ids), Annotation.source == "human")
        .group_by(Annotation.user_id)
    ):
        if labeler is not None:
            stamp = when(last)
            labels[labeler] = (n, stamp.isoformat() if stamp is not None else None)
    return [PersonRow(u, n_projects[u.id], *labels.get(u.id, (0, None))) for u in users]


@dataclass(frozen=True, slots=True)
class Created:
    user: User
    invite: password_resets.IssuedReset | None


def create_person(
    session: Session,
    actor: Actor,
    email: str,
    *,
    role: str = "annotator",
    name: str = "",
    skills: list[str] | None = None,
    locale: str = "en",
    password: str | None = None,
    project_id: int | None = None,
    project_role: str = "annotator",
    invite_ttl_s: int,
) -> Created:
    """Create a user who can log in: with ``password``, or with an invite (a
    one-time link to set one) when there is none. Managers create annotators and
    reviewers into a project they manage (``project_id``)."""
    authorize_global(actor, GlobalPermission.list_users)
    if not actor.is_admin:
        if role not in MANAGED_ROLES:
            raise Forbidden(f"role: managers create {' or '.join(MANAGED_ROLES)} accounts")
        if project_id is None:
            raise InvalidInput(
                "project_id: managers add new people to a project they manage",
                field="project_id",
            )
    user = accounts.create_user(
        session,
        email,
        role=role,
        password=password,
        name=name,
        skills=skills,
        locale=locale,
        actor=actor,
    )
    if project_id is not None:
        projects.set_member(session, actor, project_id, user.id, project_role)
    invite = None
    if password is None:
        invite = password_resets.issue_reset(session, user, ttl_s=invite_ttl_s, actor=actor)
    return Created(user, invite)


def invite(
    session: Session, actor: Actor, user_id: int, *, ttl_s: int
) -> password_resets.IssuedReset:
    """A new one-time link for the person to set their password."""
    user = _in_reach(session, actor, user_id)
    _may_act(actor, user)
    if not user.is_active:
        raise InvalidInput("user: reactivate the account before sending a link", field="user")
    return password_resets.issue_reset(session, user, ttl_s=ttl_s, actor=actor)


def set_password(session: Session, actor: Actor, user_id: int, password: str) -> User:
    user = _in_reach(session, actor, user_id)
    _may_act(actor, user)
    accounts.set_password(session, user, password, actor=actor)
    return user


def update_person(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    role: str | None = None,
    skills: list[str] | None = None,
    name: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a person's role, skills, name, or whether they may log in."""
    user = _in_reach(session, actor, user_id)
    _may_act(actor, user)
    changes: dict[str, object] = {}
    if role is not None and role != user.role:
        if role not in ROLES:
            raise InvalidInput(f"role: {role!r} is not one of {', '.join(ROLES)}", field="role")
        if not actor.is_admin and role not in MANAGED_ROLES:
            raise Forbidden(f"role: managers give the roles {' or '.join(MANAGED_ROLES)} only")
        if user.id == actor.id:
            raise InvalidInput("role: you cannot change your own role", field="role")
        changes["role"] = [user.role, role]
        user.role = role
    if skills is not None:
        cleaned = sorted({s.strip() for s in skills if s.strip()})
        if any(len(s) > 100 for s in cleaned):
            raise InvalidInput("skills: a skill is at most 100 characters", field="skills")
        if cleaned != list(user.skills or []):
            changes["skills"] = cleaned
            user.skills = cleaned
    if name is not None and name.strip() != user.name:
        changes["name"] = name.strip()
        user.name = name.strip()
    if is_active is not None and is_active != user.is_active:
        if user.id == actor.id:
            raise InvalidInput("is_active: you cannot deactivate yourself", field="is_active")
        user.is_active = is_active
        changes["is_active"] = is_active
        if not is_active:
            changes["leases_released"] = _deactivate(session, user)
    if changes:
        audit.record(
            session, actor, "user.update", target_type="user", target_id=user.id, details=changes
        )
    session.flush()
    return user


def _deactivate(session: Session, user: User) -> int:
    """End the user's web sessions and give their leased items back to the queue
    (their API tokens stop working while the account is inactive)."""
    accounts.end_user_sessions(session, user.id)
    now = utcnow()
    leased = session.execute(
        select(Assignment.id, Assignment.item_id, Assignment.is_gold).where(
            Assignment.user_id == user.id, Assignment.status == "leased"
        )
    ).all()
    if not leased:
        return 0
    session.execute(
        update(Assignment)
        .where(Assignment.id.in_([a.id for a in leased]))
        .values(status="expired", expires_at=now, finished_at=now)
    )
    raw = raw_of(session)
    for item_id, n in Counter(a.item_id for a in leased if not a.is_gold).items():
        raw.run(queue_sql.RETURN_SLOTS, (n, item_id))
    return len(leased)


# -- a person's work ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProjectWork:
    project_id: int
    name: str
    role: str
    submitted: int = 0
    skipped: int = 0
    median_time_ms: float | None = None
    labels_7d: int = 0
    gold_n: int = 0
    gold_accuracy: float | None = None
    needs_retraining: bool = False
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Person:
    user: User
    projects: list[ProjectWork]
    active_sessions: int


def person(session: Session, actor: Actor, user_id: int) -> Person:
    """A person's projects (those ``actor`` manages), throughput, gold accuracy
    and quality flags, from the project statistics and the quality report."""
    user = _in_reach(session, actor, user_id)
    scope = _managed_projects(session, actor)
    query = (
        select(Member.project_id, Project.name, Member.role)
        .join(Project, Project.id == Member.project_id)
        .where(Member.user_id == user_id)
        .order_by(Member.project_id)
    )
    if scope is not None:
        query = query.where(Member.project_id.in_(scope))
    since = utcnow() - timedelta(days=7)
    out = []
    for project_id, name, role in session.execute(query).all():
        st = stats.project_stats(session, actor, project_id)
        mine = next((a for a in st.annotators if a.email == user.email), None)
        report = quality_report.quality_report(
            session, actor, project_id, max_labels=0, max_items=0
        )
        gold = next((g for g in report.gold if g.annotator == user.email), None)
        recent = session.scalar(
            select(func.count()).where(
                Annotation.project_id == project_id,
                Annotation.user_id == user_id,
                Annotation.source == "human",
                Annotation.created_at >= since,
            )
        )
        out.append(
            ProjectWork(
                project_id=project_id,
                name=name,
                role=role,
                submitted=mine.submitted if mine else 0,
                skipped=mine.skipped if mine else 0,
                median_time_ms=mine.median_time_ms if mine else None,
                labels_7d=int(recent or 0),
                gold_n=gold.n_gold if gold else 0,
                gold_accuracy=gold.accuracy if gold else None,
                needs_retraining=bool(gold and gold.needs_retraining),
                flags=[f.message for f in report.anomalies if f.annotator == user.email],
            )
        )
    sessions = len(accounts.list_live_sessions(session, user_id))
    return Person(user, out, sessions)
