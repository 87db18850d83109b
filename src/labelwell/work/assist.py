"""Machine help inside projects: pre-labeling, confidence routing, active-learning
priorities and the flywheel that retrains after new human labels.

The maths lives in :mod:`labelwell.assist` (predictors, temperature scaling,
routing, selection strategies); this module reads a project's items and labels,
runs those functions and writes the outcome back: model predictions (shown as
suggestions), auto-approved annotations (``source="model"``) and ``Item.priority``.

Projects using it have one ``choice`` control; its ``source`` names the text field.
Project ``settings`` read here: ``flywheel`` (bool), ``retrain_every`` (50),
``assist_model`` (``"minilm-logreg"``), ``assist_model_options``,
``al_strategy`` (``"margin"``), ``al_batch`` (1000) and
``suggestion_min_score`` (written by :func:`route`: model suggestions below it
are not shown, so those items are labeled from scratch). ``assist_state`` holds
the flywheel's bookkeeping and lease.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput
from labelwell.store.db import Database
from labelwell.store.tables import Annotation, Item, Prediction, Project, utcnow
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of

log = logging.getLogger(__name__)

DEFAULT_MODEL = "minilm-logreg"
STATE = "assist_state"
LEASE_SECONDS = 1800


# -- the project's classification task ------------------------------------------------


@dataclass(frozen=True)
class ChoiceTask:
    """The single ``choice`` control: its name, the data field it reads, its options."""

    control: str
    source: str
    options: tuple[str, ...]

    def text(self, data: dict[str, Any]) -> str:
        return str(data.get(self.source, ""))


def choice_task(project: Project) -> ChoiceTask:
    controls = [c for c in ontology_of(project).controls if c.type == "choice"]
    if len(controls) != 1:
        raise InvalidInput(
            f"machine help needs exactly one choice control; project {project.name!r} "
            f"has {len(controls)}",
            field="ontology",
        )
    c = controls[0]
    return ChoiceTask(c.name, str(getattr(c, "source", None) or "text"), tuple(c.label_names()))


def _state(project: Project) -> dict[str, Any]:
    return dict((project.settings or {}).get(STATE) or {})


def _set_state(project: Project, **values: Any) -> None:
    # a new dict, so the JSON column sees the change
    project.settings = {**(project.settings or {}), STATE: {**_state(project), **values}}


# -- calibrated predictors ------------------------------------------------------------


class CalibratedPredictor:
    """A fitted predictor whose probabilities pass through temperature scaling
    (Guo et al. 2017, section 4.2: q = softmax(log p / T))."""

    def __init__(self, predictor: Any, temperature: float = 1.0) -> None:
        self.predictor = predictor
        self.temperature = float(temperature)
        self.name = predictor.name

    @property
    def version(self) -> str:
        return f"{self.predictor.version}-T{self.temperature:.3g}"

    @property
    def classes_(self) -> np.ndarray:
        return self.predictor.classes_

    def fit(self, items: Sequence[Any], labels: Sequence[Any]) -> CalibratedPredictor:
        self.predictor.fit(items, labels)
        return self

    def predict_proba(self, items: Sequence[Any]) -> np.ndarray:
        from labelwell.assist.calibration import TemperatureScaling

        probs = self.predictor.predict_proba(items)
        if self.temperature == 1.0 or len(items) == 0:
            return probs
        scaler = TemperatureScaling()
        scaler.temperature_ = self.temperature
        return scaler.predict_proba(probs, from_probs=True)

    def embed(self, items: Sequence[Any]) -> np.ndarray:
        return self.predictor.embed(items)


@lru_cache(maxsize=1)
def _shared_embedder() -> Any:
    """One embedder per process, so the model loads once and vectors stay cached."""
    from labelwell.assist.embeddings import SentenceEmbedder

    return SentenceEmbedder()


def make_predictor(name: str = DEFAULT_MODEL, **options: Any) -> Any:
    """A registered predictor; the built-in one shares this process's embedding cache."""
    from labelwell.assist.predictors import create_predictor

    if name == DEFAULT_MODEL and "embedder" not in options:
        options["embedder"] = _shared_embedder()
    return create_predictor(name, **options)


