"""Streaming a project's items with every label and its provenance.

Items are read in keyset-paginated chunks (``id > last``), and each chunk's
labels with one query per kind, so memory stays constant whatever the project
size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Text, cast, exists, select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ExportRecord, LabelRecord, Provenance
from labelwell.store.tables import SOURCES, Annotation, GoldAnswer, Item, Prediction
from labelwell.work.published import published

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


class ExportSelection(BaseModel):
    """The format and filters of an export request or job, read into an
    :class:`ExportFilter` by :meth:`filter`."""

    model_config = ConfigDict(extra="forbid")

    format: str = Field("jsonl", max_length=100, description="A registered exporter.")
    status: Literal["open", "full", "done"] | None = None
    annotator: str | None = Field(None, max_length=320)
    since: datetime | None = None
    until: datetime | None = None
    source: Literal["human", "model", "labeling_function", "consensus", "synthetic"] | None = None
    labels: Literal["raw", "aggregated", "both"] = "both"

    def filter(self) -> ExportFilter:
        return ExportFilter(
            status=self.status,
            annotator=self.annotator,
            since=self.since,
            until=self.until,
            source=self.source,
            labels=self.labels,
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="microseconds") if value else None


# Plain column rows, not ORM objects: exports read millions of them.
def _json(column: Any, raw: bool) -> Any:
    """A JSON column as stored text (``raw``) or decoded."""
    return cast(column, Text).label(column.key) if raw else column


def _wrap(value: Any, raw: bool) -> Any:
    """Stored JSON text passes through orjson untouched as a Fragment."""
    return orjson.Fragment(value) if raw and value is not None else value


def _item_columns(raw: bool) -> tuple[Any, ...]:
    return (Item.id, Item.external_id, _json(Item.data, raw), Item.media, Item.status)


def _annotation_columns(raw: bool) -> tuple[Any, ...]:
    return (
        Annotation.id,
        Annotation.item_id,
        _json(Annotation.result, raw),
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


def _prediction_columns(raw: bool) -> tuple[Any, ...]:
    return (
        Prediction.id,
        Prediction.item_id,
        _json(Prediction.result, raw),
        Prediction.score,
        Prediction.source,
        Prediction.model_name,
        Prediction.model_version,
        Prediction.created_at,
    )


def _annotation_record(a: Any, raw: bool = False) -> LabelRecord:
    return LabelRecord(
        id=a.id,
        result=_wrap(a.result, raw),
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
    session: Session,
    project_id: int,
    flt: ExportFilter | None = None,
    *,
    chunk: int = 2_000,
    raw_json: bool = False,
    only: Sequence[ColumnElement[bool]] = (),
) -> Iterator[ExportRecord]:
    """Yield one ExportRecord per item, in id order. With ``raw_json`` the item data
    and label results stay the stored JSON text (as ``orjson.Fragment``), for
    exporters that write JSON and need not look inside (``Exporter.raw_json``).
    ``only``: further conditions on the items (a selection of the data manager)."""
    flt = flt or ExportFilter()
    flt.check()
    label_conds = _label_conditions(flt)
    last = 0
    while True:
        query = select(*_item_columns(raw_json)).where(
            Item.project_id == project_id, Item.id > last, published(), *only
        )
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
            select(*_annotation_columns(raw_json))
            .where(
                Annotation.item_id.between(ids[0], last),
                Annotation.project_id == project_id,
                *label_conds,  # type: ignore[arg-type]
            )
            .order_by(Annotation.id)
        ):
            by_item[a.item_id].append(a)
        preds: dict[int, list[LabelRecord]] = defaultdict(list)
        for p in session.execute(
            select(*_prediction_columns(raw_json))
            .where(Prediction.item_id.between(ids[0], last), Prediction.project_id == project_id)
            .order_by(Prediction.id)
        ):
            preds[p.item_id].append(
                LabelRecord(
                    id=p.id,
                    result=_wrap(p.result, raw_json),
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
                result=_wrap(g.result, raw_json),
                provenance=Provenance(source="human", agent="gold", created_at=_iso(g.created_at)),
            )
            for g in session.execute(
                select(
                    GoldAnswer.item_id, _json(GoldAnswer.result, raw_json), GoldAnswer.created_at
                ).where(
                    GoldAnswer.item_id.between(ids[0], last),
                    GoldAnswer.project_id == project_id,
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
                data=_wrap(item.data, raw_json),
                media=item.media or [],
                status=item.status,
                annotations=[
                    _annotation_record(a, raw_json) for a in raw if a.source != "consensus"
                ],
                predictions=preds.get(item.id, []),
                gold=golds.get(item.id),
                consensus=_annotation_record(consensus[-1], raw_json) if consensus else None,
            )
        session.expunge_all()


def export_to(
    session: Session,
    project_id: int,
    exporter: Any,
    out: BinaryIO,
    ontology: Any,
    flt: ExportFilter | None = None,
    progress: Callable[[Iterator[Any]], Iterator[Any]] | None = None,
    only: Sequence[ColumnElement[bool]] = (),
) -> int:
    """Write a project's export with ``exporter`` to ``out``; returns the items written.

    An exporter with ``write_documents`` (JSONL) gets whole documents built by the
    database where it can (SQLite's JSON functions, ``work.export_sql``); every
    other case streams ``ExportRecord``s.
    """
    from labelwell.work import export_sql

    wrap = progress or (lambda rows: rows)
    if hasattr(exporter, "write_documents") and export_sql.supported(session) and not only:
        return int(
            exporter.write_documents(
                wrap(export_sql.iter_jsonl_lines(session, project_id, flt)), out
            )
        )
    raw = getattr(exporter, "raw_json", False)
    return int(
        exporter.write(
            wrap(iter_records(session, project_id, flt, raw_json=raw, only=only)), out, ontology
        )
    )
