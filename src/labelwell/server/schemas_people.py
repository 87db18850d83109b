"""Request and response schemas of the people and workforce-cost areas."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from labelwell.server.schemas import (
    MAX_ID,
    ProjectRole,
    Public,
    Role,
    Strict,
    UserPublic,
    fields_of,
)
from labelwell.store.tables import User
from labelwell.work import cost, people

Basis = Literal["hour", "label"]


class PersonCreate(Strict):
    email: str = Field(max_length=320)
    role: Role = "annotator"
    name: str = Field(default="", max_length=200)
    skills: list[str] = Field(default_factory=list, max_length=50)
    locale: str = Field(default="en", max_length=10)
    password: str | None = Field(
        default=None,
        max_length=1000,
        description="Without one, the answer holds a one-time invite link to set it.",
    )
    project_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="A project to add the person to."
    )
    project_role: ProjectRole = "annotator"


class PersonUpdate(Strict):
    role: Role | None = None
    skills: list[str] | None = Field(default=None, max_length=50)
    name: str | None = Field(default=None, max_length=200)
    is_active: bool | None = Field(
        default=None,
        description="False: the person cannot log in, their sessions end, their API "
        "tokens stop working and their leased items go back to the queue.",
    )


class PersonPassword(Strict):
    password: str = Field(max_length=1000)


class PersonPublic(UserPublic):
    """A user as the people pages list them: the account and its activity."""

    has_password: bool
    projects: int = 0
    labels: int = 0
    last_label_at: str | None = None

    @classmethod
    def of(cls, user: User, row: people.PersonRow | None = None) -> PersonPublic:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            skills=list(user.skills or []),
            locale=user.locale,
            is_active=user.is_active,
            has_password=user.password_hash is not None,
            projects=row.projects if row else 0,
            labels=row.labels if row else 0,
            last_label_at=row.last_label_at if row else None,
        )


class Invite(Public):
    url: str = Field(description="Shown once: the page where the person sets a password.")
    expires_at: datetime


class PersonCreated(Public):
    user: PersonPublic
    invite: Invite | None = None


class ProjectWorkPublic(Public):
    model_config = ConfigDict(from_attributes=True)
    project_id: int
    name: str
    role: str
    submitted: int
    skipped: int
    median_time_ms: float | None
    labels_7d: int
    gold_n: int
    gold_accuracy: float | None
    needs_retraining: bool
    flags: list[str]


class PersonDetail(Public):
    user: PersonPublic
    projects: list[ProjectWorkPublic]
    active_sessions: int

    @classmethod
    def of(cls, found: people.Person) -> PersonDetail:
        return cls(
            user=PersonPublic.of(found.user),
            projects=[ProjectWorkPublic.model_validate(p) for p in found.projects],
            active_sessions=found.active_sessions,
        )


class RateCreate(Strict):
    basis: Basis
    amount: float = Field(ge=0, le=1_000_000)
    name: str = Field(default="", max_length=200)
    project_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    role: Role | None = None
    skill: str | None = Field(default=None, max_length=100)


class RatePublic(fields_of(cost.Rate)): ...  # type: ignore[misc]


class PresetPublic(fields_of(cost.Preset)): ...  # type: ignore[misc]


class BudgetSet(Strict):
    cap: float | None = Field(ge=0, le=1e12, description="None removes the budget.")


class BudgetPublic(Public):
    cap: float | None
    spent: float
    reached: bool

    @classmethod
    def of(cls, budget: cost.Budget) -> BudgetPublic:
        return cls(cap=budget.cap, spent=budget.spent, reached=budget.reached)


class PersonCostPublic(Public):
    user_id: int
    email: str
    name: str
    rate: RatePublic | None
    hours: float
    labels: int
    accepted: int
    amount: float
    per_accepted_label: float | None


class ProjectCostPublic(Public):
    project_id: int
    people: list[PersonCostPublic]
    budget: BudgetPublic
    hours: float
    accepted: int
    amount: float
    per_accepted_label: float | None
    unpriced: list[str] = Field(description="People whose work no rate prices.")

    @classmethod
    def of(cls, report: cost.ProjectCost) -> ProjectCostPublic:
        return cls(
            project_id=report.project_id,
            people=[
                PersonCostPublic(
                    user_id=p.user_id,
                    email=p.email,
                    name=p.name,
                    rate=RatePublic.model_validate(p.rate) if p.rate else None,
                    hours=p.hours,
                    labels=p.labels,
                    accepted=p.accepted,
                    amount=p.amount,
                    per_accepted_label=_cents(p.per_accepted_label),
                )
                for p in report.people
            ],
            budget=BudgetPublic.of(report.budget),
            hours=report.hours,
            accepted=report.accepted,
            amount=report.amount,
            per_accepted_label=_cents(report.per_accepted_label),
            unpriced=report.unpriced,
        )


def _cents(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
