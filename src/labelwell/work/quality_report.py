"""The quality report of a live project: agreement, gold accuracy, anomalies,
aggregated labels, the review and escalation backlog and guideline signals.

Everything is computed by the library (``labelwell.quality``) on long
``task, worker, label`` frames read from the project's current human annotations
(one query), one frame per categorical control (``choice``). Gold checks count
for gold accuracy only, with the exact-match rule of
:func:`labelwell.work.consensus.gold_matches`; for aggregation they enter as
clamped observations (known true labels) so that worker skills use them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, SupportsInt

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.quality.agreement import (
    agreement_report,
    fleiss_kappa,
    interpret,
    per_label_agreement,
)
from labelwell.quality.anomalies import (
    gold_failure_flags,
    low_agreement_flags,
    pattern_flags,
    speed_flags,
)
from labelwell.quality.auto import choose_method
from labelwell.quality.consensus import guideline_signals
from labelwell.quality.gold import first_answers, flag_for_retraining, gold_accuracy
from labelwell.quality.guards import guarded_fit
from labelwell.quality.registry import AGGREGATORS
from labelwell.quality.sample import SampleWarning, check_sample
from labelwell.store.tables import Annotation, GoldAnswer, Item
from labelwell.work.actors import Actor
from labelwell.work.consensus import CATEGORICAL, gold_matches
from labelwell.work.media_agreement import Answer, MediaAgreement, project_media_agreement
from labelwell.work.policies import Permission, authorize
from labelwell.work.project_settings import settings_of
from labelwell.work.projects import ontology_of

#: Bootstrap rounds of the agreement interval in the report (seeded: same data,
#: same interval).
REPORT_BOOTSTRAP = 200


def _num(value: Any) -> float | None:
    """A finite float, or ``None`` for an undefined statistic (JSON has no NaN)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class LabelAgreement:
    """Fleiss' per-category kappa (Fleiss 1971, eq. 9) of one label."""

    label: str
    kappa: float | None
    prevalence: float | None
    n_ratings: int
    interpretation: str


@dataclass(frozen=True)
class Agreement:
    """Krippendorff's nominal alpha and Fleiss' kappa over items with two or more
    answers, with the Landis-Koch band of alpha."""

    control: str | None
    alpha: float | None
    fleiss_kappa: float | None
    interpretation: str
    n_items: int
    n_annotators: int
    per_label: list[LabelAgreement] = field(default_factory=list)
    n_pairable: int = 0
    alpha_ci_low: float | None = None
    alpha_ci_high: float | None = None
    unstable: bool = False
    warnings: list[SampleWarning] = field(default_factory=list)


@dataclass(frozen=True)
class AnnotatorGold:
    """Gold accuracy with its Wilson (1927) 95% interval."""

    annotator: str
    n_gold: int
    n_correct: int
    accuracy: float
    ci_low: float
    ci_high: float
    needs_retraining: bool
    small_sample: bool = False


@dataclass(frozen=True)
class Flag:
    """An anomaly (speed, pattern, low_agreement, gold_failures) with its evidence."""

    annotator: str
    kind: str
    control: str | None
    evidence: dict[str, Any]
    message: str


@dataclass(frozen=True)
class AggregatedLabel:
    item_id: int
    control: str
    label: str
    confidence: float


@dataclass(frozen=True)
class GuidelineFlag:
    """A label that keeps producing disagreement: its guideline needs work."""

    control: str
    label: str
    n_items: int
    n_disputed: int
    disagreement_rate: float
    confused_with: dict[str, int]
    example_items: list[int]
    message: str


@dataclass(frozen=True)
class AggregationWarning:
    """A degenerate aggregation fit found by :mod:`labelwell.quality.guards`, with
    its evidence and the method whose labels the report shows instead."""

    control: str
    kind: str
    fallback: bool
    method_used: str
    message: str
    evidence: dict[str, Any]
    message_ko: str = ""


