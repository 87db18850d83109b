"""CSV and Parquet: items in (one column per data field) and labels out (one row
per label, with provenance columns)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from labelwell.errors import InvalidInput
from labelwell.formats.jsonl import row_from_object
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    LabelRecord,
    register_exporter,
    register_importer,
)

#: Columns that are not data fields; JSON-valued ones are decoded.
SPECIAL = {"external_id", "media", "predictions", "annotations", "gold"}
JSON_COLUMNS = {"predictions", "annotations", "gold", "media"}


def _structured(values: dict[str, Any], line: int, where: str) -> ImportRow:
    data = {k: v for k, v in values.items() if k not in SPECIAL}
    record: dict[str, Any] = {"data": data}
    for key in SPECIAL & values.keys():
        value = values[key]
        if value is None or value == "":
            continue
        if key in JSON_COLUMNS and isinstance(value, str):
            if key == "media" and not value.lstrip().startswith("["):
                value = [m for m in value.split("|") if m]
            else:
                try:
                    value = orjson.loads(value)
                except orjson.JSONDecodeError:
                    raise InvalidInput(
                        f"{where}: column {key!r} is not valid JSON", line=line, field=key
                    ) from None
        record[key] = value
    return row_from_object(record, line, where)


class CsvImporter:
    name = "csv"

    def read(self, path: Path) -> Iterator[ImportRow]:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            try:
                header = next(reader)
            except StopIteration:
                return
            if len(set(header)) != len(header) or any(not h.strip() for h in header):
                raise InvalidInput(
                    f"{path.name} line 1: header has empty or repeated columns", line=1
                )
            for row in reader:
                line = reader.line_num
                if not row:
                    continue
                if len(row) != len(header):
                    raise InvalidInput(
                        f"{path.name} line {line}: {len(row)} fields, the header has {len(header)}",
                        line=line,
                    )
                yield _structured(
                    dict(zip(header, row, strict=True)), line, f"{path.name} line {line}"
                )


class ParquetImporter:
    name = "parquet"

    def read(self, path: Path) -> Iterator[ImportRow]:
        import pyarrow.parquet as pq

        try:
            handle = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise InvalidInput(f"{path.name}: not a readable Parquet file ({exc})") from None
        row_no = 0
        for batch in handle.iter_batches(batch_size=10_000):
            for values in batch.to_pylist():
                row_no += 1
                yield _structured(values, row_no, f"{path.name} row {row_no}")


LABEL_COLUMNS = [
    "item_id",
    "external_id",
    "kind",
    "label_id",
    "result",
    "score",
    "revision",
    "status",
    "source",
    "agent",
    "guideline_version",
    "lease_id",
    "time_spent_ms",
    "created_at",
]


def label_rows(record: ExportRecord) -> Iterator[list[Any]]:
    """One flat row per label of an item (annotation, prediction, gold, consensus)."""
    groups: list[tuple[str, list[LabelRecord]]] = [
        ("annotation", record.annotations),
        ("prediction", record.predictions),
        ("gold", [record.gold] if record.gold else []),
        ("consensus", [record.consensus] if record.consensus else []),
    ]
    for kind, labels in groups:
        for label in labels:
            p = label.provenance
            yield [
                record.item_id,
                record.external_id,
                kind,
                label.id,
                orjson.dumps(label.result).decode(),
                label.score,
                label.revision,
                label.status,
                p.source,
                p.agent,
                p.guideline_version,
                p.lease_id,
                p.time_spent_ms,
                p.created_at,
            ]


#: Characters that make a spreadsheet read a cell as a formula (OWASP, CSV Injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula: a string
    starting with ``= + - @``, tab or carriage return gets a leading single quote, as
    OWASP recommends. Numbers, and strings that are plain numbers, stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class CsvExporter:
    name = "csv"
    extension = ".csv"
    media_type = "text/csv"

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        writer = csv.writer(text)
        writer.writerow(LABEL_COLUMNS)
        n = 0
        for record in records:
            n += 1
            writer.writerows([spreadsheet_safe(v) for v in row] for row in label_rows(record))
        text.flush()
        text.detach()
        return n


class ParquetExporter:
    name = "parquet"
    extension = ".parquet"
    media_type = "application/vnd.apache.parquet"
    batch_rows = 50_000

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema(
            [
                ("item_id", pa.int64()),
                ("external_id", pa.string()),
                ("kind", pa.string()),
                ("label_id", pa.int64()),
                ("result", pa.string()),
                ("score", pa.float64()),
                ("revision", pa.int32()),
                ("status", pa.string()),
                ("source", pa.string()),
                ("agent", pa.string()),
                ("guideline_version", pa.int32()),
                ("lease_id", pa.int64()),
                ("time_spent_ms", pa.int64()),
                ("created_at", pa.string()),
            ]
        )
        n = 0
        buffer: list[list[Any]] = []
        with pq.ParquetWriter(out, schema) as writer:
            for record in records:
                n += 1
                buffer.extend(label_rows(record))
                if len(buffer) >= self.batch_rows:
                    writer.write_table(_table(buffer, schema))
                    buffer.clear()
            if buffer or n == 0:
                writer.write_table(_table(buffer, schema))
        return n


def _table(rows: list[list[Any]], schema: Any) -> Any:
    import pyarrow as pa

    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    return pa.Table.from_arrays(
        [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


register_importer("csv")(CsvImporter)
register_importer("parquet")(ParquetImporter)
register_exporter("csv")(CsvExporter)
register_exporter("parquet")(ParquetExporter)