# -- training on the project's labels -------------------------------------------------


@dataclass
class TrainReport:
    """A model trained on a project's human labels and calibrated on a held-out share.

    ``ece_before``/``ece_after``: expected calibration error (15 bins) on the
    held-out items before and after temperature scaling (nan without held-out items).
    """

    predictor: CalibratedPredictor
    n_train: int
    n_heldout: int
    temperature: float
    ece_before: float
    ece_after: float
    confidence: np.ndarray = field(repr=False)
    correct: np.ndarray = field(repr=False)


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
    from labelwell.assist.calibration import TemperatureScaling, expected_calibration_error

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
    return TrainReport(
        CalibratedPredictor(predictor, temperature),
        int(train.size),
        int(held.size),
        temperature,
        ece_before,
        ece_after,
        conf,
        correct,
    )


def _project_predictor(project: Project) -> Any:
    settings = project.settings or {}
    return make_predictor(
        settings.get("assist_model", DEFAULT_MODEL),
        **dict(settings.get("assist_model_options", {})),
    )


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
    keep the calibration outcome (for :func:`route`'s target precision) in the project."""
    project = authorize(session, actor, project_id, Permission.manage)
    _, texts, labels = training_set(session, project)
    report = fit_calibrated(
        predictor if predictor is not None else _project_predictor(project),
        texts,
        labels,
        heldout=heldout,
        seed=seed,
    )
    _remember_training(project, report, len(texts))
    audit.record(
        session,
        actor,
        "assist.train",
        project_id=project_id,
        details={"n_train": report.n_train, "n_heldout": report.n_heldout, **_eces(report)},
    )
    return report


def _eces(report: TrainReport) -> dict[str, float | None]:
    def num(v: float) -> float | None:
        return None if np.isnan(v) else round(v, 6)

    return {"ece_before": num(report.ece_before), "ece_after": num(report.ece_after)}


def _remember_training(project: Project, report: TrainReport, n_labels: int) -> None:
    _set_state(
        project,
        model_version=report.predictor.version,
        temperature=report.temperature,
        trained_on=n_labels,
        calibration={
            "confidence": [round(float(c), 6) for c in report.confidence],
            "correct": [bool(c) for c in report.correct],
        },
    )


# -- pre-labeling -----------------------------------------------------------------------


@dataclass(frozen=True)
class PrelabelReport:
    model_name: str
    model_version: str
    n_pool: int
    n_predicted: int


def unlabeled_pool(
    session: Session, project: Project, *, skip_version: tuple[str, str] | None = None
) -> tuple[list[int], list[str]]:
    """(ids, texts) of the non-gold items not yet done, in id order, read in pages;
    items already predicted by model ``skip_version`` = (name, version) are left out."""
    task = choice_task(project)
    ids: list[int] = []
    texts: list[str] = []
    after = 0
    while True:
        query = select(Item.id, Item.data).where(
            Item.project_id == project.id,
            Item.is_gold.is_(False),
            Item.status != "done",
            Item.id > after,
        )
        if skip_version is not None:
            done = select(Prediction.item_id).where(
                Prediction.project_id == project.id,
                Prediction.model_name == skip_version[0],
                Prediction.model_version == skip_version[1],
            )
            query = query.where(Item.id.not_in(done))
        page = session.execute(query.order_by(Item.id).limit(5000)).all()
        if not page:
            return ids, texts
        for item_id, data in page:
            ids.append(item_id)
            texts.append(task.text(data))
        after = page[-1][0]


def store_predictions(
    session: Session, project: Project, ids: Sequence[int], probs: np.ndarray, predictor: Any
) -> int:
    """One prediction row per item: the top class as the ``choice`` result, its
    (calibrated) probability as the score."""
    task = choice_task(project)
    classes = [str(c) for c in predictor.classes_]
    unknown = set(classes) - set(task.options)
    if unknown:
        raise InvalidInput(
            f"the model predicts {sorted(unknown)}, which are not options of {task.control!r}",
            field="classes",
        )
    p = np.asarray(probs, dtype=np.float64)
    top = p.argmax(axis=1)
    now = utcnow()
    rows = [
        {
            "item_id": int(i),
            "project_id": project.id,
            "source": "model",
            "model_name": predictor.name,
            "model_version": predictor.version,
            "result": {task.control: classes[t]},
            "score": float(p[k, t]),
            "created_at": now,
        }
        for k, (i, t) in enumerate(zip(ids, top, strict=True))
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(Prediction), rows[start : start + 5000])
    return len(rows)


class _PredictBatch:
    """Picklable batch function for ``map_batches``: ``[(id, text)] -> (ids, probs)``."""

    def __init__(self, predictor: Any, progress: Callable[[int], None] | None) -> None:
        self.predictor = predictor
        self.progress = progress

    def __call__(self, batch: Sequence[tuple[int, str]]) -> tuple[list[int], np.ndarray]:
        ids = [i for i, _ in batch]
        probs = self.predictor.predict_proba([t for _, t in batch])
        if self.progress is not None:
            self.progress(len(ids))
        return ids, np.asarray(probs, dtype=np.float64)


def prelabel(
    session: Session,
    actor: Actor,
    project_id: int,
    predictor: Any,
    *,
    batch_size: int = 256,
    checkpoint: Any = None,
    progress: Callable[[int], None] | None = None,
    show_progress: bool = False,
    executor: str = "inprocess",
    client: Any = None,
) -> PrelabelReport:
    """Predict every unlabeled item not yet predicted by this model version and store
    the predictions, which ``next_task`` then shows as suggestions.

    Batches run through :func:`labelwell.weak.batches.map_batches`; with
    ``checkpoint`` (a folder) finished batches are saved, so a rerun after a crash
    computes only the missing ones. ``progress(n)`` is called after each batch
    (in-process executor).
    """
    from labelwell.weak.batches import map_batches

    project = authorize(session, actor, project_id, Permission.manage)
    version = (predictor.name, predictor.version)
    ids, texts = unlabeled_pool(session, project, skip_version=version)
    if ids:
        results = map_batches(
            _PredictBatch(predictor, progress),
            list(zip(ids, texts, strict=True)),
            batch_size=batch_size,
            executor=executor,
            client=client,
            progress=show_progress,
            desc="pre-labeling",
            checkpoint=checkpoint,
            job=f"prelabel:{project_id}:{version[0]}:{version[1]}:{ids[0]}-{ids[-1]}",
        )
        done = [i for batch_ids, _ in results for i in batch_ids]
        probs = np.vstack([p for _, p in results])
        store_predictions(session, project, done, probs, predictor)
    audit.record(
        session,
        actor,
        "assist.prelabel",
        project_id=project_id,
        details={"model": version[0], "version": version[1], "count": len(ids)},
    )
    return PrelabelReport(version[0], version[1], len(ids), len(ids))


# -- confidence routing -----------------------------------------------------------------


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
            Item.status == "open",
            Item.n_active == 0,
            Item.n_done == 0,
        )
        .group_by(Prediction.item_id)
    )
    return list(
        session.scalars(select(Prediction).where(Prediction.id.in_(newest)).order_by(Prediction.id))
    )


