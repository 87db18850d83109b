"""Fitting the label model on stored votes and routing its weak labels by confidence."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.store.tables import Item, Prediction, Project, table_of, utcnow
from labelwell.weak import LabelModelChoice, choose_label_model
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.auto_approval import MachineLabel, auto_approve
from labelwell.work.policies import Permission, authorize
from labelwell.work.queue import slots
from labelwell.work.weak._common import LABEL_MODEL, ROUTE_PRIORITY, SOURCE
from labelwell.work.weak.votes import StoredVotes, reference_labels, stored_votes

if TYPE_CHECKING:
    from labelwell.assist.routing import RoutingPolicy


@dataclass(frozen=True)
class FitResult:
    """What ``fit_label_model`` stored: ``n_predictions`` weak labels (items where
    the model does not abstain), the LF accuracies it learned, and with routing
    the number of items per route (``skipped``: gold, or already with people;
    ``leased_meanwhile``: auto-approved but leased before the update, so left).
    ``model`` names the label model used and ``model_reason`` why it was chosen
    (:func:`choose_label_model`: the most accurate on the items people labelled,
    or the default with too few of them)."""

    model_version: str
    n_items: int
    n_predictions: int
    accuracies: dict[str, float]
    class_balance: list[float]
    routes: dict[str, int] | None = None
    model: str = ""
    model_reason: str = ""


def choose_model(votes: StoredVotes, Y: np.ndarray) -> LabelModelChoice:
    """The label model for these votes, chosen on the items people labelled (``Y``,
    -1 = unknown) as the candidates' dev set (:func:`labelwell.weak.choose_label_model`)."""
    return choose_label_model(votes.L, len(votes.options), L_dev=votes.L, y_dev=Y)


def learned_accuracies(choice: LabelModelChoice, lf_names: list[str]) -> dict[str, float]:
    """Each LF's accuracy as the chosen model learned it; none for majority vote,
    which learns nothing, or for an LF that never voted."""
    found = getattr(choice.model, "accuracies_", None)
    if found is None:
        return {}
    return {n: float(a) for n, a in zip(lf_names, found, strict=True) if np.isfinite(a)}


def fit_label_model(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    control: str | None = None,
    route: bool = False,
    policy: RoutingPolicy | None = None,
    seed: int = 0,
) -> FitResult:
    """Fit the label model on the stored votes and store its labels (replacing an
    earlier fit's); with ``route``, route the items by confidence (module docstring)."""
    project = authorize(session, actor, project_id, Permission.manage)
    votes = stored_votes(session, project, control)
    if not votes.lf_names:
        raise InvalidInput("no labeling-function votes stored yet: run `labelwell weak apply`")
    Y, _ = reference_labels(session, project, votes)
    choice = choose_model(votes, Y)
    model = choice.model
    proba = model.predict_proba(votes.L)
    pred = model.predict(votes.L, tie_break="abstain")
    covered = (votes.L >= 0).any(axis=1) & (pred >= 0)
    confidence = np.where(covered, proba.max(axis=1), 0.0)
    digest = hashlib.sha256(
        ",".join(
            f"{n}@{v}" for n, v in zip(votes.lf_names, votes.lf_versions, strict=True)
        ).encode()
    )
    version = digest.hexdigest()[:12]
    session.execute(
        delete(Prediction).where(
            Prediction.project_id == project_id,
            Prediction.source == SOURCE,
            Prediction.model_name == LABEL_MODEL,
        )
    )
    now = utcnow()
    rows = [
        {
            "item_id": int(votes.item_ids[i]),
            "project_id": project_id,
            "source": SOURCE,
            "model_name": LABEL_MODEL,
            "model_version": version,
            "result": {votes.control: votes.options[int(pred[i])]},
            "score": float(confidence[i]),
            "created_at": now,
        }
        for i in np.flatnonzero(covered)
    ]
    for start in range(0, len(rows), 10_000):
        session.execute(insert(table_of(Prediction)), rows[start : start + 10_000])
    routes = None
    if route:
        routes = _route(session, project, votes, pred, confidence, version, policy, seed)
    result = FitResult(
        model_version=version,
        n_items=int(votes.item_ids.shape[0]),
        n_predictions=len(rows),
        accuracies=learned_accuracies(choice, votes.lf_names),
        class_balance=[float(b) for b in getattr(model, "class_balance_", [])],
        routes=routes,
        model=choice.name,
        model_reason=choice.reason,
    )
    audit.record(
        session,
        actor,
        "weak.fit",
        project_id=project_id,
        details={
            "model_version": version,
            "model": choice.name,
            "predictions": len(rows),
            "routes": routes,
        },
    )
    return result


def _route(
    session: Session,
    project: Project,
    votes: StoredVotes,
    pred: np.ndarray,
    confidence: np.ndarray,
    version: str,
    policy: RoutingPolicy | None,
    seed: int,
) -> dict[str, int]:
    """Route the items no person has touched (not gold, open, no lease, no label),
    as :func:`labelwell.work.assist.route` routes pre-labels."""
    from labelwell.assist.routing import RoutingPolicy, route

    policy = policy or RoutingPolicy()
    free = set(
        session.scalars(
            select(Item.id).where(
                Item.project_id == project.id,
                Item.is_gold.is_(False),
                slots.untouched(),
            )
        )
    )
    rows = np.flatnonzero(np.isin(votes.item_ids, np.fromiter(free, np.int64, len(free))))
    decision = route(confidence[rows], policy, seed=seed)
    counts = decision.counts()
    counts["skipped"] = int(votes.item_ids.shape[0] - rows.shape[0])
    kinds = np.where(decision.spot_check, "review", decision.routes)
    for kind, priority in ROUTE_PRIORITY.items():
        ids = votes.item_ids[rows[kinds == kind]].tolist()
        for start in range(0, len(ids), 5_000):
            part = ids[start : start + 5_000]
            session.execute(update(Item).where(Item.id.in_(part)).values(priority=priority))
    row_of = {int(votes.item_ids[r]): int(r) for r in rows[kinds == "auto_approve"]}
    weak_labels = [
        MachineLabel(
            item_id=item_id,
            agent=f"{LABEL_MODEL}@{version}",
            result={votes.control: votes.options[int(pred[row])]},
            score=float(confidence[row]),
            details={"weak_label": True},
        )
        for item_id, row in sorted(row_of.items())
    ]
    taken = auto_approve(
        session,
        project,
        weak_labels,
        source=SOURCE,
        threshold=float(policy.approve_threshold),
    )
    counts["leased_meanwhile"] = len(row_of) - len(taken)
    return counts
