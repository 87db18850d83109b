"""Streaming a project's items with every label and its provenance.

Items are read in keyset-paginated chunks (``id > last``), and each chunk's
labels with one query per kind, so memory stays constant whatever the project
size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ExportRecord, LabelRecord, Provenance
from labelwell.store.tables import SOURCES, Annotation, GoldAnswer, Item, Prediction

ITEM_STATUSES = ("open", "full", "done")
#: raw: human and machine annotations only; aggregated: the consensus label only.
LABEL_CHOICES = ("raw", "aggregated", "both")


@dataclass(frozen=True, slots=True)
class ExportFilter:
    status: str | None = None
    annotator: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    include_gold_items: bool = True
    labels: str = "both"

    def check(self) -> None:
        if self.labels not in LABEL_CHOICES:
            raise InvalidInput(f"labels: must be one of {', '.join(LABEL_CHOICES)}", field="labels")
        if self.status is not None and self.status not in ITEM_STATUSES:
            raise InvalidInput(f"status: must be one of {', '.join(ITEM_STATUSES)}", field="status")
        if self.source is not None and self.source not in SOURCES:
            raise InvalidInput(f"source: must be one of {', '.join(SOURCES)}", field="source")

    @property
    def on_labels(self) -> bool:
        return any(v is not None for v in (self.annotator, self.since, self.until, self.source))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# Plain column rows, not ORM objects: exports read millions of them.
_ITEM_COLUMNS = (Item.id, Item.external_id, Item.data, Item.media, Item.status)
_ANNOTATION_COLUMNS = (
    Annotation.id,
    Annotation.item_id,
    Annotation.result,
    Annotation.source,
    Annotation.agent,
    Annotation.guideline_version,
    Annotation.assignment_id,
    Annotation.time_spent_ms,
    Annotation.created_at,
    Annotation.details,
    Annotation.revision,
    Annotation.status,
)
_PREDICTION_COLUMNS = (
    Prediction.id,
    Prediction.item_id,
    Prediction.result,
    Prediction.score,
    Prediction.source,
    Prediction.model_name,
    Prediction.model_version,
    Prediction.created_at,
)


def _annotation_record(a: Any) -> LabelRecord:
    return LabelRecord(
        id=a.id,
        result=a.result,
        provenance=Provenance(
            source=a.source,
            agent=a.agent,
            guideline_version=a.guideline_version,
            lease_id=a.assignment_id,
            time_spent_ms=a.time_spent_ms,
            created_at=_iso(a.created_at),
            details=a.details or {},
        ),
        revision=a.revision,
        status=a.status,
    )


def _label_conditions(flt: ExportFilter) -> list[object]:
    conds: list[object] = [Annotation.is_current.is_(True)]
    if flt.annotator is not None:
        conds.append(Annotation.agent == flt.annotator.strip().lower())
    if flt.since is not None:
        conds.append(Annotation.created_at >= flt.since)
    if flt.until is not None:
        conds.append(Annotation.created_at < flt.until)
    if flt.source is not None:
        conds.append(Annotation.source == flt.source)
    return conds


def iter_records(
    session: Session, project_id: int, flt: ExportFilter | None = None, *, chunk: int = 2_000
) -> Iterator[ExportRecord]:
    """Yield one ExportRecord per item, in id order."""
    flt = flt or ExportFilter()
    flt.check()
    label_conds = _label_conditions(flt)
    last = 0
    while True:
        query = select(*_ITEM_COLUMNS).where(Item.project_id == project_id, Item.id > last)
        if flt.status is not None:
            query = query.where(Item.status == flt.status)
        if not flt.include_gold_items:
            query = query.where(Item.is_gold.is_(False))
        if flt.on_labels:
            query = query.where(
                exists().where(Annotation.item_id == Item.id, *label_conds)  # type: ignore[arg-type]
            )
        items = session.execute(query.order_by(Item.id).limit(chunk)).all()
        if not items:
            return
        ids = [i.id for i in items]
        last = ids[-1]
        by_item: dict[int, list[Any]] = defaultdict(list)
        for a in session.execute(
            select(*_ANNOTATION_COLUMNS)
            .where(Annotation.item_id.in_(ids), *label_conds)  # type: ignore[arg-type]
            .order_by(Annotation.id)
        ):
            by_item[a.item_id].append(a)
        preds: dict[int, list[LabelRecord]] = defaultdict(list)
        for p in session.execute(
            select(*_PREDICTION_COLUMNS).where(Prediction.item_id.in_(ids)).order_by(Prediction.id)
        ):
            preds[p.item_id].append(
                LabelRecord(
                    id=p.id,
                    result=p.result,
                    score=p.score,
                    provenance=Provenance(
                        source=p.source,
                        agent=f"{p.model_name}@{p.model_version}".rstrip("@"),
                        created_at=_iso(p.created_at),
                        details={"model_name": p.model_name, "model_version": p.model_version},
                    ),
                )
            )
        golds = {
            g.item_id: LabelRecord(
                id=None,
                result=g.result,
                provenance=Provenance(source="human", agent="gold", created_at=_iso(g.created_at)),
            )
            for g in session.execute(
                select(GoldAnswer.item_id, GoldAnswer.result, GoldAnswer.created_at).where(
                    GoldAnswer.item_id.in_(ids)
                )
            )
        }
        for item in items:
            annotations = by_item.get(item.id, [])
            consensus = [a for a in annotations if a.source == "consensus"]
            if flt.labels == "raw":
                consensus = []
            raw = [] if flt.labels == "aggregated" else annotations
            yield ExportRecord(
                item_id=item.id,
                external_id=item.external_id,
                data=item.data,
                media=item.media or [],
                status=item.status,
                annotations=[_annotation_record(a) for a in raw if a.source != "consensus"],
                predictions=preds.get(item.id, []),
                gold=golds.get(item.id),
                consensus=_annotation_record(consensus[-1]) if consensus else None,
            )
        session.expunge_all()
