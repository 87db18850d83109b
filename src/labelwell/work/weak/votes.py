"""The stored votes as an L matrix, and the reference labels people gave."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.store.tables import Annotation, GoldAnswer, Item, Prediction, Project
from labelwell.work.projects import ontology_of
from labelwell.work.weak._common import LABEL_MODEL, SOURCE
from labelwell.work.weak.functions import choice_control


@dataclass(frozen=True)
class StoredVotes:
    """The label matrix of a project's stored LF votes: rows = ``item_ids`` (every
    item, id order), columns = ``lf_names`` (at their latest ``lf_versions``)."""

    item_ids: np.ndarray
    L: np.ndarray
    lf_names: list[str]
    lf_versions: list[str]
    control: str
    options: list[str]


def _class_of(result: Any, control: str, index: dict[str, int]) -> int:
    value = result.get(control) if isinstance(result, dict) else None
    return index.get(value, -1) if isinstance(value, str) else -1


def stored_votes(session: Session, project: Project, control: str | None = None) -> StoredVotes:
    """Build ``L`` from the predictions ``source="labeling_function"`` (label model excepted)."""
    name, options = choice_control(ontology_of(project), control)
    index = {o: c for c, o in enumerate(options)}
    item_ids = np.fromiter(
        session.scalars(select(Item.id).where(Item.project_id == project.id).order_by(Item.id)),
        dtype=np.int64,
    )
    query = (
        select(
            Prediction.item_id, Prediction.model_name, Prediction.model_version, Prediction.result
        )
        .where(
            Prediction.project_id == project.id,
            Prediction.source == SOURCE,
            Prediction.model_name != LABEL_MODEL,
        )
        .order_by(Prediction.id)
        .execution_options(yield_per=20_000)
    )
    columns: dict[str, int] = {}
    versions: dict[str, str] = {}
    rows: list[int] = []
    cols: list[int] = []
    votes: list[int] = []
    for p in session.execute(query):
        j = columns.setdefault(p.model_name, len(columns))
        versions[p.model_name] = p.model_version
        rows.append(p.item_id)
        cols.append(j)
        votes.append(_class_of(p.result, name, index))
    L = np.full(
        (item_ids.shape[0], len(columns)), -1, dtype=np.int8 if len(options) < 127 else np.int32
    )
    if rows:
        r = np.searchsorted(item_ids, np.asarray(rows, dtype=np.int64))
        c = np.asarray(cols, dtype=np.int64)
        # one vote per (item, LF): the latest prediction, should an earlier one remain
        _, last = np.unique((r * len(columns) + c)[::-1], return_index=True)
        keep = len(rows) - 1 - last
        L[r[keep], c[keep]] = np.asarray(votes)[keep]
    return StoredVotes(item_ids, L, list(columns), [versions[n] for n in columns], name, options)


def reference_labels(
    session: Session, project: Project, votes: StoredVotes
) -> tuple[np.ndarray, dict[str, int]]:
    """Per item the best label people gave: gold, else the current consensus, else
    the most common current human label (a tie gives -1 = unknown). Also the
    number of items labeled from each source."""
    index = {o: c for c, o in enumerate(votes.options)}
    pos = {int(i): r for r, i in enumerate(votes.item_ids)}
    Y = np.full(votes.item_ids.shape[0], -1, dtype=np.int64)
    source = np.full(votes.item_ids.shape[0], "", dtype=object)
    humans: dict[int, Counter[int]] = {}
    for a in session.execute(
        select(Annotation.item_id, Annotation.source, Annotation.result)
        .where(
            Annotation.project_id == project.id,
            Annotation.is_current.is_(True),
            Annotation.source.in_(("human", "consensus")),
            Annotation.status != "rejected",
        )
        .order_by(Annotation.id)
        .execution_options(yield_per=20_000)
    ):
        c = _class_of(a.result, votes.control, index)
        r = pos.get(a.item_id)
        if c < 0 or r is None:
            continue
        if a.source == "consensus":
            Y[r], source[r] = c, "consensus"
        else:
            humans.setdefault(r, Counter())[c] += 1
    for g in session.execute(
        select(GoldAnswer.item_id, GoldAnswer.result).where(GoldAnswer.project_id == project.id)
    ):
        c = _class_of(g.result, votes.control, index)
        r = pos.get(g.item_id)
        if c >= 0 and r is not None:
            Y[r], source[r] = c, "gold"
    for r, counts in humans.items():
        if source[r]:
            continue
        top = counts.most_common(2)
        if len(top) == 1 or top[0][1] > top[1][1]:
            Y[r], source[r] = top[0][0], "human"
    found = Counter(s for s in source.tolist() if s)
    return Y, {k: found.get(k, 0) for k in ("gold", "consensus", "human")}
