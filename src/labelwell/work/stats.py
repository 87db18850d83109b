"""Progress of a project and work per annotator, computed in the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labelwell.store.tables import Annotation, Assignment, Item, User
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize
from labelwell.work.published import published


@dataclass(slots=True)
class AnnotatorStats:
    email: str
    submitted: int = 0
    skipped: int = 0
    leased: int = 0
    expired: int = 0
    gold_checks: int = 0
    median_time_ms: float | None = None


@dataclass(slots=True)
class ProjectStats:
    project_id: int
    items: int
    gold_items: int
    by_status: dict[str, int]
    annotations: int
    overlap: int
    progress: float
    annotators: list[AnnotatorStats] = field(default_factory=list)


def project_stats(session: Session, actor: Actor, project_id: int) -> ProjectStats:
    project = authorize(session, actor, project_id, Permission.manage)
    by_status: dict[str, int] = {}
    gold = 0
    done_slots = 0
    for status, is_gold, n, n_done in session.execute(
        select(Item.status, Item.is_gold, func.count(), func.sum(Item.n_done))
        .where(Item.project_id == project_id, published())
        .group_by(Item.status, Item.is_gold)
    ):
        if is_gold:
            gold += n
            continue
        by_status[status] = by_status.get(status, 0) + n
        done_slots += int(n_done or 0)
    items = sum(by_status.values())
    annotations = (
        session.scalar(
            select(func.count()).where(
                Annotation.project_id == project_id, Annotation.is_current.is_(True)
            )
        )
        or 0
    )
    per: dict[int, AnnotatorStats] = {}
    for user_id, email, status, is_gold, n in session.execute(
        select(Assignment.user_id, User.email, Assignment.status, Assignment.is_gold, func.count())
        .join(User, User.id == Assignment.user_id)
        .where(Assignment.project_id == project_id)
        .group_by(Assignment.user_id, User.email, Assignment.status, Assignment.is_gold)
    ):
        row = per.setdefault(user_id, AnnotatorStats(email=email))
        if is_gold and status == "submitted":
            row.gold_checks += n
        if status in ("submitted", "skipped", "leased", "expired"):
            setattr(row, status, getattr(row, status) + n)
    for user_id, row in per.items():
        times = session.scalars(
            select(Annotation.time_spent_ms)
            .where(
                Annotation.project_id == project_id,
                Annotation.user_id == user_id,
                Annotation.time_spent_ms.is_not(None),
            )
            .order_by(Annotation.time_spent_ms)
        ).all()
        if times:
            mid = len(times) // 2
            row.median_time_ms = (
                float(times[mid]) if len(times) % 2 else ((times[mid - 1] + times[mid]) / 2)
            )
    wanted = items * project.overlap
    return ProjectStats(
        project_id=project_id,
        items=items,
        gold_items=gold,
        by_status=by_status,
        annotations=annotations,
        overlap=project.overlap,
        progress=round(done_slots / wanted, 4) if wanted else 0.0,
        annotators=sorted(per.values(), key=lambda a: a.email),
    )
