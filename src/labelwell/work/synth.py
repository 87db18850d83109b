"""Synthetic items in a project: seeds read from its items, generated candidates
stored with their provenance (:class:`~labelwell.store.tables.SyntheticItem`),
and the human verdict (verify, fix, reject) each one needs before a training
export takes it. The generation itself runs outside any transaction (see
:mod:`labelwell.synth.generate`); the guards' report and the training export
live in :mod:`labelwell.work.synth_report`.

Provenance lives in its own table, not in the item's data, so annotators never
see which model wrote an item; the data manager's ``synthetic`` and
``generation`` columns and the training export read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput, NotFound
from labelwell.formats.registry import ImportRow
from labelwell.store.tables import (
    SYNTH_VERDICTS,
    Annotation,
    Import,
    Item,
    SyntheticItem,
    utcnow,
)
from labelwell.synth.generate import Run
from labelwell.synth.records import Candidate, SeedItem
from labelwell.work import audit, items
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of
from labelwell.work.published import published

#: the field of a candidate that is the item's main text, by method
MAIN_FIELD = {
    "self-instruct": "instruction",
    "evol-instruct": "instruction",
    "qa": "question",
    "paraphrase": "text",
}
MAX_SEEDS = 5_000


def text_of(data: dict[str, Any], field: str) -> str:
    """The item's text: ``data[field]``, else its string values joined."""
    value = data.get(field)
    if isinstance(value, str):
        return value
    return "\n".join(v for v in data.values() if isinstance(v, str))


def label_of(result: dict[str, Any] | None, control: str | None) -> str | None:
    value = (result or {}).get(control) if control else None
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value if isinstance(value, str) else None


def current_labels(
    session: Session, project_id: int, item_ids: Sequence[int], control: str | None
) -> dict[int, str]:
    """Each item's label for ``control``: the consensus, else the latest human
    answer, else the synthetic label it was made with."""
    if not control or not item_ids:
        return {}
    rank = {"consensus": 0, "human": 1, "synthetic": 2}
    best: dict[int, tuple[int, int, str]] = {}
    for start in range(0, len(item_ids), 2_000):
        rows = session.execute(
            select(Annotation.item_id, Annotation.source, Annotation.id, Annotation.result).where(
                Annotation.project_id == project_id,
                Annotation.item_id.in_(item_ids[start : start + 2_000]),
                Annotation.is_current.is_(True),
                Annotation.source.in_(tuple(rank)),
            )
        )
        for item_id, source, ann_id, result in rows:
            label = label_of(result, control)
            if label is None:
                continue
            key = (rank[source], -ann_id, label)
            if item_id not in best or key < best[item_id]:
                best[item_id] = key
    return {i: v[2] for i, v in best.items()}


def seeds(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    field: str = "text",
    label_control: str | None = None,
    labeled_only: bool = False,
    include_synthetic: bool = False,
    limit: int = MAX_SEEDS,
) -> list[SeedItem]:
    """The project's items as seeds (``id``: the item id), in id order, with the
    generation of synthetic ones (0 for human data)."""
    project = authorize(session, actor, project_id, Permission.manage)
    if label_control is not None:
        ontology_of(project).control(label_control)  # refuses an unknown control
    if not 1 <= limit <= MAX_SEEDS:
        raise InvalidInput(f"limit must be between 1 and {MAX_SEEDS}", field="limit")
    query = (
        select(Item.id, Item.data, SyntheticItem.generation)
        .outerjoin(SyntheticItem, SyntheticItem.item_id == Item.id)
        .where(Item.project_id == project_id, Item.is_gold.is_(False), published())
    )
    if not include_synthetic:
        query = query.where(SyntheticItem.item_id.is_(None))
    rows = session.execute(query.order_by(Item.id).limit(limit)).all()
    labels = current_labels(session, project_id, [r.id for r in rows], label_control)
    out = []
    for item_id, data, generation in rows:
        text = text_of(data, field)
        label = labels.get(item_id)
        if not text.strip() or (labeled_only and label is None):
            continue
        out.append(SeedItem(str(item_id), text, label, int(generation or 0)))
    return out


@dataclass(frozen=True, slots=True)
class Stored:
    import_id: int
    item_ids: list[int]
    rejected: dict[str, int]


def store_run(
    session: Session,
    actor: Actor,
    project_id: int,
    run: Run,
    *,
    field: str = "text",
    label_control: str | None = None,
) -> Stored:
    """Write the run's kept candidates as items of the project (one import), each
    with its provenance row; a paraphrase's label is stored as a ``synthetic``
    annotation of ``label_control`` (agent: the generator model)."""
    project = authorize(session, actor, project_id, Permission.manage)
    kept = run.kept
    if label_control is not None:
        ontology_of(project).control(label_control)  # refuses an unknown control
    rows = []
    for n, cand in enumerate(kept, 1):
        rows.append(_row(n, cand, field, label_control))
    if not rows:
        return Stored(0, [], run.rejected_by())
    record: Import = items.import_rows(
        session,
        actor,
        project_id,
        rows,
        filename=f"synth:{kept[0].provenance.method}",
        fmt="synthetic",
    )
    ids = list(
        session.scalars(select(Item.id).where(Item.import_id == record.id).order_by(Item.id))
    )
    now = utcnow()
    for item_id, cand in zip(ids, kept, strict=True):
        p = cand.provenance
        session.add(
            SyntheticItem(
                item_id=item_id,
                project_id=project_id,
                method=p.method,
                model=p.model[:200],
                prompt_version=p.prompt_version,
                seed_ids=list(p.seed_ids),
                generation=p.generation,
                flags={},
                created_at=now,
            )
        )
    session.flush()
    audit.record(
        session,
        actor,
        "synth.generate",
        project_id=project_id,
        target_type="import",
        target_id=record.id,
        details={
            "method": kept[0].provenance.method,
            "items": len(ids),
            "rejected": run.rejected_by(),
            "requests": run.requests,
        },
    )
    return Stored(record.id, ids, run.rejected_by())


