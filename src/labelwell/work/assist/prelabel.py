"""Pre-labeling: model predictions stored as suggestions, in resumable batches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.store.tables import Item, Prediction, Project, utcnow
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.assist._project import choice_task
from labelwell.work.policies import Permission, authorize


@dataclass(frozen=True)
class PrelabelReport:
    model_name: str
    model_version: str
    n_pool: int
    n_predicted: int


def unlabeled_pool(
    session: Session,
    project: Project,
    *,
    skip_version: tuple[str, str] | None = None,
    only: Sequence[int] | None = None,
) -> tuple[list[int], list[str]]:
    """(ids, texts) of the non-gold items not yet done, in id order, read in pages;
    items already predicted by model ``skip_version`` = (name, version) are left out,
    and with ``only`` every item but those (a data manager selection)."""
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
        if only is not None:
            query = query.where(Item.id.in_(sorted(set(only))))
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
    item_ids: Sequence[int] | None = None,
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
    ids, texts = unlabeled_pool(session, project, skip_version=version, only=item_ids)
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
