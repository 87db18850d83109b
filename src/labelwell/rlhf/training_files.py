"""Training rows written as they come, batch by batch: JSONL, Parquet or a Hugging
Face ``datasets`` folder, in constant memory whatever the number of rows.

Every layout has one fixed Arrow schema (:func:`layout_features`), so each batch
has the same types and an empty export still has its columns. Parquet goes
through pyarrow's ``ParquetWriter`` with the features in the ``huggingface``
schema metadata, as ``Dataset.to_parquet`` writes them, so
``load_dataset("parquet", ...)`` gives the same types. The ``datasets`` folder is
the layout ``Dataset.save_to_disk`` writes (an Arrow IPC stream
``data-00000-of-00001.arrow``, ``dataset_info.json`` with the features,
``state.json``), written with pyarrow alone as in
:mod:`labelwell.formats.hf_datasets`; ``datasets.load_from_disk`` reads it, and
the ``datasets`` package is not needed to write it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from labelwell.errors import InvalidInput

Row = dict[str, Any]
OUTPUTS = ("jsonl", "parquet", "datasets")
KINDS = ("dpo", "reward", "kto", "sft")
ARROW_FILE = "data-00000-of-00001.arrow"
BATCH_ROWS = 1000


def _value(dtype: str) -> dict[str, Any]:
    return {"dtype": dtype, "_type": "Value"}


_MESSAGES = {
    "feature": {"role": _value("string"), "content": _value("string")},
    "_type": "List",
}


def layout_features(
    kind: str, *, conversational: bool = False, margin: bool = False, ties: bool = False
) -> dict[str, Any]:
    """The ``datasets`` Features (as ``Features.to_dict()`` writes them) of a layout's
    rows: the columns of :mod:`labelwell.rlhf.exports`."""
    if kind not in KINDS:
        raise InvalidInput(
            f"kind: unknown layout {kind!r}; one of {', '.join(KINDS)}", field="kind"
        )
    text = _MESSAGES if conversational else _value("string")
    prompt = _MESSAGES if conversational else _value("string")
    columns: dict[str, Any]
    if kind == "dpo":
        columns = {"prompt": prompt, "chosen": text, "rejected": text}
    elif kind == "reward":
        columns = {"chosen": text, "rejected": text}
    elif kind == "kto":
        columns = {"prompt": prompt, "completion": text, "label": _value("bool")}
    else:
        columns = {"prompt": prompt, "completion": text}
    if margin:
        columns["margin"] = _value("float64")
    if ties:
        columns["tie"] = _value("bool")
    return columns


def _arrow_type(feature: dict[str, Any]) -> pa.DataType:
    if feature["_type"] == "List":
        inner = feature["feature"]
        return pa.list_(pa.struct([(k, _arrow_type(v)) for k, v in inner.items()]))
    return {"string": pa.string(), "bool": pa.bool_(), "float64": pa.float64()}[feature["dtype"]]


def arrow_schema(features: dict[str, Any]) -> pa.Schema:
    """The Arrow schema of ``features``, carrying them in the ``huggingface`` metadata."""
    meta = {"huggingface": json.dumps({"info": {"features": features}})}
    return pa.schema([(k, _arrow_type(v)) for k, v in features.items()], metadata=meta)


def record_batches(
    rows: Iterable[Row], schema: pa.Schema, batch_size: int = BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """``rows`` as record batches of ``schema``; a row lacking a column is refused."""
    names = set(schema.names)
    buf: list[Row] = []
    for n, row in enumerate(rows, 1):
        if names - row.keys():
            raise InvalidInput(f"row {n} lacks columns {sorted(names - row.keys())}", line=n)
        buf.append(row)
        if len(buf) >= batch_size:
            yield pa.RecordBatch.from_pylist(buf, schema=schema)
            buf = []
    if buf:
        yield pa.RecordBatch.from_pylist(buf, schema=schema)


def write_jsonl(rows: Iterable[Row], out: IO[bytes]) -> int:
    n = 0
    for row in rows:
        out.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))
        n += 1
    return n


def write_parquet(
    rows: Iterable[Row],
    out: IO[bytes] | str | Path,
    features: dict[str, Any],
    batch_size: int = BATCH_ROWS,
) -> int:
    """A Parquet file written one row group per batch."""
    schema = arrow_schema(features)
    n = 0
    with pq.ParquetWriter(out if not isinstance(out, Path) else str(out), schema) as writer:
        for batch in record_batches(rows, schema, batch_size):
            writer.write_batch(batch)
            n += batch.num_rows
    return n


def _write_dataset(
    rows: Iterable[Row], open_file: Any, features: dict[str, Any], batch_size: int
) -> int:
    schema = arrow_schema(features)
    n = 0
    with open_file(ARROW_FILE) as fh, pa.ipc.new_stream(fh, schema) as writer:
        for batch in record_batches(rows, schema, batch_size):
            writer.write_batch(batch)
            n += batch.num_rows
    info = {"citation": "", "description": "", "features": features, "homepage": "", "license": ""}
    digest = hashlib.sha256(json.dumps(info, sort_keys=True).encode() + str(n).encode())
    state: dict[str, Any] = {
        "_data_files": [{"filename": ARROW_FILE}],
        "_fingerprint": digest.hexdigest()[:16],
        "_format_columns": None,
        "_format_kwargs": {},
        "_format_type": None,
        "_output_all_columns": False,
        "_split": None,
    }
    for name, payload in (("dataset_info.json", info), ("state.json", state)):
        with open_file(name) as fh:
            fh.write(json.dumps(payload, indent=2).encode())
    return n


def write_dataset_folder(
    rows: Iterable[Row], folder: str | Path, features: dict[str, Any], batch_size: int = BATCH_ROWS
) -> int:
    """A ``save_to_disk`` folder at ``folder`` (created; files in it are replaced)."""
    from labelwell.formats._sink import DirSink

    return _write_dataset(rows, DirSink(folder).open, features, batch_size)


def write_dataset_zip(
    rows: Iterable[Row], out: IO[bytes], features: dict[str, Any], batch_size: int = BATCH_ROWS
) -> int:
    """The ``save_to_disk`` folder as a zip archive streamed to ``out`` (for HTTP)."""
    from labelwell.formats._sink import ZipSink

    sink = ZipSink(out)
    try:
        return _write_dataset(rows, sink.open, features, batch_size)
    finally:
        sink.close()


def write_training_stream(
    rows: Iterable[Row], out: IO[bytes], output: str, features: dict[str, Any]
) -> int:
    """Write ``rows`` to a binary stream as ``output``: JSONL, Parquet, or the
    ``datasets`` folder zipped."""
    if output == "jsonl":
        return write_jsonl(rows, out)
    if output == "parquet":
        return write_parquet(rows, out, features)
    if output == "datasets":
        return write_dataset_zip(rows, out, features)
    raise InvalidInput(f"output: unknown {output!r}; one of {', '.join(OUTPUTS)}", field="output")
