"""JSON Lines: the native item format (import) and the full-provenance export."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from labelwell.errors import InvalidInput
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    LabelRecord,
    register_exporter,
    register_importer,
)

#: a run of 20+ digits: a number orjson would read past 64 bits as a float, silently
_LONG_NUMBER = re.compile(rb"\d{20}")


def loads(raw: bytes) -> Any:
    """JSON text decoded; integers too long for 64 bits stay exact integers (the
    standard library's decoder reads them), so the import check can refuse them
    instead of storing a rounded float."""
    obj = orjson.loads(raw)
    if _LONG_NUMBER.search(raw):
        obj = json.loads(raw)
    return obj


ROW_KEYS = frozenset({"data", "external_id", "media", "predictions", "annotations", "gold"})


def row_from_object(obj: Any, line: int, where: str) -> ImportRow:
    """Turn one decoded record into an ImportRow. A record with a ``data`` key
    uses the structured form; any other object is the item's data itself."""
    if not isinstance(obj, dict):
        raise InvalidInput(f"{where}: expected a JSON object, got {type(obj).__name__}", line=line)
    if "data" not in obj:
        return ImportRow(line=line, data=obj)
    unknown = set(obj) - ROW_KEYS
    if unknown:
        raise InvalidInput(
            f"{where}: unknown field {sorted(unknown)[0]!r}", line=line, field=sorted(unknown)[0]
        )
    data = obj["data"]
    if not isinstance(data, dict):
        raise InvalidInput(f"{where}: field 'data' must be an object", line=line, field="data")
    external_id = obj.get("external_id")
    if external_id is not None and not isinstance(external_id, str | int):
        raise InvalidInput(
            f"{where}: field 'external_id' must be a string", line=line, field="external_id"
        )
    media = obj.get("media") or []
    if not isinstance(media, list) or not all(isinstance(m, str) for m in media):
        raise InvalidInput(
            f"{where}: field 'media' must be a list of strings", line=line, field="media"
        )
    for key in ("predictions", "annotations"):
        value = obj.get(key) or []
        if not isinstance(value, list) or not all(
            isinstance(v, dict) and isinstance(v.get("result"), dict) for v in value
        ):
            raise InvalidInput(
                f"{where}: field {key!r} must be a list of objects with a 'result' object",
                line=line,
                field=key,
            )
    gold = obj.get("gold")
    if gold is not None and not isinstance(gold, dict):
        raise InvalidInput(f"{where}: field 'gold' must be an object", line=line, field="gold")
    return ImportRow(
        line=line,
        data=data,
        external_id=None if external_id is None else str(external_id),
        media=media,
        predictions=obj.get("predictions") or [],
        annotations=obj.get("annotations") or [],
        gold=gold,
    )


class JsonlImporter:
    name = "jsonl"

    def read(self, path: Path) -> Iterator[ImportRow]:
        with open(path, "rb") as fh:
            for line_no, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    obj = loads(raw)
                except orjson.JSONDecodeError as exc:
                    raise InvalidInput(
                        f"{path.name} line {line_no}: not valid JSON ({exc})", line=line_no
                    ) from None
                yield row_from_object(obj, line_no, f"{path.name} line {line_no}")


class JsonImporter:
    """A single JSON array of records (as many tools export)."""

    name = "json"

    def read(self, path: Path) -> Iterator[ImportRow]:
        try:
            records = loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"{path.name}: not valid JSON ({exc})") from None
        if not isinstance(records, list):
            raise InvalidInput(f"{path.name}: expected a JSON array of records")
        for index, obj in enumerate(records):
            yield row_from_object(obj, index + 1, f"{path.name} record {index + 1}")


def _label(label: LabelRecord | None) -> dict[str, Any] | None:
    if label is None:
        return None
    p = label.provenance
    return {
        "id": label.id,
        "result": label.result,
        "score": label.score,
        "revision": label.revision,
        "status": label.status,
        "provenance": {
            "source": p.source,
            "agent": p.agent,
            "guideline_version": p.guideline_version,
            "lease_id": p.lease_id,
            "time_spent_ms": p.time_spent_ms,
            "created_at": p.created_at,
            **({"details": p.details} if p.details else {}),
        },
    }


def record_to_dict(record: ExportRecord) -> dict[str, Any]:
    """The JSONL shape of one item: its data and every label with provenance."""
    return {
        "item_id": record.item_id,
        "external_id": record.external_id,
        "data": record.data,
        "media": record.media,
        "status": record.status,
        "annotations": [_label(a) for a in record.annotations],
        "predictions": [_label(p) for p in record.predictions],
        "gold": _label(record.gold),
        "consensus": _label(record.consensus),
    }


class JsonlExporter:
    name = "jsonl"
    extension = ".jsonl"
    media_type = "application/x-ndjson"
    #: Item data and results pass through as stored JSON text, never decoded.
    raw_json = True

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        n = 0
        for record in records:
            out.write(orjson.dumps(record_to_dict(record), option=orjson.OPT_APPEND_NEWLINE))
            n += 1
        return n

    def write_documents(self, documents: Iterable[bytes], out: BinaryIO) -> int:
        """Write documents already serialised (one JSON object each)."""
        n = 0
        for document in documents:
            out.write(document)
            out.write(b"\n")
            n += 1
        return n


register_importer("jsonl")(JsonlImporter)
register_importer("json")(JsonImporter)
register_exporter("jsonl")(JsonlExporter)
