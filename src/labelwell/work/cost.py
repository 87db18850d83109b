"""Workforce cost: pay rates, what each person's labels cost, budgets and payroll.

A rate pays per hour (of ``annotations.time_spent_ms``) or per accepted label,
for everyone or scoped to a project, a global role or a skill. The rate that
applies to a person's work in a project is the most specific one that matches
(:func:`rate_for`). A label is *accepted* while it is current and no review
or consensus rejected it.

A project with the ``budget_cap`` setting counts its spend up with each submit
(:func:`charge`, in ``project_spend``); once the spend reaches the cap the queue
leases no new task (one primary-key lookup, :func:`check_budget`). Setting the
budget or changing rates counts the spend again from every label
(:func:`recount_spend`); per-label pay is counted when the label is submitted,
so the queue stops before the cap can be passed by labels still in review.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput, NotFound
from labelwell.formats.tabular import spreadsheet_safe
from labelwell.store.raw import Raw, Statement
from labelwell.store.tables import ROLES, Annotation, Member, PayRate, Project, ProjectSpend, User
from labelwell.store.tables import utcnow as _now
from labelwell.work import audit, project_settings
from labelwell.work.actors import Actor
from labelwell.work.policies import GlobalPermission, Permission, authorize, may

BASES = ("hour", "label")
MS_PER_HOUR = 3_600_000


@dataclass(frozen=True, slots=True)
class Preset:
    """An example rate: the middle of a typical market range (US dollars)."""

    key: str
    name: str
    basis: str
    amount: float
    low: float
    high: float


PRESETS: tuple[Preset, ...] = (
    Preset("general", "General labeling", "hour", 20.0, 15.0, 25.0),
    Preset("specialist", "Specialist domain (medical, legal, ...)", "hour", 75.0, 50.0, 100.0),
    Preset("rlhf_coding", "RLHF coding evaluation", "hour", 45.0, 30.0, 60.0),
)


@dataclass(frozen=True, slots=True)
class Rate:
    id: int
    project_id: int | None
    role: str | None
    skill: str | None
    basis: str
    amount: float
    name: str

    def pay(self, ms: float, labels: int) -> float:
        """What ``ms`` of work and ``labels`` accepted labels earn at this rate."""
        return self.amount * (ms / MS_PER_HOUR if self.basis == "hour" else labels)


def rate_for(
    rates: Iterable[Rate], project_id: int, role: str, skills: Iterable[str]
) -> Rate | None:
    """The most specific matching rate: one scoped to the project beats one that
    is not, then one for a skill the person has, then one for their role; among
    equals the higher amount, then the older rate."""
    have = set(skills)
    matching = [
        r
        for r in rates
        if r.project_id in (None, project_id)
        and r.role in (None, role)
        and (r.skill is None or r.skill in have)
    ]
    return max(
        matching,
        key=lambda r: (
            r.project_id is not None,
            r.skill is not None,
            r.role is not None,
            r.amount,
            -r.id,
        ),
        default=None,
    )


def _rate(row: PayRate) -> Rate:
    return Rate(row.id, row.project_id, row.role, row.skill, row.basis, row.amount, row.name)


def _rates(session: Session, project_ids: Sequence[int] | None = None) -> list[Rate]:
    query = select(PayRate).order_by(PayRate.id)
    if project_ids is not None:
        query = query.where(or_(PayRate.project_id.is_(None), PayRate.project_id.in_(project_ids)))
    return [_rate(r) for r in session.scalars(query)]


def managed_project_ids(session: Session, actor: Actor) -> list[int] | None:
    """The projects whose cost ``actor`` may see and set; None for every one (admins)."""
    if actor.is_admin:
        return None
    return list(
        session.scalars(
            select(Member.project_id).where(Member.user_id == actor.id, Member.role == "manager")
        )
    )


def list_rates(session: Session, actor: Actor) -> list[Rate]:
    """Rates for everyone, and those of the projects ``actor`` manages."""
    if not may(actor, GlobalPermission.list_users):
        raise NotFound("no pay rates")
    return _rates(session, managed_project_ids(session, actor))


def _check_scope(session: Session, actor: Actor, project_id: int | None) -> None:
    if project_id is None:
        if not actor.is_admin:
            raise InvalidInput(
                "project_id: managers set rates for a project they manage; "
                "rates for every project need an admin",
                field="project_id",
            )
        return
    authorize(session, actor, project_id, Permission.manage)


def add_rate(
    session: Session,
    actor: Actor,
    *,
    basis: str,
    amount: float,
    name: str = "",
    project_id: int | None = None,
    role: str | None = None,
    skill: str | None = None,
) -> Rate:
    if basis not in BASES:
        raise InvalidInput(f"basis: must be one of {', '.join(BASES)}", field="basis")
    if not amount >= 0 or amount > 1_000_000:
        raise InvalidInput("amount: must be between 0 and 1,000,000", field="amount")
    if role is not None and role not in ROLES:
        raise InvalidInput(f"role: {role!r} is not one of {', '.join(ROLES)}", field="role")
    skill = (skill or "").strip() or None
    _check_scope(session, actor, project_id)
    row = PayRate(
        project_id=project_id,
        role=role,
        skill=skill,
        basis=basis,
        amount=float(amount),
        name=name.strip(),
        created_by=actor.id,
    )
    audit.created(
        session,
        actor,
        "rate.create",
        row,
        target_type="pay_rate",
        project_id=project_id,
        details={"basis": basis, "amount": amount},
    )
    _recount_affected(session, project_id)
    return _rate(row)


def remove_rate(session: Session, actor: Actor, rate_id: int) -> None:
    row = session.get(PayRate, rate_id)
    visible = managed_project_ids(session, actor)
    if row is None or (visible is not None and row.project_id not in visible):
        raise NotFound(f"no pay rate {rate_id}")
    _check_scope(session, actor, row.project_id)
    project_id = row.project_id
    session.delete(row)
    session.flush()
    audit.record(
        session,
        actor,
        "rate.delete",
        project_id=project_id,
        target_type="pay_rate",
        target_id=rate_id,
    )
    _recount_affected(session, project_id)


# -- what work cost ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonCost:
    user_id: int
    email: str
    name: str
    project_id: int
    rate: Rate | None
    hours: float
    labels: int
    accepted: int
    amount: float

    @property
    def per_accepted_label(self) -> float | None:
        return self.amount / self.accepted if self.accepted else None


def _accepted() -> Any:
    return and_(Annotation.is_current.is_(True), Annotation.status != "rejected")


def work_costs(
    session: Session,
    project_ids: Sequence[int] | None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    user_id: int | None = None,
) -> list[PersonCost]:
    """Each person's hours, labels and pay per project (human labels made in
    ``[start, end)``), of ``project_ids`` or every project."""
    person = (
        Annotation.project_id,
        Annotation.user_id,
        User.email,
        User.name,
        User.role,
        User.skills,
    )
    query = (
        select(
            *person,
            func.coalesce(func.sum(Annotation.time_spent_ms), 0),
            func.sum(case((Annotation.is_current.is_(True), 1), else_=0)),
            func.sum(case((_accepted(), 1), else_=0)),
        )
        .join(User, User.id == Annotation.user_id)
        .where(Annotation.source == "human")
        .group_by(*person)
        .order_by(Annotation.project_id, User.email)
    )
    if project_ids is not None:
        query = query.where(Annotation.project_id.in_(project_ids))
    if start is not None:
        query = query.where(Annotation.created_at >= start)
    if end is not None:
        query = query.where(Annotation.created_at < end)
    if user_id is not None:
        query = query.where(Annotation.user_id == user_id)
    rows = session.execute(query).all()
    rates = _rates(session, sorted({r[0] for r in rows}))
    out = []
    for project_id, uid, email, name, role, skills, ms, labels, accepted in rows:
        rate = rate_for(rates, project_id, role, skills or ())
        amount = rate.pay(float(ms), int(accepted)) if rate else 0.0
        out.append(
            PersonCost(
                uid,
                email,
                name or "",
                project_id,
                rate,
                round(ms / MS_PER_HOUR, 4),
                int(labels),
                int(accepted),
                round(amount, 2),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Budget:
    cap: float | None
    spent: float

    @property
    def reached(self) -> bool:
        return self.cap is not None and self.spent >= self.cap


@dataclass(frozen=True, slots=True)
class ProjectCost:
    project_id: int
    people: list[PersonCost]
    budget: Budget
    hours: float = 0.0
    accepted: int = 0
    amount: float = 0.0
    unpriced: list[str] = field(default_factory=list)

    @property
    def per_accepted_label(self) -> float | None:
        return self.amount / self.accepted if self.accepted else None


def project_cost(session: Session, actor: Actor, project_id: int) -> ProjectCost:
    """Cost per annotator and per accepted label of a project, and its budget."""
    project = authorize(session, actor, project_id, Permission.manage)
    people = work_costs(session, [project_id])
    return ProjectCost(
        project_id=project_id,
        people=people,
        budget=budget_of(session, project),
        hours=round(sum(p.hours for p in people), 4),
        accepted=sum(p.accepted for p in people),
        amount=round(sum(p.amount for p in people), 2),
        unpriced=[p.email for p in people if p.rate is None],
    )


def budget_of(session: Session, project: Project) -> Budget:
    cap = project_settings.settings_of(project).budget_cap
    spent = session.scalar(select(ProjectSpend.spent).where(ProjectSpend.project_id == project.id))
    return Budget(cap, round(float(spent or 0.0), 2))


def set_budget(session: Session, actor: Actor, project_id: int, cap: float | None) -> Budget:
    """Set (or with None remove) a project's budget cap and count its spend again."""
    project = authorize(session, actor, project_id, Permission.manage)
    if cap is not None and (not cap >= 0 or cap > 1e12):
        raise InvalidInput("cap: must be a non-negative amount", field="cap")
    merged = project_settings.merged(project.settings, {"budget_cap": cap})
    project.settings = merged.to_column()
    audit.record_project(session, actor, "project.budget", project_id, {"cap": cap})
    recount_spend(session, project_id)
    session.flush()
    return budget_of(session, project)