def choose_threshold(
    project: Project, target_precision: float, level: float | None = 0.95
) -> float:
    """The auto-approve threshold reaching ``target_precision`` on the held-out items
    of the last training: its one-sided Clopper-Pearson bound at ``level`` (the
    observed precision with ``None``), see
    :func:`labelwell.assist.routing.threshold_for_precision`."""
    from labelwell.assist.routing import threshold_for_precision

    calibration = _state(project).get("calibration") or {}
    conf = np.asarray(calibration.get("confidence", []), dtype=np.float64)
    if conf.size == 0:
        raise Conflict("no calibration data yet: train the project's model first")
    correct = np.asarray(calibration["correct"], dtype=bool)
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
            choose_threshold(project, target_precision, level),
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
    done = _auto_approve(session, project, approved, threshold)
    ids = np.asarray([p.item_id for p in preds], dtype=np.int64)
    spot = ids[decision.spot_check].tolist()
    settings = {**(project.settings or {}), "suggestion_min_score": review_threshold}
    project.settings = settings
    _set_state(project, spot_checks=sorted(set(_state(project).get("spot_checks", [])) | set(spot)))
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


def _auto_approve(
    session: Session, project: Project, preds: list[Prediction], threshold: float
) -> list[int]:
    """Accept these predictions as the items' labels; an item leased meanwhile is left."""
    done: list[int] = []
    for p in preds:
        taken = session.execute(
            update(Item)
            .where(Item.id == p.item_id, Item.n_active == 0, Item.status == "open")
            .values(n_active=project.overlap, n_done=project.overlap, status="done")
        ).rowcount
        if not taken:
            continue
        session.add(
            Annotation(
                item_id=p.item_id,
                project_id=project.id,
                source="model",
                agent=f"model:{p.model_name}@{p.model_version}",
                result=p.result,
                status="accepted",
                details={
                    "prediction_id": p.id,
                    "score": p.score,
                    "route": "auto_approve",
                    "threshold": threshold,
                },
            )
        )
        done.append(p.item_id)
    session.flush()
    return done


