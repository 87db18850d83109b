"""The append-only audit log: who did what, to which project and object."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from labelwell.store.tables import AuditEntry, utcnow
from labelwell.work.actors import Actor


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    project_id: int | None = None,
    target_type: str = "",
    target_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.execute(
        insert(AuditEntry).values(
            at=utcnow(),
            actor_id=actor.id if actor else None,
            actor=actor.email if actor else "system",
            action=action,
            project_id=project_id,
            target_type=target_type,
            target_id=target_id,
            details=details or {},
        )
    )


def created(
    session: Session,
    actor: Actor | None,
    action: str,
    row: Any,
    *,
    target_type: str,
    project_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Store the new ``row`` and :func:`record` its creation, with the row's id
    as the target."""
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        action,
        project_id=project_id,
        target_type=target_type,
        target_id=row.id,
        details=details,
    )


def record_project(
    session: Session, actor: Actor | None, action: str, project_id: int, details: dict[str, Any]
) -> None:
    """:func:`record` an action on the project itself (its target is the project)."""
    record(
        session,
        actor,
        action,
        project_id=project_id,
        target_type="project",
        target_id=project_id,
        details=details,
    )


def entries(
    session: Session, actor: Actor, project_id: int, *, after: int = 0, limit: int = 100
) -> list[AuditEntry]:
    """A project's audit trail, oldest first (managers only)."""
    from labelwell.work.policies import Permission, authorize

    authorize(session, actor, project_id, Permission.manage)
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.project_id == project_id, AuditEntry.id > after)
            .order_by(AuditEntry.id)
            .limit(limit)
        )
    )
