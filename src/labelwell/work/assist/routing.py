"""Confidence routing: auto-approve, review with the suggestion, or label from scratch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labelwell.errors import Conflict
from labelwell.store.tables import Annotation, Item, Prediction, Project
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.assist._project import choice_task
from labelwell.work.assist.runtime import add_spot_checks, latest_calibration, spot_checked
from labelwell.work.auto_approval import MachineLabel, auto_approve
from labelwell.work.policies import Permission, authorize
from labelwell.work.project_settings import merged
from labelwell.work.queue import slots


@dataclass(frozen=True)
class RoutingReport:
    """Item ids by route; ``threshold`` is the auto-approve threshold applied (``inf``
    when a target precision could not be reached, so nothing was auto-approved)."""

    threshold: float
    auto_approved: list[int]
    spot_checks: list[int]
    review: list[int]
    label: list[int]
    target_precision: float | None = None

    def counts(self) -> dict[str, int]:
        return {
            "auto_approve": len(self.auto_approved),
            "spot_check": len(self.spot_checks),
            "review": len(self.review),
            "label": len(self.label),
        }


def _latest_predictions(session: Session, project_id: int) -> list[Prediction]:
    """The newest model prediction of each open, untouched, non-gold item."""
    newest = (
        select(func.max(Prediction.id))
        .join(Item, Item.id == Prediction.item_id)
        .where(
            Prediction.project_id == project_id,
            Prediction.source == "model",
            Item.is_gold.is_(False),
            slots.untouched(),
        )
        .group_by(Prediction.item_id)
    )
    return list(
        session.scalars(select(Prediction).where(Prediction.id.in_(newest)).order_by(Prediction.id))
    )


def choose_threshold(
    session: Session, project: Project, target_precision: float, level: float | None = 0.95
) -> float:
    """The auto-approve threshold reaching ``target_precision`` on the held-out items
    of the last training: its one-sided Clopper-Pearson bound at ``level`` (the
    observed precision with ``None``), see
    :func:`labelwell.assist.routing.threshold_for_precision`."""
    from labelwell.assist.routing import threshold_for_precision

    calibration = latest_calibration(session, project.id)
    if calibration is None or not calibration.confidence:
        raise Conflict("no calibration data yet: train the project's model first")
    conf = np.asarray(calibration.confidence, dtype=np.float64)
    correct = np.asarray(calibration.correct, dtype=bool)
    return threshold_for_precision(conf, correct, target_precision, level=level).threshold


def route(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    threshold: float = 0.85,
    target_precision: float | None = None,
    review_threshold: float = 0.5,
    spot_check: float = 0.05,
    seed: int | None = None,
    min_checks: int = 50,
    level: float | None = 0.95,
) -> RoutingReport:
    """Route open items by the calibrated score of their newest model prediction.

    At or above the threshold the prediction becomes an accepted annotation with
    ``source="model"`` and the item is done, except a random ``spot_check`` share
    that stays for people; from ``review_threshold`` up people review with the
    suggestion shown; below it they label from scratch (the project's
    ``suggestion_min_score`` hides those suggestions). With ``target_precision``
    the threshold comes from the last training's calibration data, raised when
    ``min_checks`` or more spot checks show auto-approved precision below target.
    """
    from labelwell.assist.routing import Route, RoutingPolicy
    from labelwell.assist.routing import route as route_scores

    project = authorize(session, actor, project_id, Permission.manage)
    if target_precision is not None:
        threshold = tightened(
            session,
            project,
            choose_threshold(session, project, target_precision, level),
            target_precision,
            min_checks=min_checks,
        )
    policy = RoutingPolicy(
        approve_threshold=threshold, review_threshold=review_threshold, spot_check_rate=spot_check
    )
    preds = _latest_predictions(session, project_id)
    scores = np.asarray([p.score if p.score is not None else 0.0 for p in preds])
    decision = route_scores(scores, policy, seed)
    auto = (decision.routes == Route.AUTO_APPROVE.value) & ~decision.spot_check
    approved = [p for p, a in zip(preds, auto, strict=True) if a]
    done = auto_approve(
        session,
        project,
        [
            MachineLabel(
                item_id=p.item_id,
                agent=f"model:{p.model_name}@{p.model_version}",
                result=p.result,
                score=p.score,
                details={"prediction_id": p.id},
            )
            for p in approved
        ],
        source="model",
        threshold=threshold,
    )
    ids = np.asarray([p.item_id for p in preds], dtype=np.int64)
    spot = ids[decision.spot_check].tolist()
    hide_below = {"suggestion_min_score": review_threshold}
    project.settings = merged(project.settings, hide_below).to_column()
    add_spot_checks(session, project_id, spot)
    report = RoutingReport(
        threshold=threshold,
        auto_approved=done,
        spot_checks=spot,
        review=ids[decision.routes == Route.REVIEW.value].tolist(),
        label=ids[decision.routes == Route.LABEL.value].tolist(),
        target_precision=target_precision,
    )
    audit.record(
        session,
        actor,
        "assist.route",
        project_id=project_id,
        details={"threshold": threshold if np.isfinite(threshold) else None, **report.counts()},
    )
    return report


def spot_check_outcomes(session: Session, project: Project) -> tuple[np.ndarray, np.ndarray]:
    """(score, person agreed) for spot-checked items people have labeled since."""
    spot = spot_checked(project.id)
    newest = select(func.max(Prediction.id)).where(
        Prediction.item_id.in_(spot), Prediction.source == "model"
    )
    predicted = {
        p.item_id: p
        for p in session.scalars(
            select(Prediction).where(Prediction.id.in_(newest.group_by(Prediction.item_id)))
        )
    }
    human = session.execute(
        select(Annotation.item_id, Annotation.result).where(
            Annotation.item_id.in_(spot),
            Annotation.source == "human",
            Annotation.is_current.is_(True),
        )
    ).all()
    if not human:
        return np.empty(0), np.empty(0, dtype=bool)
    task = choice_task(project)
    conf, ok = [], []
    for item_id, result in human:
        p = predicted.get(item_id)
        if p is not None:
            conf.append(p.score or 0.0)
            ok.append(result.get(task.control) == p.result.get(task.control))
    return np.asarray(conf, dtype=np.float64), np.asarray(ok, dtype=bool)


def tightened(
    session: Session, project: Project, threshold: float, target: float, *, min_checks: int = 50
) -> float:
    """``threshold``, raised by :class:`labelwell.assist.routing.RoutingMonitor` when
    people's spot checks of auto-approved items show precision below ``target``."""
    from labelwell.assist.routing import RoutingMonitor, RoutingPolicy

    conf, ok = spot_check_outcomes(session, project)
    if not conf.size or not np.isfinite(threshold):
        return threshold
    policy = RoutingPolicy(approve_threshold=min(threshold, float(conf.min())))
    monitor = RoutingMonitor(policy, target=target, min_checks=min_checks)
    if monitor.record(conf, ok):
        return max(threshold, monitor.policy.approve_threshold)
    return threshold