def spot_check_outcomes(session: Session, project: Project) -> tuple[np.ndarray, np.ndarray]:
    """(score, person agreed) for spot-checked items people have labeled since."""
    spot = _state(project).get("spot_checks") or []
    if not spot:
        return np.empty(0), np.empty(0, dtype=bool)
    task = choice_task(project)
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


# -- active-learning priorities ---------------------------------------------------------


@dataclass(frozen=True)
class PriorityReport:
    strategy: str
    n_pool: int
    chosen: list[int]


def set_priorities(
    session: Session,
    project: Project,
    ids: Sequence[int],
    probs: np.ndarray | None,
    embeddings: np.ndarray | None,
    *,
    strategy: str,
    n: int | None,
    seed: int | None = None,
) -> list[int]:
    """Rank the pool with ``strategy``: the chosen n items get priorities n, n-1, ...,
    1 (served first, in that order), every other open item 0."""
    from labelwell.assist.select import select as choose

    n = len(ids) if n is None else min(n, len(ids))
    picked = (
        choose(strategy, n, probs=probs, embeddings=embeddings, seed=seed).tolist() if n else []
    )
    chosen = [int(ids[i]) for i in picked]
    session.execute(
        update(Item)
        .where(Item.project_id == project.id, Item.status != "done", Item.priority != 0)
        .values(priority=0.0)
    )
    if chosen:
        session.execute(
            update(Item), [{"id": i, "priority": float(n - r)} for r, i in enumerate(chosen)]
        )
    if project.ordering != "priority":
        project.ordering = "priority"
    return chosen


def _pool_inputs(
    predictor: Any, texts: list[str], strategy: str
) -> tuple[np.ndarray | None, np.ndarray | None]:
    from labelwell.assist.select import STRATEGIES

    spec = STRATEGIES.get(strategy)
    if spec is None:
        raise InvalidInput(
            f"unknown selection strategy {strategy!r}; choose one of {sorted(STRATEGIES)}",
            field="strategy",
        )
    probs = predictor.predict_proba(texts) if spec.needs_probs else None
    embeddings = None
    if spec.needs_embeddings:
        if not hasattr(predictor, "embed"):
            raise InvalidInput(f"strategy {strategy!r} needs a model that embeds items")
        embeddings = predictor.embed(texts)
    return probs, embeddings


def reprioritise(
    session: Session,
    actor: Actor,
    project_id: int,
    predictor: Any,
    *,
    strategy: str = "margin",
    n: int | None = None,
    seed: int | None = None,
) -> PriorityReport:
    """Score the unlabeled pool with ``predictor`` and a strategy from
    :mod:`labelwell.assist.select` and order the queue by it (``ordering="priority"``)."""
    project = authorize(session, actor, project_id, Permission.manage)
    ids, texts = unlabeled_pool(session, project)
    probs, embeddings = _pool_inputs(predictor, texts, strategy) if ids else (None, None)
    chosen = set_priorities(
        session, project, ids, probs, embeddings, strategy=strategy, n=n, seed=seed
    )
    audit.record(
        session,
        actor,
        "assist.prioritise",
        project_id=project_id,
        details={"strategy": strategy, "pool": len(ids), "chosen": len(chosen)},
    )
    return PriorityReport(strategy, len(ids), chosen)


