"""Training a calibrated predictor on the project's own labels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.quality.sample import (
    SampleWarning,
    bootstrap_instability,
    check_sample,
    unstable_warning,
)
from labelwell.store.tables import Annotation, Item, Project
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.assist._project import choice_task
from labelwell.work.assist.predictors import CalibratedPredictor, make_predictor
from labelwell.work.assist.runtime import record_training
from labelwell.work.policies import Permission, authorize
from labelwell.work.project_settings import settings_of


@dataclass
class TrainReport:
    """A model trained on a project's human labels and calibrated on a held-out share.

    ``ece_before``/``ece_after``: expected calibration error (15 bins) on the
    held-out items before and after temperature scaling (nan without held-out items).
    ``ece_ci_low``/``ece_ci_high``: a 95% bootstrap interval of ``ece_after`` over
    the held-out items, ``ece_unstable`` when
    :func:`labelwell.quality.sample.bootstrap_instability` finds it unstable;
    ``warnings``: held-out items under the calibration minimum, unstable interval.
    """

    predictor: CalibratedPredictor
    n_train: int
    n_heldout: int
    temperature: float
    ece_before: float
    ece_after: float
    confidence: np.ndarray = field(repr=False)
    correct: np.ndarray = field(repr=False)
    ece_ci_low: float = float("nan")
    ece_ci_high: float = float("nan")
    ece_unstable: bool = True
    warnings: list[SampleWarning] = field(default_factory=list)


def training_set(session: Session, project: Project) -> tuple[list[int], list[str], list[str]]:
    """(item ids, texts, labels): the consensus label where an item has one, else the
    majority of the current human annotations on done items (ties left out).
    Model-made labels never train the model."""
    task = choice_task(project)
    rows = session.execute(
        select(Annotation.item_id, Annotation.source, Annotation.result, Item.data)
        .join(Item, Item.id == Annotation.item_id)
        .where(
            Annotation.project_id == project.id,
            Annotation.is_current.is_(True),
            Annotation.status != "rejected",
            Annotation.is_gold_check.is_(False),
            Annotation.source.in_(("human", "consensus")),
            Item.is_gold.is_(False),
            Item.status == "done",
        )
        .order_by(Annotation.item_id, Annotation.id)
    ).all()
    consensus: dict[int, str] = {}
    votes: dict[int, Counter[str]] = {}
    data: dict[int, dict[str, Any]] = {}
    for item_id, source, result, item_data in rows:
        label = (result or {}).get(task.control)
        if not isinstance(label, str):
            continue
        data[item_id] = item_data
        if source == "consensus":
            consensus[item_id] = label
        else:
            votes.setdefault(item_id, Counter())[label] += 1
    ids, texts, labels = [], [], []
    for item_id in sorted(data):
        label = consensus.get(item_id)
        if label is None:
            top = votes[item_id].most_common(2)
            if len(top) > 1 and top[0][1] == top[1][1]:
                continue
            label = top[0][0]
        ids.append(item_id)
        texts.append(task.text(data[item_id]))
        labels.append(label)
    return ids, texts, labels


def fit_calibrated(
    predictor: Any,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    heldout: float = 0.2,
    seed: int | None = 0,
) -> TrainReport:
    """Fit ``predictor`` on a (1 - heldout) share, fit the temperature on the rest."""
    from labelwell.assist.calibration import (
        TemperatureScaling,
        ece_bootstrap,
        expected_calibration_error,
    )

    y = np.asarray(labels, dtype=object)
    if len(set(labels)) < 2:
        raise InvalidInput("training needs human labels of at least two classes", field="labels")
    order = np.random.default_rng(seed).permutation(len(y))
    n_held = int(round(heldout * len(y)))
    held, train = order[:n_held], order[n_held:]
    if len(set(y[train].tolist())) < 2:
        held, train = held[:0], order
    x = list(texts)
    predictor.fit([x[i] for i in train], y[train].tolist())
    classes = np.asarray(predictor.classes_, dtype=object)
    index = {c: i for i, c in enumerate(classes.tolist())}
    held = np.asarray([i for i in held if y[i] in index], dtype=np.int64)
    temperature, ece_before, ece_after = 1.0, float("nan"), float("nan")
    conf = np.empty(0)
    correct = np.empty(0, dtype=bool)
    ece_low, ece_high, reasons = float("nan"), float("nan"), ["degenerate"]
    if held.size:
        probs = predictor.predict_proba([x[i] for i in held])
        truth = np.asarray([index[y[i]] for i in held], dtype=np.int64)
        scaler = TemperatureScaling().fit(probs, truth, from_probs=True)
        calibrated = scaler.predict_proba(probs, from_probs=True)
        temperature = float(scaler.temperature_)
        ece_before = expected_calibration_error(probs, truth)
        ece_after = expected_calibration_error(calibrated, truth)
        conf = calibrated.max(axis=1)
        correct = calibrated.argmax(axis=1) == truth
        ece_low, ece_high, reps = ece_bootstrap(calibrated, truth, seed=seed)
        reasons = bootstrap_instability(
            reps, int(held.size), ece_low, ece_high, value_range=(0.0, 1.0)
        )
    warnings = [
        w
        for w in (
            check_sample("calibration", int(held.size)),
            unstable_warning("calibration", int(held.size), reasons),
        )
        if w is not None
    ]
    return TrainReport(
        CalibratedPredictor(predictor, temperature),
        int(train.size),
        int(held.size),
        temperature,
        ece_before,
        ece_after,
        conf,
        correct,
        ece_low,
        ece_high,
        bool(reasons),
        warnings,
    )


def _project_predictor(project: Project) -> Any:
    settings = settings_of(project)
    return make_predictor(settings.assist_model, **dict(settings.assist_model_options))


def train_from_project(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    predictor: Any = None,
    heldout: float = 0.2,
    seed: int | None = 0,
) -> TrainReport:
    """Train (the project's model, or ``predictor``) on the project's human labels and
    record it with its calibration outcome (for :func:`route`'s target precision)."""
    project = authorize(session, actor, project_id, Permission.manage)
    _, texts, labels = training_set(session, project)
    report = fit_calibrated(
        predictor if predictor is not None else _project_predictor(project),
        texts,
        labels,
        heldout=heldout,
        seed=seed,
    )
    _remember_training(session, project, report, len(texts))
    audit.record(
        session,
        actor,
        "assist.train",
        project_id=project_id,
        details={
            "n_train": report.n_train,
            "n_heldout": report.n_heldout,
            **_eces(report),
            "ece_unstable": report.ece_unstable,
        },
    )
    return report


def _eces(report: TrainReport) -> dict[str, float | None]:
    def num(v: float) -> float | None:
        return None if np.isnan(v) else round(v, 6)

    return {
        "ece_before": num(report.ece_before),
        "ece_after": num(report.ece_after),
        "ece_ci_low": num(report.ece_ci_low),
        "ece_ci_high": num(report.ece_ci_high),
    }


def _remember_training(
    session: Session, project: Project, report: TrainReport, n_labels: int
) -> None:
    record_training(
        session,
        project.id,
        model_version=report.predictor.version,
        temperature=report.temperature,
        n_labels=n_labels,
        confidence=report.confidence.tolist(),
        correct=report.correct.tolist(),
    )
