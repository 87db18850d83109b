"""Bias audit of a preference project: do annotator groups judge differently?

Every human judgment that a reviewer did not reject is one observation, grouped
by an attribute of the annotator who made it:

* ``locale`` (the user's locale), ``role`` (the user's role), ``project_role``
  (their role in this project), ``skills`` (the sorted skill set, e.g. ``de+en``)
  or ``skill:NAME`` (``NAME`` or ``not NAME``: language skills, expertise tags).

Per control: pairwise outcomes (``a``/``b``/``tie``/``both_bad``) and the
response a ranking puts first (``tie`` when several share first place; in
generated items the response id names the sampling, hence the model) are
tested with the chi-square test of independence; ratings (each aspect apart)
with Mann-Whitney U for two groups and Kruskal-Wallis H for more
(:mod:`labelwell.rlhf.bias`). The p-values of a project's tests are
Holm-adjusted together, and ``significant`` uses the adjusted value. Judgments
by one annotator are not independent of each other, which these tests assume:
read a small p-value from few annotators per group with care.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.rlhf.bias import audit_preferences, audit_ratings, holm
from labelwell.rlhf.decisions import controls_of, standing_judgments
from labelwell.store.tables import Member, User
from labelwell.work.actors import Actor
from labelwell.work.export import ExportFilter, iter_records
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of

GROUPINGS = ("locale", "role", "project_role", "skills", "skill:NAME")


@dataclass(frozen=True, slots=True)
class ControlAudit:
    """One test: ``control`` is the control name (``name.aspect`` for an aspect of
    a rating); ``groups`` has per group ``n`` and either outcome ``counts`` or
    ``mean``, ``median``, ``std`` of the ratings."""

    control: str
    kind: str
    test: str
    statistic: float
    p_value: float
    p_holm: float
    dof: int
    effect_size: float
    significant: bool
    groups: list[dict[str, Any]]
    min_expected: float | None = None


@dataclass(frozen=True, slots=True)
class BiasAudit:
    project_id: int
    by: str
    alpha: float
    n_judgments: int
    annotators: dict[str, int]
    audits: list[ControlAudit] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


def _group_of(by: str, session: Session, project_id: int) -> dict[str, str]:
    """Each user's group (by email), for the grouping ``by``."""
    if by.startswith("skill:"):
        name = by.removeprefix("skill:").strip()
        if not name:
            raise InvalidInput("by: skill:NAME needs a skill name", field="by")
        skills = session.execute(select(User.email, User.skills))
        return {e: name if name in (s or []) else f"not {name}" for e, s in skills}
    if by == "project_role":
        rows = session.execute(
            select(User.email, Member.role)
            .join(Member, Member.user_id == User.id)
            .where(Member.project_id == project_id)
        )
        return {e: r for e, r in rows}
    if by == "skills":
        rows = session.execute(select(User.email, User.skills))
        return {e: "+".join(sorted(s or [])) or "(none)" for e, s in rows}
    if by in ("locale", "role"):
        return {e: str(v) for e, v in session.execute(select(User.email, getattr(User, by)))}
    raise InvalidInput(f"by: unknown grouping {by!r}; one of {', '.join(GROUPINGS)}", field="by")


def _top(ranking: Any) -> str | None:
    if not isinstance(ranking, list) or not ranking or not isinstance(ranking[0], list):
        return None
    first = ranking[0]
    return str(first[0]) if len(first) == 1 else "tie" if first else None


def _observations(
    session: Session, project_id: int, ontology: Any, group_of: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, set[str]]]:
    pairwise, ranking = controls_of(ontology, "pairwise"), controls_of(ontology, "ranking")
    rating = controls_of(ontology, "rating")
    prefs: list[tuple[str, str, str]] = []
    rates: list[tuple[str, str, float]] = []
    who: dict[str, set[str]] = defaultdict(set)
    for record in iter_records(session, project_id, ExportFilter(labels="raw")):
        for a in standing_judgments(record):
            group = group_of.get(a.provenance.agent)
            if group is None:
                continue
            who[group].add(a.provenance.agent)
            result = a.result
            for name in pairwise:
                choice = (result.get(name) or {}).get("choice")
                if choice:
                    prefs.append((name, group, str(choice)))
            for name in ranking:
                top = _top(result.get(name))
                if top:
                    prefs.append((name, group, top))
            for name in rating:
                value = result.get(name)
                if isinstance(value, dict):
                    rates += [(f"{name}.{k}", group, float(v)) for k, v in value.items()]
                elif isinstance(value, int | float):
                    rates.append((name, group, float(value)))
    return (
        pd.DataFrame(prefs, columns=["control", "group", "outcome"]),
        pd.DataFrame(rates, columns=["control", "group", "rating"]),
        who,
    )


def _finite(x: float) -> float:
    return float(x) if np.isfinite(x) else 0.0


def project_bias_audit(
    session: Session, actor: Actor, project_id: int, *, by: str = "locale", alpha: float = 0.05
) -> BiasAudit:
    """Preference and rating distributions of a project split by annotator group,
    each with its significance test (managers)."""
    if not 0 < alpha < 1:
        raise InvalidInput("alpha: must lie between 0 and 1", field="alpha")
    project = authorize(session, actor, project_id, Permission.manage)
    ontology = ontology_of(project)
    if not any(controls_of(ontology, k) for k in ("pairwise", "ranking", "rating")):
        raise InvalidInput("a bias audit needs a pairwise, ranking or rating control")
    prefs, rates, who = _observations(
        session, project_id, ontology, _group_of(by, session, project_id)
    )
    n = len(prefs) + len(rates)
    if n == 0:
        raise InvalidInput("no human judgments in this project yet")
    if len(who) < 2:
        only = next(iter(who))
        raise InvalidInput(f"by: every annotator here is in one {by} group ({only!r})", field="by")
    found: list[tuple[str, str, Any]] = []
    skipped: list[dict[str, str]] = []
    for kind, frame in (("preference", prefs), ("rating", rates)):
        for control, part in frame.groupby("control", sort=True):
            try:
                if kind == "preference":
                    res = audit_preferences(part, "group", alpha=alpha)
                else:
                    res = audit_ratings(part, "group", alpha=alpha, method="auto")
            except InvalidInput as exc:
                skipped.append({"control": str(control), "reason": exc.message})
                continue
            found.append((str(control), kind, res))
    adjusted = holm([r.p_value for _, _, r in found]) if found else np.array([])
    audits = []
    for (control, kind, res), p_holm in zip(found, adjusted, strict=True):
        if kind == "preference":
            groups = [
                {
                    "group": str(g),
                    "n": int(row.sum()),
                    "counts": {str(k): int(v) for k, v in row.items()},
                }
                for g, row in res.table.iterrows()
            ]
        else:
            groups = [
                {
                    "group": str(g),
                    "n": int(row["count"]),
                    "mean": float(row["mean"]),
                    "median": float(row["median"]),
                    "std": _finite(row["std"]),
                }
                for g, row in res.table.iterrows()
            ]
        audits.append(
            ControlAudit(
                control,
                kind,
                res.test,
                res.statistic,
                res.p_value,
                float(p_holm),
                res.dof,
                res.effect_size,
                bool(p_holm < alpha),
                groups,
                res.min_expected,
            )  # fmt: skip
        )
    annotators = {g: len(emails) for g, emails in sorted(who.items())}
    return BiasAudit(project_id, by, alpha, n, annotators, audits, skipped)
