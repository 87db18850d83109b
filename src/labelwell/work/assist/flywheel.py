"""The flywheel: retrain, rescore and reprioritise after every N new human labels."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from labelwell.store.db import Database
from labelwell.store.tables import Annotation, FlywheelState, Project, utcnow
from labelwell.work import audit, project_settings
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

#: seconds after which a retrain lease whose holder never gave it back lapses
LEASE_SECONDS = 1800


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


def claim(db: Database, project_id: int, owner: str, *, force: bool = False) -> int | None:
    """Take the project's retrain lease for ``owner``, if a retrain is due and the
    lease is free; returns the human-label count, or None.

    One guarded ``UPDATE`` of the project's ``flywheel_state`` row takes it: only
    while no lease is live and (unless ``force``) ``retrain_every`` labels came in
    since the last retrain. The database applies the guard to the row as it is
    when the update runs (PostgreSQL re-reads a row another transaction changed
    before updating it; SQLite has one writer at a time), so however many servers
    try at once, one wins. A lease left by a crashed process lapses after
    :data:`LEASE_SECONDS`. The project row is never locked: the queue keeps going.
    """
    with db.session() as s:
        settings = s.scalar(select(Project.settings).where(Project.id == project_id))
        if settings is None:
            return None
        every = project_settings.read(settings).retrain_every
        _ensure_state(s, project_id)
        n = human_label_count(s, project_id)
        now = utcnow()
        guard = [
            FlywheelState.project_id == project_id,
            or_(FlywheelState.lease_expires_at.is_(None), FlywheelState.lease_expires_at <= now),
        ]
        if not force:
            guard.append(FlywheelState.labels_at_retrain <= n - every)
        taken = s.scalar(
            update(FlywheelState)
            .where(*guard)
            .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=LEASE_SECONDS))
            .returning(FlywheelState.project_id)
            .execution_options(synchronize_session=False)
        )
        return n if taken is not None else None


def _ensure_state(session: Session, project_id: int) -> None:
    """The project's ``flywheel_state`` row, made if missing (a concurrent maker wins)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(FlywheelState)
        .values(project_id=project_id, labels_at_retrain=0)
        .on_conflict_do_nothing(index_elements=["project_id"])
    )


def release(db: Database, project_id: int, owner: str, *, labels_at_retrain: int) -> bool:
    """Give the lease back, recording the label count retrained at; only its owner can."""
    with db.session() as s:
        released = s.scalar(
            update(FlywheelState)
            .where(FlywheelState.project_id == project_id, FlywheelState.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None, labels_at_retrain=labels_at_retrain)
            .returning(FlywheelState.project_id)
            .execution_options(synchronize_session=False)
        )
        return released is not None


def maybe_retrain(db: Database, project_id: int, *, force: bool = False) -> RetrainOutcome | None:
    """After every ``retrain_every`` new human labels: retrain the project's model,
    rescore the pool (new suggestions) and re-prioritise the queue.

    A background job with its own short transactions: the lease and the label
    count, then reading (no write lock held), then fitting and scoring outside any
    transaction, then one write of predictions and priorities. Returns ``None``
    when no retrain was due or another one holds the lease.
    """
    owner = uuid.uuid4().hex
    n = claim(db, project_id, owner, force=force)
    if n is None:
        return None
    try:
        with db.read_session() as s:
            project = s.get(Project, project_id)
            assert project is not None
            _, texts, labels = training_set(s, project)
            ids, pool = unlabeled_pool(s, project)
            settings = project_settings.settings_of(project)
            strategy, batch = settings.al_strategy, settings.al_batch
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
            if probs is not None:
                store_predictions(s, project, ids, probs, model)
            chosen = set_priorities(s, project, ids, probs, embeddings, strategy=strategy, n=batch)
            _remember_training(s, project, report, len(texts))
            audit.record(
                s,
                None,
                "assist.retrain",
                project_id=project_id,
                details={"labels": n, "version": model.version, **_eces(report)},
            )
    finally:
        release(db, project_id, owner, labels_at_retrain=n)
    return RetrainOutcome(n, model.version, len(ids), chosen, report.ece_before, report.ece_after)


def retrain_due(session: Session, project_id: int) -> bool:
    """Whether ``retrain_every`` human labels came in since the last retrain."""
    settings = session.scalar(select(Project.settings).where(Project.id == project_id))
    if settings is None:
        return False
    every = project_settings.read(settings).retrain_every
    done_at = session.scalar(
        select(FlywheelState.labels_at_retrain).where(FlywheelState.project_id == project_id)
    )
    return human_label_count(session, project_id) >= (done_at or 0) + every


def after_submit(db: Database, project_id: int) -> None:
    """Run after a submit has committed (after the response): when the project has
    the ``flywheel`` setting on and a retrain is due, queue a ``retrain`` job for
    ``labelwell worker`` (joining the live one if another server queued it).
    Failures are logged, never raised into the annotator's request."""
    from labelwell.work import jobs

    try:
        with db.read_session() as s:
            settings = s.scalar(select(Project.settings).where(Project.id == project_id))
            if not project_settings.read(settings).flywheel or not retrain_due(s, project_id):
                return
        with db.session() as s:
            jobs.enqueue(s, None, "retrain", project_id)
    except Exception:
        log.exception("queueing the flywheel retrain of project %s failed", project_id)
