"""Hugging Face ``datasets``: a ``save_to_disk`` folder (``hf_datasets``) or a
Parquet file (``hf_parquet``), both with typed features
(:mod:`labelwell.formats.hf_features`), so ``datasets.load_from_disk`` and
``load_dataset("parquet", ...)`` give ``ClassLabel`` columns and sequences.

Written with pyarrow alone, batch by batch (constant memory; ``datasets`` is
not needed to export): ``save_to_disk`` is an Arrow IPC stream
``data-00000-of-00001.arrow`` with ``dataset_info.json`` and ``state.json``
(the layout ``datasets.Dataset.save_to_disk`` writes); Parquet carries the
features in the ``huggingface`` schema metadata, as ``Dataset.to_parquet``.

Columns: ``item_id``, ``external_id``, the item's data fields (typed from the
first batch; fields that later differ, or are not scalars, go to the JSON
column ``data_extra``), then the labels: ``labels="consensus"`` gives one
column per control (consensus, else gold, else first annotation) and
``label_source``; ``"raw"`` gives ``annotations``, a list of ``{annotator,
source, <controls>}``; ``"both"`` gives both. The ``labelwell`` schema
metadata lets the importer restore items and labels exactly (a data field
that is ``None`` comes back absent); datasets without it are read using the
ontology's control names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from labelwell.errors import InvalidInput
from labelwell.formats import hf_features as F
from labelwell.formats._ontology import Control, TakesOntology, controls
from labelwell.formats._paths import inside
from labelwell.formats._select import attach, check_mode, resolved
from labelwell.formats._sink import DirSink, Sink, ZipSink
from labelwell.formats._tokens import bio_tags, check_spans, tokenize
from labelwell.formats.registry import ExportRecord, ImportRow, register_exporter, register_importer

ARROW_FILE = "data-00000-of-00001.arrow"
_CHECK = {"string": (str,), "bool": (bool,), "int64": (int,), "float64": (int, float)}


class _Rows:
    """Turns export records into record batches of one schema."""

    def __init__(self, ontology: Any, labels: str, ner_tags: bool, batch_size: int) -> None:
        self.ctrls = controls(ontology)
        self.labels = check_mode(labels)
        self.ner_tags = ner_tags
        self.batch_size = batch_size
        self.data_features: dict[str, dict[str, Any]] = {}
        self.features: dict[str, Any] = {}
        self.schema: pa.Schema | None = None

    def _setup(self, first: list[ExportRecord]) -> None:
        keys: dict[str, list[Any]] = {}
        for rec in first:
            for k, v in rec.data.items():
                keys.setdefault(k, []).append(v)
        names = {c.name for c in self.ctrls}
        for k, vals in keys.items():
            feat = F.data_feature(vals)
            if (
                feat is not None
                and k not in names
                and k not in ("item_id", "external_id", "annotations")
            ):
                self.data_features[k] = feat
        feats: dict[str, Any] = {"item_id": F.value("int64"), "external_id": F.value("string")}
        feats.update(self.data_features)
        feats["data_extra"] = F.value("string")
        ctrl_feats = {c.name: F.control_feature(c) for c in self.ctrls}
        if self.labels in ("consensus", "both"):
            feats.update(ctrl_feats)
            feats["label_source"] = F.value("string")
            for c in self.ctrls:
                if self.ner_tags and c.type == "spans":
                    feats[f"{c.name}_tokens"] = F.list_of(F.value("string"))
                    feats[f"{c.name}_tags"] = F.list_of(F.class_label(F.bio_names(c.labels)))
        if self.labels in ("raw", "both"):
            who = {"annotator": F.value("string"), "source": F.value("string")}
            feats["annotations"] = F.list_of(who | ctrl_feats)
        self.features = feats
        meta = {
            "data": list(self.data_features),
            "controls": {c.name: c.type for c in self.ctrls},
            "labels": self.labels,
        }
        hf = {"info": {"features": feats}}
        self.schema = pa.schema(
            [(k, F.arrow_type(v)) for k, v in feats.items()],
            metadata={
                b"huggingface": json.dumps(hf).encode(),
                b"labelwell": json.dumps(meta).encode(),
            },
        )

    def _row(self, rec: ExportRecord) -> dict[str, Any]:
        where = f"item {rec.item_id}"
        row: dict[str, Any] = {"item_id": rec.item_id, "external_id": rec.external_id}
        extra = {}
        for k, v in rec.data.items():
            feat = self.data_features.get(k)
            ok = feat is not None and (v is None or isinstance(v, _CHECK[feat["dtype"]]))
            if feat is not None and ok and not (isinstance(v, bool) and feat["dtype"] != "bool"):
                row[k] = v
            else:
                extra[k] = v
        row["data_extra"] = json.dumps(extra, ensure_ascii=False) if extra else None
        if self.labels in ("consensus", "both"):
            picked = resolved(rec)
            result = picked.result if picked else {}
            row["label_source"] = picked.source if picked else None
            for c in self.ctrls:
                row[c.name] = F.encode(c, result.get(c.name), where)
                if self.ner_tags and c.type == "spans":
                    row.update(self._ner(c, rec, result, where))
        if self.labels in ("raw", "both"):
            row["annotations"] = [
                {"annotator": a.provenance.agent, "source": a.provenance.source}
                | {c.name: F.encode(c, a.result.get(c.name), where) for c in self.ctrls}
                for a in rec.annotations
            ]
        return row

    def _ner(
        self, c: Control, rec: ExportRecord, result: dict[str, Any], where: str
    ) -> dict[str, Any]:
        text = rec.data.get(c.source or "text")
        if not isinstance(text, str) or result.get(c.name) is None:
            return {f"{c.name}_tokens": None, f"{c.name}_tags": None}
        kept = check_spans(text, result[c.name], where=where, overlaps="drop")
        tokens = tokenize(text, [int(s["start"]) for s in kept] + [int(s["end"]) for s in kept])
        names = {n: i for i, n in enumerate(F.bio_names(c.labels))}
        return {
            f"{c.name}_tokens": [text[s:e] for s, e in tokens],
            f"{c.name}_tags": [names[t] for t in bio_tags(tokens, kept)],
        }

    def batches(self, records: Iterable[ExportRecord]) -> Iterator[pa.RecordBatch]:
        buf: list[ExportRecord] = []
        for rec in records:
            buf.append(rec)
            if len(buf) >= self.batch_size:
                yield self._batch(buf)
                buf = []
        if buf or self.schema is None:
            yield self._batch(buf)

    def _batch(self, recs: list[ExportRecord]) -> pa.RecordBatch:
        if self.schema is None:
            self._setup(recs)
        assert self.schema is not None
        table = pa.Table.from_pylist([self._row(r) for r in recs], schema=self.schema)
        return (
            table.combine_chunks().to_batches()[0]
            if recs
            else self.schema.empty_table().to_batches()
        )


def _write_arrow(rows: _Rows, records: Iterable[ExportRecord], sink: Sink) -> int:
    n = 0
    with sink.open(ARROW_FILE) as fh:
        writer = None
        for batch in rows.batches(records):
            if writer is None:
                writer = pa.ipc.new_stream(fh, rows.schema)
            for b in batch if isinstance(batch, list) else [batch]:
                writer.write_batch(b)
                n += b.num_rows
        assert writer is not None
        writer.close()
    info = {
        "citation": "",
        "description": "",
        "features": rows.features,
        "homepage": "",
        "license": "",
    }
    sink.write("dataset_info.json", json.dumps(info, indent=2).encode())
    state: dict[str, Any] = {
        "_data_files": [{"filename": ARROW_FILE}],
        "_fingerprint": hashlib.sha256(json.dumps(info).encode() + str(n).encode()).hexdigest()[
            :16
        ],
        "_format_columns": None,
        "_format_kwargs": {},
        "_format_type": None,
        "_output_all_columns": False,
        "_split": None,
    }
    sink.write("state.json", json.dumps(state, indent=2).encode())
    return n


class HFDatasetExporter:
    name = "hf_datasets"
    extension = "zip"
    media_type = "application/zip"

    def __init__(
        self, labels: str = "consensus", ner_tags: bool = True, batch_size: int = 1000
    ) -> None:
        self.labels, self.ner_tags, self.batch_size = check_mode(labels), ner_tags, batch_size

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        sink = ZipSink(out)
        try:
            return self.export_to(records, sink, ontology)
        finally:
            sink.close()

    def export_dir(self, records: Iterable[ExportRecord], directory: Path, ontology: Any) -> int:
        return self.export_to(records, DirSink(directory), ontology)

    def export_to(self, records: Iterable[ExportRecord], sink: Sink, ontology: Any) -> int:
        return _write_arrow(
            _Rows(ontology, self.labels, self.ner_tags, self.batch_size), records, sink
        )


class HFParquetExporter(HFDatasetExporter):
    name = "hf_parquet"
    extension = "parquet"
    media_type = "application/vnd.apache.parquet"

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        rows = _Rows(ontology, self.labels, self.ner_tags, self.batch_size)
        n = 0
        writer = None
        for batch in rows.batches(records):
            if writer is None:
                writer = pq.ParquetWriter(out, rows.schema)
            for b in batch if isinstance(batch, list) else [batch]:
                writer.write_batch(b)
                n += b.num_rows
        assert writer is not None
        writer.close()
        return n


def _meta(schema: pa.Schema) -> tuple[dict[str, Any], dict[str, Any] | None]:
    md = schema.metadata or {}
    feats = json.loads(md[b"huggingface"])["info"]["features"] if b"huggingface" in md else {}
    return feats, (json.loads(md[b"labelwell"]) if b"labelwell" in md else None)


class _Reader:
    def __init__(self, ontology: Any, target: str) -> None:
        self.ctrls = {c.name: c for c in controls(ontology)}
        self.target = target

    def rows(
        self, batches: Iterator[pa.RecordBatch], schema: pa.Schema, fname: str
    ) -> Iterator[ImportRow]:
        feats, meta = _meta(schema)
        ctrls = dict(self.ctrls)
        for name, kind in (meta or {}).get("controls", {}).items():
            if name not in ctrls:
                raise InvalidInput(
                    f"{fname}: column {name!r} is not a control of the ontology", field=name
                )
            if ctrls[name].type != kind:
                raise InvalidInput(
                    f"{fname}: column {name!r} holds {kind}, the ontology says {ctrls[name].type}",
                    field=name,
                )
        skip = {"item_id", "external_id", "data_extra", "label_source", "annotations"}
        skip |= {
            f"{c}_{s}" for c, ct in ctrls.items() if ct.type == "spans" for s in ("tokens", "tags")
        }
        n = 0
        for batch in batches:
            for cells in batch.to_pylist():
                n += 1
                yield self._row(n, cells, ctrls, feats, meta, skip, fname)

    def _row(
        self,
        n: int,
        cells: dict[str, Any],
        ctrls: dict[str, Control],
        feats: dict[str, Any],
        meta: dict[str, Any] | None,
        skip: set[str],
        fname: str,
    ) -> ImportRow:
        data = {
            k: F.decode_any(feats.get(k), v)
            for k, v in cells.items()
            if k not in skip and k not in ctrls and v is not None
        }
        if cells.get("data_extra"):
            data.update(json.loads(cells["data_extra"]))
        ext = cells.get("external_id")
        row = ImportRow(line=n, data=data, external_id=None if ext is None else str(ext))
        try:
            for ann in cells.get("annotations") or []:
                result = {
                    k: F.decode(c, ann.get(k)) for k, c in ctrls.items() if ann.get(k) is not None
                }
                attach(
                    row,
                    result,
                    target=self.target,
                    annotator=ann.get("annotator"),
                    source=ann.get("source"),
                )
            result = {
                k: F.decode(c, cells[k]) for k, c in ctrls.items() if cells.get(k) is not None
            }
        except (IndexError, KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(
                f"{fname}: row {n}: a label column does not fit the ontology: {exc}", line=n
            ) from exc
        if result:
            source = cells.get("label_source") or "consensus"
            target = "gold" if source == "gold" and self.target == "annotation" else self.target
            attach(row, result, target=target, source=source)
        return row


class _ArrowImporter(TakesOntology):
    """What both Hugging Face importers share: the ontology they read labels
    with and where the labels go (``annotation`` or ``prediction``)."""

    def __init__(self, ontology: Any = None, target: str = "annotation") -> None:
        self.target = target
        self.ontology = ontology

    def bind(self, ontology: Any) -> None:
        self.reader = _Reader(ontology, self.target)


class HFDatasetImporter(_ArrowImporter):
    """Reads a ``save_to_disk`` folder (``state.json`` + Arrow files)."""

    name = "hf_datasets"

    def read(self, path: Path) -> Iterator[ImportRow]:
        path = Path(path)
        try:
            state = json.loads((path / "state.json").read_text())
            root = path.resolve()
            files = [
                inside(root, path / str(f["filename"]), "_data_files", "state.json")
                for f in state["_data_files"]
            ]
        except (OSError, KeyError, TypeError, json.JSONDecodeError) as exc:
            raise InvalidInput(
                f"{path.name}: not a save_to_disk folder: {exc}", field="state.json"
            ) from exc
        for f in files:
            with pa.memory_map(str(f)) as src:
                try:
                    reader = pa.ipc.open_stream(src)
                except pa.ArrowInvalid as exc:
                    raise InvalidInput(f"{f.name}: not an Arrow stream: {exc}") from exc
                yield from self.reader.rows(iter(reader), reader.schema, f.name)


class HFParquetImporter(_ArrowImporter):
    """Reads one Parquet file (``Dataset.to_parquet``)."""

    name = "hf_parquet"

    def read(self, path: Path) -> Iterator[ImportRow]:
        path = Path(path)
        try:
            pf = pq.ParquetFile(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise InvalidInput(f"{path.name}: not Parquet: {exc}") from exc
        yield from self.reader.rows(pf.iter_batches(batch_size=1000), pf.schema_arrow, path.name)


register_exporter("hf_datasets")(HFDatasetExporter)
register_exporter("hf_parquet")(HFParquetExporter)
register_importer("hf_datasets")(HFDatasetImporter)
register_importer("hf_parquet")(HFParquetImporter)