def recount_spend(session: Session, project_id: int) -> float:
    """Count a project's spend from every label (rates as they are now)."""
    total = round(sum(p.amount for p in work_costs(session, [project_id])), 6)
    row = session.get(ProjectSpend, project_id)
    if row is None:
        session.add(ProjectSpend(project_id=project_id, spent=total, updated_at=_now()))
    else:
        row.spent = total
        row.updated_at = _now()
    session.flush()
    return total


def _recount_affected(session: Session, project_id: int | None) -> None:
    """Projects with a budget whose spend a rate change alters."""
    if project_id is not None:
        ids = [project_id]
    else:
        ids = list(session.scalars(select(ProjectSpend.project_id)))
    for pid in ids:
        recount_spend(session, pid)


# -- on the queue's path (raw statements, no ORM) ----------------------------------

_SPENT = Statement("SELECT spent FROM project_spend WHERE project_id = ?")
_RATES = Statement(
    "SELECT id, project_id, role, skill, basis, amount, name FROM pay_rates"
    " WHERE project_id = ? OR project_id IS NULL"
)
_CHARGE = Statement(
    "INSERT INTO project_spend (project_id, spent, updated_at) VALUES (?, ?, ?)"
    " ON CONFLICT (project_id) DO UPDATE"
    " SET spent = project_spend.spent + excluded.spent, updated_at = excluded.updated_at"
)