def _row(n: int, cand: Candidate, field: str, label_control: str | None) -> ImportRow:
    data = {k: v for k, v in cand.fields.items() if k != "label"}
    main = MAIN_FIELD[cand.provenance.method]
    if field != main:
        data[field] = data.pop(main)
    annotations = []
    label = cand.fields.get("label")
    if label_control is not None and label is not None:
        annotations.append(
            {
                "result": {label_control: label},
                "source": "synthetic",
                "annotator": cand.provenance.model,
            }
        )
    return ImportRow(line=n, data=data, annotations=annotations)


def _synthetic(session: Session, project_id: int, item_id: int) -> SyntheticItem:
    row = session.get(SyntheticItem, item_id)
    if row is None or row.project_id != project_id:
        raise NotFound(f"no synthetic item {item_id} in project {project_id}")
    return row


def set_verdict(
    session: Session,
    actor: Actor,
    project_id: int,
    item_id: int,
    verdict: str,
    *,
    fixed: dict[str, Any] | None = None,
) -> SyntheticItem:
    """A person's verdict on a synthetic item: ``verified`` (correct as made),
    ``fixed`` (corrected: ``fixed`` holds the new values of its data fields) or
    ``rejected``. Reviewers and managers give verdicts."""
    project = authorize(session, actor, project_id, Permission.review)
    if verdict not in SYNTH_VERDICTS:
        raise InvalidInput(f"verdict: must be one of {', '.join(SYNTH_VERDICTS)}", field="verdict")
    if (verdict == "fixed") != bool(fixed):
        raise InvalidInput(
            "fixed: give the corrected fields with a 'fixed' verdict, and only then", field="fixed"
        )
    row = _synthetic(session, project_id, item_id)
    item = session.get(Item, item_id)
    assert item is not None
    if fixed:
        data = {**item.data, **fixed}
        ontology_of(project).validate_data(data)
        item.data = data
    row.verdict, row.verdict_by, row.verdict_at = verdict, actor.id, utcnow()
    audit.record(
        session,
        actor,
        f"synth.{verdict}",
        project_id=project_id,
        target_type="item",
        target_id=item_id,
        details={"fixed": sorted(fixed)} if fixed else {},
    )
    session.flush()
    return row


def list_synthetic(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    verdict: str | None = None,
    method: str | None = None,
    generation: int | None = None,
    after: int = 0,
    limit: int = 100,
) -> tuple[list[SyntheticItem], int]:
    """A page of the project's synthetic items with their provenance (managers
    and reviewers: annotators never learn which model wrote an item);
    ``verdict``: ``none`` for those still waiting, or one of the verdicts;
    ``method`` and ``generation`` keep those made so."""
    authorize(session, actor, project_id, Permission.review)
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must be between 1 and 500", field="limit")
    query = select(SyntheticItem).where(SyntheticItem.project_id == project_id)
    if verdict == "none":
        query = query.where(SyntheticItem.verdict.is_(None))
    elif verdict is not None:
        if verdict not in SYNTH_VERDICTS:
            raise InvalidInput(
                f"verdict: must be none or one of {', '.join(SYNTH_VERDICTS)}", field="verdict"
            )
        query = query.where(SyntheticItem.verdict == verdict)
    if method is not None:
        if method not in MAIN_FIELD:
            raise InvalidInput(f"method: must be one of {', '.join(MAIN_FIELD)}", field="method")
        query = query.where(SyntheticItem.method == method)
    if generation is not None:
        query = query.where(SyntheticItem.generation == generation)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        session.scalars(
            query.where(SyntheticItem.item_id > after).order_by(SyntheticItem.item_id).limit(limit)
        )
    )
    return rows, int(total)


def list_with_data(
    session: Session, actor: Actor, project_id: int, **filters: Any
) -> tuple[list[tuple[SyntheticItem, dict[str, Any]]], int]:
    """:func:`list_synthetic` with each item's data beside its provenance (the
    synthetic-data page shows and fixes the text)."""
    rows, total = list_synthetic(session, actor, project_id, **filters)
    found = session.execute(
        select(Item.id, Item.data).where(Item.id.in_([r.item_id for r in rows]))
    )
    data = {item_id: item_data for item_id, item_data in found}
    return [(r, data.get(r.item_id) or {}) for r in rows], total