@dataclass(frozen=True)
class MethodChoiceNote:
    """What ``method="auto"`` chose for one control, by which criterion, and why."""

    control: str
    method: str
    criterion: str
    reason: str
    n_gold: int


@dataclass(frozen=True)
class QualityReport:
    project_id: int
    method: str
    n_items: int
    n_annotations: int
    overall: Agreement
    controls: list[Agreement]
    gold_threshold: float
    gold: list[AnnotatorGold]
    anomalies: list[Flag]
    labels: list[AggregatedLabel]
    n_labels: int
    awaiting_review: int
    awaiting_escalation: int
    resolved: int
    review_items: list[int]
    escalated_items: list[int]
    guideline: list[GuidelineFlag]
    aggregation_warnings: list[AggregationWarning] = field(default_factory=list)
    sample_warnings: list[SampleWarning] = field(default_factory=list)
    method_choices: list[MethodChoiceNote] = field(default_factory=list)
    media: list[MediaAgreement] = field(default_factory=list)


def agreement_of(frame: pd.DataFrame, control: str | None) -> Agreement:
    """Agreement figures of one ``task, worker, label`` frame, with a seeded
    bootstrap interval of alpha over items and the small-sample warnings."""
    if frame.empty:
        return Agreement(control, None, None, "undefined", 0, 0)
    boot = agreement_report(
        frame,
        "krippendorff",
        n_boot=REPORT_BOOTSTRAP,
        seed=0,
        subject=control if control is not None else "all controls",
        level="nominal",
    )
    alpha = _num(boot.value)
    per_label = [
        LabelAgreement(
            label=str(row["label"]),
            kappa=_num(row["kappa"]),
            prevalence=_num(row["prevalence"]),
            n_ratings=int(row["n_ratings"]),
            interpretation=str(row["interpretation"]),
        )
        for row in per_label_agreement(frame).to_dict("records")
    ]
    return Agreement(
        control=control,
        alpha=alpha,
        fleiss_kappa=_num(fleiss_kappa(frame)),
        interpretation=interpret(alpha if alpha is not None else float("nan")),
        n_items=int(frame["task"].nunique()),
        n_annotators=int(frame["worker"].nunique()),
        per_label=per_label if control is not None else [],
        n_pairable=boot.n_pairable,
        alpha_ci_low=_num(boot.ci_low),
        alpha_ci_high=_num(boot.ci_high),
        unstable=boot.unstable,
        warnings=boot.warnings,
    )


def _flag(flag: Any, control: str | None) -> Flag:
    evidence = {k: (_num(v) if isinstance(v, float) else v) for k, v in flag.evidence.items()}
    return Flag(str(flag.annotator), flag.kind, control, evidence, flag.message)


def _aggregate(
    method: str, frame: pd.DataFrame, truth: pd.Series, control: str
) -> tuple[list[AggregatedLabel], pd.Series, list[AggregationWarning]]:
    """Labels with confidence (the posterior of the chosen label) for non-gold items,
    from a guarded fit (majority vote when the method's fit collapsed)."""
    fitted = guarded_fit(method, frame, truth if len(truth) else None)
    model = fitted.model
    probas, labels = model.probas_, model.labels_
    warnings = [
        AggregationWarning(
            control,
            f.kind,
            f.fallback,
            fitted.method,
            f"{control}: {f.message}",
            f.evidence,
            f"{control}: {f.message_ko}",
        )
        for f in fitted.findings
    ]
    keep = ~labels.index.isin(truth.index)
    confidence = probas.max(axis=1)
    rows = [
        AggregatedLabel(int(task), control, str(label), float(conf))
        for task, label, conf in zip(
            labels.index[keep], labels.to_numpy()[keep], confidence.to_numpy()[keep], strict=True
        )
    ]
    return rows, labels[keep], warnings


