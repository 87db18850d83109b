"""The flywheel: retrain, rescore and reprioritise after every N new human labels."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labelwell.store.db import Database
from labelwell.store.tables import Annotation, Project, utcnow
from labelwell.work import audit
from labelwell.work.assist._project import LEASE_SECONDS, _set_state, _state
from labelwell.work.assist.prelabel import store_predictions, unlabeled_pool
from labelwell.work.assist.priorities import set_priorities
from labelwell.work.assist.training import (
    _eces,
    _project_predictor,
    _remember_training,
    fit_calibrated,
    training_set,
)

log = logging.getLogger(__name__)


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
