"""What machine help records as it runs: trainings with their calibration data,
and the items routing left for spot checks (tables of their own, never settings)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.orm import Session

from labelwell.store.tables import Calibration, SpotCheck

#: ids per statement (well under SQLite's limit on bound parameters)
_CHUNK = 5000


def record_training(
    session: Session,
    project_id: int,
    *,
    model_version: str,
    temperature: float,
    n_labels: int,
    confidence: Iterable[float],
    correct: Iterable[bool],
) -> Calibration:
    """Store a training and its held-out outcomes; earlier trainings of the project
    keep their summary and give up their outcomes (only the newest is read)."""
    session.execute(
        update(Calibration)
        .where(Calibration.project_id == project_id, Calibration.confidence.is_not(None))
        .values(confidence=None, correct=None)
        .execution_options(synchronize_session=False)
    )
    row = Calibration(
        project_id=project_id,
        model_version=model_version,
        temperature=float(temperature),
        n_labels=int(n_labels),
        confidence=[round(float(c), 6) for c in confidence],
        correct=[bool(c) for c in correct],
    )
    session.add(row)
    session.flush()
    return row


def latest_calibration(session: Session, project_id: int) -> Calibration | None:
    """The project's newest training, or None before the first."""
    return session.scalar(
        select(Calibration)
        .where(Calibration.project_id == project_id)
        .order_by(Calibration.id.desc())
        .limit(1)
    )


def add_spot_checks(session: Session, project_id: int, item_ids: Iterable[int]) -> int:
    """Record items left for people as spot checks (each item once); returns how
    many are new."""
    wanted = sorted({int(i) for i in item_ids})
    added = 0
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        known = set(session.scalars(select(SpotCheck.item_id).where(SpotCheck.item_id.in_(chunk))))
        new = [{"item_id": i, "project_id": project_id} for i in chunk if i not in known]
        if new:
            session.execute(insert(SpotCheck), new)
        added += len(new)
    return added


def spot_checked(project_id: int) -> Select[Any]:
    """The ids of the project's spot-checked items, as a subquery to filter by."""
    return select(SpotCheck.item_id).where(SpotCheck.project_id == project_id)