def quality_report(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    method: str = "mv",
    max_labels: int = 1000,
    max_items: int = 100,
) -> QualityReport:
    """The project's quality report (managers). ``method`` is a name from
    ``AGGREGATORS``, or ``auto`` to choose one per control
    (:func:`labelwell.quality.auto.choose_method`, with the control's gold); at most
    ``max_labels`` aggregated labels and ``max_items`` item ids per backlog list are
    returned (the counts are always complete)."""
    project = authorize(session, actor, project_id, Permission.manage)
    if method not in AGGREGATORS and method != "auto":
        raise InvalidInput(
            f"method: unknown aggregation method {method!r}; known: "
            f"{', '.join([*AGGREGATORS, 'auto'])}",
            field="method",
        )
    settings = settings_of(project)
    threshold = settings.gold_threshold
    ontology = ontology_of(project)
    categorical = [c.name for c in ontology.controls if c.type in CATEGORICAL]
    rows = session.execute(
        select(
            Annotation.item_id,
            Annotation.agent,
            Annotation.result,
            Annotation.time_spent_ms,
            Annotation.is_gold_check,
            Annotation.is_current,
            Annotation.revision,
            Annotation.id,  # submission order, for runs of gold failures
        )
        .where(
            Annotation.project_id == project_id,
            # current labels, and every gold check's first submitted answer
            or_(
                Annotation.is_current.is_(True),
                and_(Annotation.is_gold_check.is_(True), Annotation.revision == 1),
            ),
            Annotation.source == "human",
            Annotation.assignment_id.is_not(None),
        )
        .order_by(Annotation.id)
    ).all()
    golds = {
        item_id: result
        for item_id, result in session.execute(
            select(GoldAnswer.item_id, GoldAnswer.result).where(GoldAnswer.project_id == project_id)
        )
    }
    work = [r for r in rows if r.is_current and not r.is_gold_check]
    # Gold scores each annotator's first submitted answer: an edit after gold
    # feedback is kept as a revision and never rescored.
    checks = [r for r in rows if r.is_gold_check and r.revision == 1 and r.item_id in golds]

    # Gold accuracy: label 1 = exact match of every gold control, truth 1 everywhere.
    gold_frame = first_answers(
        pd.DataFrame(
            {
                "task": [r.item_id for r in checks],
                "worker": [r.agent for r in checks],
                "label": [
                    int(all(gold_matches(ontology, r.result or {}, golds[r.item_id]).values()))
                    for r in checks
                ],
                "at": [r.id for r in checks],
            }
        ),
        "at",
    )
    truth_all = pd.Series(1, index=pd.Index(sorted(golds), dtype=object), dtype=object)
    gold_rows: list[AnnotatorGold] = []
    flags: list[Flag] = []
    sample_warnings: list[SampleWarning] = []
    if len(gold_frame):
        table = gold_accuracy(gold_frame, truth_all)
        retrain = {f.annotator for f in flag_for_retraining(gold_frame, truth_all, threshold)}
        gold_rows = [
            AnnotatorGold(
                str(worker),
                int(row.n_gold),
                int(row.n_correct),
                float(row.accuracy),
                float(row.ci_low),
                float(row.ci_high),
                worker in retrain,
                check_sample("gold_accuracy", int(row.n_gold)) is not None,
            )
            for worker, row in table.iterrows()
        ]
        sample_warnings += [
            w
            for worker, row in table.iterrows()
            if (w := check_sample("gold_accuracy", int(row.n_gold), worker)) is not None
        ]
        flags += [_flag(f, None) for f in gold_failure_flags(gold_frame, truth_all, order_by="at")]

    timed = [r for r in work if r.time_spent_ms is not None]
    if timed:
        timing = pd.DataFrame(
            {
                "worker": [r.agent for r in timed],
                "duration": [r.time_spent_ms / 1000 for r in timed],
            }
        )
        flags += [_flag(f, None) for f in speed_flags(timing)]

    controls: list[Agreement] = []
    pooled: list[pd.DataFrame] = []
    labels: list[AggregatedLabel] = []
    guideline: list[GuidelineFlag] = []
    aggregation_warnings: list[AggregationWarning] = []
    method_choices: list[MethodChoiceNote] = []
    for name in categorical:
        answered = [r for r in work if (r.result or {}).get(name) is not None]
        frame = pd.DataFrame(
            {
                "task": [r.item_id for r in answered],
                "worker": [r.agent for r in answered],
                "label": [str(r.result[name]) for r in answered],
            }
        )
        controls.append(agreement_of(frame, name))
        if frame.empty:
            continue
        pooled.append(frame.assign(task=name + "\x1f" + frame["task"].astype(str)))
        gold_answers = [r for r in checks if (r.result or {}).get(name) is not None]
        with_gold = pd.concat(
            [
                frame,
                pd.DataFrame(
                    {
                        "task": [r.item_id for r in gold_answers],
                        "worker": [r.agent for r in gold_answers],
                        "label": [str(r.result[name]) for r in gold_answers],
                    }
                ),
            ],
            ignore_index=True,
        )
        truth = pd.Series(
            {i: str(g[name]) for i, g in golds.items() if g.get(name) is not None}, dtype=object
        )
        truth = truth[truth.index.isin(with_gold["task"])]
        used = method
        if method == "auto":
            choice = choose_method(with_gold, truth if len(truth) else None)
            used = choice.method
            method_choices.append(
                MethodChoiceNote(name, used, choice.criterion, choice.reason, choice.n_gold)
            )
        control_labels, consensus, found = _aggregate(used, with_gold, truth, name)
        labels += control_labels
        aggregation_warnings += found
        flags += [_flag(f, name) for f in pattern_flags(frame)]
        flags += [_flag(f, name) for f in low_agreement_flags(frame, consensus)]
        guideline += [
            GuidelineFlag(
                control=name,
                label=str(s.label),
                n_items=s.n_items,
                n_disputed=s.n_disputed,
                disagreement_rate=s.disagreement_rate,
                confused_with={str(k): int(v) for k, v in s.confused_with.items()},
                example_items=[int(t) for t in s.examples if isinstance(t, SupportsInt)],
                message=f"{name}: {s.message}",
            )
            for s in guideline_signals(
                frame,
                settings.guideline_min_rate,
                min_items=settings.guideline_min_items,
            )
        ]
    overall = agreement_of(pd.concat(pooled, ignore_index=True) if pooled else pd.DataFrame(), None)

    states = dict(
        session.execute(
            select(Item.review_state, func.count())
            .where(Item.project_id == project_id, Item.review_state.is_not(None))
            .group_by(Item.review_state)
        ).all()
    )

    def waiting(state: str) -> list[int]:
        return list(
            session.scalars(
                select(Item.id)
                .where(Item.project_id == project_id, Item.review_state == state)
                .order_by(Item.id)
                .limit(max_items)
            )
        )

    return QualityReport(
        project_id=project_id,
        method=method,
        n_items=len({r.item_id for r in work}),
        n_annotations=len(work),
        overall=overall,
        controls=controls,
        gold_threshold=threshold,
        gold=gold_rows,
        anomalies=flags,
        labels=labels[:max_labels],
        n_labels=len(labels),
        awaiting_review=int(states.get("review", 0)),
        awaiting_escalation=int(states.get("escalated", 0)),
        resolved=int(states.get("resolved", 0)),
        review_items=waiting("review"),
        escalated_items=waiting("escalated"),
        guideline=guideline,
        aggregation_warnings=aggregation_warnings,
        sample_warnings=sample_warnings + [w for a in [overall, *controls] for w in a.warnings],
        method_choices=method_choices,
        media=project_media_agreement(
            session, ontology, (Answer(r.item_id, r.agent, r.result or {}) for r in work)
        ),
    )
