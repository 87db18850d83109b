"""Progress of a project and work per annotator, computed in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from labelwell.errors import InvalidInput
from labelwell.shapes import ProgressFields
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


@dataclass(frozen=True, slots=True)
class ProjectStats(ProgressFields):
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
        status = "open" if status == "staged" else status  # being opened after its import
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
        spent = session.scalars(
            select(Annotation.time_spent_ms)
            .where(
                Annotation.project_id == project_id,
                Annotation.user_id == user_id,
                Annotation.time_spent_ms.is_not(None),
            )
            .order_by(Annotation.time_spent_ms)
        )
        times = [ms for ms in spent if ms is not None]
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


@dataclass(frozen=True, slots=True)
class Timeline:
    """When a project's current annotations were made: ``counts[i]`` in the
    ``step_s`` seconds from ``start + i * step_s`` (``start`` is None and
    ``counts`` empty before the first annotation)."""

    start: datetime | None
    step_s: int
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def cumulative(self) -> list[tuple[datetime, int]]:
        """The end of each interval and the annotations made by then."""
        if self.start is None:
            return []
        points, running = [], 0
        for i, n in enumerate(self.counts):
            running += n
            points.append((self.start + timedelta(seconds=self.step_s * (i + 1)), running))
        return points


class _EpochSeconds(FunctionElement[int]):
    """Whole seconds since 1970 of a timestamp, rounded down on both databases."""

    type = BigInteger()
    inherit_cache = True


@compiles(_EpochSeconds, "postgresql")
def _epoch_postgresql(element: _EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(_EpochSeconds)
def _epoch_sqlite(element: _EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(STRFTIME('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


def annotation_timeline(
    session: Session, actor: Actor, project_id: int, *, buckets: int = 60
) -> Timeline:
    """The project's current annotations counted in ``buckets`` equal intervals
    from the first to the last one, grouped in the database (managers)."""
    authorize(session, actor, project_id, Permission.manage)
    if buckets < 1:
        raise InvalidInput("buckets: must be at least 1", field="buckets")
    epoch = _EpochSeconds(Annotation.created_at)
    current = (Annotation.project_id == project_id, Annotation.is_current.is_(True))
    first, last = session.execute(select(func.min(epoch), func.max(epoch)).where(*current)).one()
    if first is None:
        return Timeline(None, 1, [])
    first, last = int(first), int(last)
    step = max(1, -(-(last - first + 1) // buckets))
    slot = select(((epoch - first) // step).label("slot")).where(*current).subquery()
    counts = [0] * buckets
    for i, n in session.execute(
        select(slot.c.slot, func.count()).group_by(slot.c.slot).order_by(slot.c.slot)
    ):
        counts[int(i)] += int(n)
    return Timeline(datetime.fromtimestamp(first, UTC), step, counts)
