"""Applying labeling functions to a project's items and storing their votes as predictions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput, NotFound
from labelwell.store.db import Database
from labelwell.store.tables import Item, Prediction, table_of, utcnow
from labelwell.weak import LabelingFunction, LFApplier
from labelwell.weak.apply import LabelMatrix
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of
from labelwell.work.weak._common import SOURCE
from labelwell.work.weak.functions import choice_control


def read_items(
    session: Session, actor: Actor, project_id: int, *, after: int = 0, limit: int = 5_000
) -> tuple[list[int], list[dict[str, Any]]]:
    """The next ``limit`` items after id ``after``: their ids and data, in id order."""
    authorize(session, actor, project_id, Permission.manage)
    rows = session.execute(
        select(Item.id, Item.data)
        .where(Item.project_id == project_id, Item.id > after)
        .order_by(Item.id)
        .limit(limit)
    ).all()
    return [r.id for r in rows], [r.data for r in rows]


def vote_predictions(
    item_ids: Sequence[int], matrix: LabelMatrix, control: str, options: Sequence[str]
) -> list[dict[str, Any]]:
    """The non-abstain votes of ``matrix`` (rows = ``item_ids``) as prediction records
    (``labels.add_predictions`` or ``Client.add_predictions``): class ``c`` of LF ``j``
    becomes ``{control: options[c]}`` with the LF's name and version."""
    L = np.asarray(matrix.L)
    if L.shape != (len(item_ids), len(matrix.lf_names)):
        raise InvalidInput(f"votes of shape {L.shape} for {len(item_ids)} items")
    if L.size and int(L.max()) >= len(options):
        j = int(np.argmax(L.max(axis=0)))
        raise InvalidInput(
            f"labeling function {matrix.lf_names[j]!r} voted {int(L[:, j].max())}; "
            f"{control!r} has classes 0..{len(options) - 1} ({', '.join(options)})"
        )
    results = [{control: o} for o in options]
    out: list[dict[str, Any]] = []
    for j, (lf, version) in enumerate(zip(matrix.lf_names, matrix.lf_versions, strict=True)):
        out += [
            {
                "item_id": int(item_ids[i]),
                "source": SOURCE,
                "model_name": lf,
                "model_version": version,
                "result": results[int(L[i, j])],
            }
            for i in np.flatnonzero(L[:, j] >= 0).tolist()
        ]
    return out


def store_votes(
    session: Session,
    actor: Actor,
    project_id: int,
    item_ids: Sequence[int],
    matrix: LabelMatrix,
    *,
    control: str | None = None,
) -> int:
    """Store the non-abstain votes of ``matrix`` (rows = ``item_ids``), replacing the
    same LFs' earlier votes on these items. Returns the number of votes stored."""
    project = authorize(session, actor, project_id, Permission.manage)
    name, options = choice_control(ontology_of(project), control)
    rows = vote_predictions(item_ids, matrix, name, options)
    wanted = {int(i) for i in item_ids}
    if not wanted:
        return 0
    # A chunk read by ``read_items`` is every project item of an id range: then
    # the range says which votes to replace, without a long IN list.
    low, high = min(wanted), max(wanted)
    found = set(
        session.scalars(
            select(Item.id).where(Item.project_id == project_id, Item.id.between(low, high))
        )
    )
    if not wanted <= found:
        raise NotFound(f"items {sorted(wanted - found)[:5]} are not in project {project_id}")
    session.execute(
        delete(Prediction).where(
            Prediction.project_id == project_id,
            Prediction.source == SOURCE,
            Prediction.model_name.in_(matrix.lf_names),
            Prediction.item_id.between(low, high),
            *(() if found == wanted else (Prediction.item_id.in_(sorted(wanted)),)),
        )
    )
    now = utcnow()
    for row in rows:
        row.update(project_id=project_id, score=None, created_at=now)
    if rows:
        session.execute(insert(table_of(Prediction)), rows)
    return len(rows)


@dataclass(frozen=True)
class ApplyResult:
    n_items: int
    n_votes: int
    lf_names: list[str]
    lf_versions: list[str]


def apply_lfs(
    db: Database,
    actor: Actor,
    project_id: int,
    lfs: Sequence[LabelingFunction],
    *,
    control: str | None = None,
    client: Any = None,
    chunk: int = 5_000,
    progress: bool = False,
) -> ApplyResult:
    """Apply ``lfs`` to every item of the project, ``chunk`` items at a time (on the
    Dask ``client`` when given), committing each chunk's votes in its own short
    transaction, so a long LF run never holds the database's write lock."""
    applier = LFApplier(lfs)
    executor = "dask" if client is not None else "inprocess"
    batch_size = max(1, chunk // 8) if client is not None else chunk
    after, n_items, n_votes = 0, 0, 0
    while True:
        with db.read_session() as s:
            ids, data = read_items(s, actor, project_id, after=after, limit=chunk)
        if not ids:
            break
        matrix = applier.apply(
            data, executor=executor, client=client, batch_size=batch_size, progress=progress
        )
        with db.session() as s:
            n_votes += store_votes(s, actor, project_id, ids, matrix, control=control)
        after, n_items = ids[-1], n_items + len(ids)
    with db.session() as s:
        audit.record(
            s,
            actor,
            "weak.apply",
            project_id=project_id,
            details={"lfs": {lf.name: lf.version for lf in lfs}, "votes": n_votes},
        )
    return ApplyResult(n_items, n_votes, [lf.name for lf in lfs], [lf.version for lf in lfs])