# -- the flywheel -------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrainOutcome:
    labels: int
    model_version: str
    n_scored: int
    chosen: list[int]
    ece_before: float
    ece_after: float


def human_label_count(session: Session, project_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Annotation.id)).where(
                Annotation.project_id == project_id,
                Annotation.source == "human",
                Annotation.is_current.is_(True),
                Annotation.is_gold_check.is_(False),
            )
        )
        or 0
    )


def _claim(db: Database, project_id: int, owner: str, *, force: bool) -> int | None:
    """Take the project's retrain lease in one short transaction, if due and free.

    The lease lives in the project row, read and written under that row's lock
    (``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so at
    most one retrain per project runs across all server processes; a lease left by
    a crashed process lapses after ``LEASE_SECONDS``. Returns the label count.
    """
    with db.session() as s:
        project = s.scalar(select(Project).where(Project.id == project_id).with_for_update())
        if project is None:
            return None
        state = _state(project)
        n = human_label_count(s, project_id)
        every = int((project.settings or {}).get("retrain_every", 50))
        if not force and n - int(state.get("labels_at_retrain", 0)) < every:
            return None
        lease = state.get("lease") or {}
        now = utcnow()
        if lease and lease.get("until", "") > now.isoformat():
            return None
        until = (now + timedelta(seconds=LEASE_SECONDS)).isoformat()
        _set_state(project, lease={"owner": owner, "until": until})
        return n


def _release(db: Database, project_id: int, owner: str, **values: Any) -> None:
    with db.session() as s:
        project = s.scalar(select(Project).where(Project.id == project_id).with_for_update())
        if project is not None and (_state(project).get("lease") or {}).get("owner") == owner:
            _set_state(project, lease=None, **values)


def maybe_retrain(db: Database, project_id: int, *, force: bool = False) -> RetrainOutcome | None:
    """After every ``retrain_every`` new human labels: retrain the project's model,
    rescore the pool (new suggestions) and re-prioritise the queue.

    A background job with its own short transactions: the lease and the label
    count, then reading (no write lock held), then fitting and scoring outside any
    transaction, then one write of predictions and priorities. Returns ``None``
    when no retrain was due or another one holds the lease.
    """
    owner = uuid.uuid4().hex
    n = _claim(db, project_id, owner, force=force)
    if n is None:
        return None
    try:
        with db.read_session() as s:
            project = s.get(Project, project_id)
            assert project is not None
            _, texts, labels = training_set(s, project)
            ids, pool = unlabeled_pool(s, project)
            strategy = (project.settings or {}).get("al_strategy", "margin")
            batch = (project.settings or {}).get("al_batch", 1000)
            predictor = _project_predictor(project)
        if len(set(labels)) < 2:
            return None  # nothing to learn from yet
        report = fit_calibrated(predictor, texts, labels)
        model = report.predictor
        probs = model.predict_proba(pool) if ids else None
        embeddings = None
        if ids and strategy in ("kmeans", "kcenter", "badge"):
            embeddings = model.embed(pool)
        with db.session() as s:
            project = s.get(Project, project_id)
            assert project is not None
            if ids:
                store_predictions(s, project, ids, probs, model)
            chosen = set_priorities(s, project, ids, probs, embeddings, strategy=strategy, n=batch)
            _remember_training(project, report, len(texts))
            audit.record(
                s,
                None,
                "assist.retrain",
                project_id=project_id,
                details={"labels": n, "version": model.version, **_eces(report)},
            )
    finally:
        _release(db, project_id, owner, labels_at_retrain=n)
    return RetrainOutcome(n, model.version, len(ids), chosen, report.ece_before, report.ece_after)


def after_submit(db: Database, project_id: int) -> None:
    """Run after a submit has committed (a background task): retrain when the project
    has ``settings["flywheel"]`` on and enough new labels came in. Failures are
    logged, never raised into the annotator's request."""
    with db.read_session() as s:
        settings = s.scalar(select(Project.settings).where(Project.id == project_id)) or {}
    if not settings.get("flywheel"):
        return
    try:
        maybe_retrain(db, project_id)
    except Exception:
        log.exception("flywheel retrain of project %s failed", project_id)
