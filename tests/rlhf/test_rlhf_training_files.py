"""Training rows streamed in batches with one fixed schema per layout."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelwell.errors import InvalidInput
from labelwell.rlhf.exports import dpo_rows, kto_rows, unpair
from labelwell.rlhf.records import PreferencePair, as_messages
from labelwell.rlhf.training_files import (
    arrow_schema,
    layout_features,
    record_batches,
    write_dataset_folder,
    write_parquet,
    write_training_stream,
)

datasets = pytest.importorskip("datasets")


def pairs(n):
    return (PreferencePair(as_messages(f"q{i}"), f"yes {i}", f"no {i}") for i in range(n))


def test_rows_are_written_in_batches_of_one_schema():
    features = layout_features("dpo", conversational=True)
    schema = arrow_schema(features)
    batches = list(record_batches(iter(dpo_rows(pairs(2500), conversational=True)), schema, 1000))
    assert [b.num_rows for b in batches] == [1000, 1000, 500]
    assert all(b.schema.equals(schema) for b in batches)
    assert schema.field("prompt").type == pa.list_(
        pa.struct([("role", pa.string()), ("content", pa.string())])
    )


def test_parquet_row_groups_follow_the_batches():
    out = io.BytesIO()
    rows = kto_rows(unpair(pairs(1500)))
    assert write_parquet(iter(rows), out, layout_features("kto"), batch_size=1000) == 3000
    meta = pq.read_metadata(io.BytesIO(out.getvalue()))
    assert (meta.num_rows, meta.num_row_groups) == (3000, 3)
    assert b"huggingface" in meta.metadata


def test_dataset_folder_round_trips_through_datasets(tmp_path):
    rows = dpo_rows(pairs(3), ties=True)
    n = write_dataset_folder(iter(rows), tmp_path / "ds", layout_features("dpo", ties=True))
    ds = datasets.load_from_disk(str(tmp_path / "ds"))
    assert n == 3 and ds.to_list() == rows
    assert ds.features["tie"].dtype == "bool"


def test_a_row_without_a_layout_column_is_refused_with_its_number():
    rows = [{"prompt": "p", "chosen": "c", "rejected": "r"}, {"prompt": "p", "chosen": "c"}]
    with pytest.raises(InvalidInput) as info:
        write_training_stream(iter(rows), io.BytesIO(), "parquet", layout_features("dpo"))
    assert info.value.line == 2 and "rejected" in info.value.message


def test_unknown_layout_and_output_are_named():
    with pytest.raises(InvalidInput) as info:
        layout_features("ppo")
    assert info.value.field == "kind"
    with pytest.raises(InvalidInput) as info:
        write_training_stream(iter([]), io.BytesIO(), "csv", layout_features("sft"))
    assert info.value.field == "output"
