"""The quality gate of a pipeline: is enough of the project done, and is it good?

A gate asks for a fraction of the project's items done (``min_done``) and, once
that is reached, checks agreement (Krippendorff's alpha over all controls, as
the quality report computes it) and gold accuracy (correct gold answers over
all gold answers, pooled over annotators) against their thresholds. The answer
is ``waiting`` (not enough done yet), ``passed`` or ``failed``, with the
figures and the reasons. A failed check publishes ``quality_gate.failed`` and
one ``annotator.flagged`` per anomaly of the quality report, for the
project's webhooks. Sensors call it again and again: it never waits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from labelwell.work import webhooks
from labelwell.work.actors import Actor
from labelwell.work.quality_report import quality_report
from labelwell.work.stats import project_stats


class GateThresholds(BaseModel):
    """What a gate asks for (a pipeline spec's ``quality_gate`` options)."""

    model_config = ConfigDict(extra="forbid")

    min_done: float = Field(
        1.0, ge=0.0, le=1.0, description="Fraction of (non-gold) items that must be done."
    )
    min_agreement: float | None = Field(
        None, ge=-1.0, le=1.0, description="Least Krippendorff's alpha over all controls."
    )
    min_gold_accuracy: float | None = Field(
        None, ge=0.0, le=1.0, description="Least pooled accuracy on gold items."
    )
    method: str = Field("mv", max_length=40, description="The report's aggregation method.")


@dataclass(frozen=True)
class GateReport:
    state: Literal["waiting", "passed", "failed"]
    done: float
    items: int
    agreement: float | None
    gold_accuracy: float | None
    n_gold_answers: int
    reasons: list[str] = field(default_factory=list)
    flagged: list[dict[str, Any]] = field(default_factory=list)


def check(
    session: Session, actor: Actor, project_id: int, thresholds: GateThresholds
) -> GateReport:
    """Where the project stands against ``thresholds`` now (managers)."""
    stats = project_stats(session, actor, project_id)
    items = stats.items
    done = round(stats.by_status.get("done", 0) / items, 4) if items else 0.0
    if items == 0 or done < thresholds.min_done:
        return GateReport("waiting", done, items, None, None, 0)
    report = quality_report(session, actor, project_id, method=thresholds.method, max_labels=0)
    alpha = report.overall.alpha
    n_gold = sum(g.n_gold for g in report.gold)
    accuracy = round(sum(g.n_correct for g in report.gold) / n_gold, 4) if n_gold else None
    reasons: list[str] = []
    if thresholds.min_agreement is not None:
        if alpha is None:
            reasons.append("agreement is undefined (no item has two answers)")
        elif alpha < thresholds.min_agreement:
            reasons.append(f"agreement {alpha:.3f} < {thresholds.min_agreement}")
    if thresholds.min_gold_accuracy is not None:
        if accuracy is None:
            reasons.append("gold accuracy is undefined (no gold answer yet)")
        elif accuracy < thresholds.min_gold_accuracy:
            reasons.append(f"gold accuracy {accuracy:.3f} < {thresholds.min_gold_accuracy}")
    flagged = [
        {"annotator": f.annotator, "kind": f.kind, "control": f.control, "message": f.message}
        for f in report.anomalies
    ]
    state: Literal["passed", "failed"] = "failed" if reasons else "passed"
    gate = GateReport(state, done, items, alpha, accuracy, n_gold, reasons, flagged)
    if state == "failed":
        summary = {
            "reasons": reasons,
            "done": done,
            "agreement": alpha,
            "gold_accuracy": accuracy,
            "thresholds": thresholds.model_dump(),
        }
        webhooks.publish(session, project_id, "quality_gate.failed", summary)
        for flag in flagged:
            webhooks.publish(session, project_id, "annotator.flagged", flag)
    return gate