def budget_reached(project: Any) -> Conflict:
    cap = project.settings.budget_cap
    return Conflict(
        f"project {project.name!r} has spent its budget ({cap:,.2f}); "
        "no new tasks until a manager raises it"
    )


def check_budget(db: Raw, project: Any) -> None:
    """Refuse a new lease once the spend reached the cap (one primary-key lookup,
    only in projects with a ``budget_cap``)."""
    cap = project.settings.budget_cap
    if cap is None:
        return
    row = db.one(_SPENT, (project.id,))
    if row is not None and float(row[0]) >= cap:
        raise budget_reached(project)


def charge(db: Raw, project: Any, actor: Actor, time_spent_ms: int | None) -> None:
    """Add a submitted label's pay to the project's spend (projects with a budget)."""
    if project.settings.budget_cap is None:
        return
    rates = [Rate(*row) for row in db.all(_RATES, (project.id,))]
    rate = rate_for(rates, project.id, actor.role, actor.skills)
    if rate is None:
        return
    amount = rate.pay(float(time_spent_ms or 0), 1)
    db.run(_CHARGE, (project.id, amount, db.stamp(_now())))


# -- payroll --------------------------------------------------------------------

PAYROLL_COLUMNS = ("period_start", "period_end", "email", "name", "hours", "labels", "amount")


def payroll(
    session: Session,
    actor: Actor,
    start: datetime,
    end: datetime,
    project_id: int | None = None,
) -> list[tuple[str, str, str, str, float, int, float]]:
    """One row per person: hours, accepted labels and pay in ``[start, end)``
    over the projects ``actor`` manages (or ``project_id``)."""
    if end <= start:
        raise InvalidInput("end: must be after start", field="end")
    if project_id is not None:
        authorize(session, actor, project_id, Permission.manage)
        ids: list[int] | None = [project_id]
    else:
        if not may(actor, GlobalPermission.list_users):
            raise NotFound("no payroll")
        ids = managed_project_ids(session, actor)
    per: dict[str, list[Any]] = {}
    for p in work_costs(session, ids, start=start, end=end):
        row = per.setdefault(p.email, [p.name, 0.0, 0, 0.0])
        row[1] += p.hours
        row[2] += p.accepted
        row[3] += p.amount
    # the period's last day, included (``end`` is the moment after it)
    s, e = start.date().isoformat(), (end - timedelta(microseconds=1)).date().isoformat()
    return [
        (s, e, email, name, round(hours, 2), labels, round(amount, 2))
        for email, (name, hours, labels, amount) in sorted(per.items())
    ]


def payroll_csv(rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PAYROLL_COLUMNS)
    for row in rows:
        writer.writerow([spreadsheet_safe(c) for c in row])
    return out.getvalue()
