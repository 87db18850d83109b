"""The LF summary: Snorkel's statistics plus empirical and learned accuracies."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.orm import Session

from labelwell.weak import LabelModel, LFAnalysis
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize
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


@dataclass(frozen=True)
class WeakSummary:
    """LF analysis of a project's stored votes. Coverage, overlaps and conflicts are
    over all items; correct, incorrect and empirical accuracy over the items people
    labeled (``n_labeled``; ``None`` where an LF cast no vote on them)."""

    project_id: int
    control: str
    n_items: int
    n_labeled: int
    label_sources: dict[str, int]
    coverage: float
    overlap: float
    conflict: float
    lfs: list[LFSummaryRow] = field(default_factory=list)


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
    learned: list[float | None] = [None] * len(votes.lf_names)
    if votes.lf_names and (votes.L >= 0).any():
        model = LabelModel(cardinality=len(votes.options)).fit(votes.L)
        learned = [float(a) for a in model.accuracies_]
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
                learned_accuracy=learned[j],
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
    )
