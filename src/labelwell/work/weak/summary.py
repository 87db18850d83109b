"""The LF summary: Snorkel's statistics plus empirical and learned accuracies."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.orm import Session

from labelwell.quality.gold import wilson_interval
from labelwell.weak import LFAnalysis
from labelwell.weak.analysis import MIN_ACCURACY_VOTES
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize
from labelwell.work.weak.fit import choose_model, learned_accuracies
from labelwell.work.weak.votes import reference_labels, stored_votes


@dataclass(frozen=True)
class LFSummaryRow:
    name: str
    version: str
    polarity: list[str]
    coverage: float
    overlaps: float
    conflicts: float
    correct: int
    incorrect: int
    empirical_accuracy: float | None
    learned_accuracy: float | None
    accuracy_n: int = 0
    accuracy_low: float = 0.0
    accuracy_high: float = 1.0
    few_votes: bool = True


@dataclass(frozen=True)
class WeakSummary:
    """LF analysis of a project's stored votes. Coverage, overlaps and conflicts are
    over all items; correct, incorrect and empirical accuracy over the items people
    labeled (``n_labeled``; ``None`` where an LF cast no vote on them), each with
    its ``accuracy_n`` votes, 95% Wilson interval (``accuracy_low``,
    ``accuracy_high``) and ``few_votes`` when ``accuracy_n`` is under
    ``min_accuracy_votes``. Learned accuracies come from the label model
    ``label_model`` (chosen as ``label_model_reason`` says; none from majority vote)."""

    project_id: int
    control: str
    n_items: int
    n_labeled: int
    label_sources: dict[str, int]
    coverage: float
    overlap: float
    conflict: float
    lfs: list[LFSummaryRow] = field(default_factory=list)
    min_accuracy_votes: int = MIN_ACCURACY_VOTES
    label_model: str | None = None
    label_model_reason: str | None = None


def lf_summary(
    session: Session, actor: Actor, project_id: int, *, control: str | None = None
) -> WeakSummary:
    """``LFAnalysis`` of the stored votes (Snorkel's definitions: Ratner et al.,
    VLDB 2018), with empirical accuracies against the project's human labels,
    consensus and gold, and the label model's learned accuracies."""
    project = authorize(session, actor, project_id, Permission.manage)
    votes = stored_votes(session, project, control)
    Y, sources = reference_labels(session, project, votes)
    analysis = LFAnalysis(votes.L, votes.lf_names)
    known = Y >= 0
    correct = incorrect = np.zeros(len(votes.lf_names), dtype=np.int64)
    if known.any() and votes.lf_names:
        correct, incorrect = LFAnalysis(votes.L[known]).lf_correct_incorrect(Y[known])
    learned: dict[str, float] = {}
    model_name = model_reason = None
    if votes.lf_names and (votes.L >= 0).any():
        choice = choose_model(votes, Y)
        learned = learned_accuracies(choice, votes.lf_names)
        model_name, model_reason = choice.name, choice.reason
    cast_on_known = correct + incorrect
    low, high = wilson_interval(correct, cast_on_known)
    rows = []
    polarities = analysis.lf_polarities() if votes.lf_names else []
    for j, name in enumerate(votes.lf_names):
        cast = int(correct[j] + incorrect[j])
        rows.append(
            LFSummaryRow(
                name=name,
                version=votes.lf_versions[j],
                polarity=[votes.options[c] for c in polarities[j]],
                coverage=float(analysis.lf_coverages()[j]),
                overlaps=float(analysis.lf_overlaps()[j]),
                conflicts=float(analysis.lf_conflicts()[j]),
                correct=int(correct[j]),
                incorrect=int(incorrect[j]),
                empirical_accuracy=float(correct[j] / cast) if cast else None,
                learned_accuracy=learned.get(name),
                accuracy_n=cast,
                accuracy_low=float(low[j]),
                accuracy_high=float(high[j]),
                few_votes=cast < MIN_ACCURACY_VOTES,
            )
        )
    return WeakSummary(
        project_id=project_id,
        control=votes.control,
        n_items=analysis.n_items,
        n_labeled=int(known.sum()),
        label_sources=sources,
        coverage=analysis.label_coverage(),
        overlap=analysis.label_overlap(),
        conflict=analysis.label_conflict(),
        lfs=rows,
        label_model=model_name,
        label_model_reason=model_reason,
    )
