"""Who is working in a project now.

Every page of a project that a person keeps open says so by a heartbeat (the
workspace and review pages by ``POST /presence``, the dashboard and the item
table through their live stream); a person is present while their last
heartbeat is under :data:`WINDOW_S` old. Managers (and admins) see who is
present and on which page; reviewers and annotators only how many, and
annotators nothing in a project that is blind for them
(:func:`~labelwell.work.policies.blind_for_raters`), where who works when
could tell them whose labels they see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from labelwell.store.tables import Presence, Project, User, utcnow
from labelwell.work import events
from labelwell.work.actors import Actor
from labelwell.work.policies import (
    Permission,
    allowed,
    authorize,
    blind_for_raters,
    project_role,
)

#: a person is present while their last heartbeat is younger than this
WINDOW_S = 60
#: pages send a heartbeat this often
HEARTBEAT_S = 20
PAGES = ("workspace", "review", "dashboard", "data")


@dataclass(frozen=True, slots=True)
class Present:
    user_id: int
    name: str
    email: str
    page: str
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class PresenceView:
    """``people`` for managers only; ``count`` is ``None`` where the caller
    may not know it (annotators in a blind project)."""

    people: list[Present]
    count: int | None


def _since() -> datetime:
    return utcnow() - timedelta(seconds=WINDOW_S)


def beat(session: Session, actor: Actor, project_id: int, page: str) -> PresenceView:
    """Record that ``actor`` has ``page`` of the project open; who is present.
    A person who was not present before tells the project's live pages."""
    project = authorize(session, actor, project_id, Permission.view)
    now = utcnow()
    seen_at = session.scalar(
        select(Presence.seen_at).where(
            Presence.project_id == project_id, Presence.user_id == actor.id
        )
    )
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Presence).values(
        project_id=project_id, user_id=actor.id, page=page, seen_at=now
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[Presence.project_id, Presence.user_id],
            set_={"page": statement.excluded.page, "seen_at": statement.excluded.seen_at},
        )
    )
    view = _view(session, actor, project)
    if seen_at is None or seen_at < _since():
        events.publish(session, project_id, events.PRESENCE, {"count": _count(session, project_id)})
    return view


def present(session: Session, actor: Actor, project_id: int) -> PresenceView:
    project = authorize(session, actor, project_id, Permission.view)
    return _view(session, actor, project)


def _count(session: Session, project_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                Presence.project_id == project_id, Presence.seen_at >= _since()
            )
        )
        or 0
    )


def _view(session: Session, actor: Actor, project: Project) -> PresenceView:
    role = project_role(session, actor, project.id)
    if allowed(role, Permission.manage, project):
        rows = session.execute(
            select(User.id, User.name, User.email, Presence.page, Presence.seen_at)
            .join(User, User.id == Presence.user_id)
            .where(Presence.project_id == project.id, Presence.seen_at >= _since())
            .order_by(Presence.seen_at.desc())
        ).all()
        people = [Present(r[0], r[1] or "", r[2], r[3], r[4]) for r in rows]
        return PresenceView(people, len(people))
    if role == "annotator" and blind_for_raters(session, project):
        return PresenceView([], None)
    return PresenceView([], _count(session, project.id))


def viewer(session: Session, actor: Actor, project_id: int) -> events.Viewer:
    """What ``actor``'s live stream of the project may carry (``NotFound`` for
    a non-member)."""
    project = authorize(session, actor, project_id, Permission.view)
    role = project_role(session, actor, project_id) or "annotator"
    if allowed(role, Permission.manage, project):
        role = "manager"
    return events.Viewer(role, blind_for_raters(session, project))
