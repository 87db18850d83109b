"""Active-learning priorities: the queue serves the most useful items first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import update
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.store.tables import Item, Project
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.assist.prelabel import unlabeled_pool
from labelwell.work.policies import Permission, authorize


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
