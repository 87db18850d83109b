from __future__ import annotations

import io
import json

import datasets
import pyarrow.parquet as pq
import pytest

from formats.fmt_samples import KO, NER, VISION, label, ner_records, record, triples, vision_records
from labelwell.errors import InvalidInput
from labelwell.formats.hf_datasets import (
    HFDatasetExporter,
    HFDatasetImporter,
    HFParquetExporter,
    HFParquetImporter,
)
from labelwell.formats.registry import EXPORTERS, IMPORTERS


def _records():
    recs = ner_records()
    recs[0].data.update(lang="en", score=1)
    recs[1].data.update(lang="ko", score=2.5, meta={"k": [1, 2]})
    recs[1].consensus = label(recs[1].annotations[0].result, "mv", "consensus")
    return recs


def test_save_to_disk_loads_with_typed_features(tmp_path):
    for name in ("hf_datasets", "hf_parquet"):
        assert name in EXPORTERS and name in IMPORTERS
    out = tmp_path / "ds"
    assert HFDatasetExporter(labels="both").export_dir(_records(), out, NER) == 3
    ds = datasets.load_from_disk(str(out))
    assert len(ds) == 3
    f = ds.features
    assert isinstance(f["topic"], datasets.ClassLabel) and f["topic"].names == ["news", "sport"]
    assert f["entities"].feature["label"].names == ["PER", "LOC", "ORG"]
    assert f["entities_tags"].feature.names == [
        "O",
        "B-PER",
        "I-PER",
        "B-LOC",
        "I-LOC",
        "B-ORG",
        "I-ORG",
    ]
    assert f["score"] == datasets.Value("float64")
    ko = ds[1]
    assert ko["text"] == KO and f["topic"].int2str(ko["topic"]) == "sport"
    assert ko["label_source"] == "consensus"
    assert ko["entities_tokens"][:4] == ["김민수", "씨는", "서울", "에서"]
    tags = [f["entities_tags"].feature.int2str(t) for t in ko["entities_tags"][:4]]
    assert tags == ["B-PER", "O", "B-LOC", "O"]
    assert ko["annotations"][0]["annotator"] == "bob"
    assert ds[2]["topic"] is None and ds[2]["annotations"] == []


def test_round_trip_save_to_disk_and_parquet(tmp_path):
    recs = _records()
    HFDatasetExporter(labels="raw").export_dir(recs, tmp_path / "ds", NER)
    pq_path = tmp_path / "ds.parquet"
    with pq_path.open("wb") as fh:
        HFParquetExporter(labels="raw").write(recs, fh, NER)
    for rows in (
        list(HFDatasetImporter(NER).read(tmp_path / "ds")),
        list(HFParquetImporter(NER).read(pq_path)),
    ):
        assert [r.external_id for r in rows] == ["en-1", "ko-1", None]
        for rec, row in zip(recs, rows, strict=True):
            assert row.data == rec.data
            assert [(a["annotator"], a["result"]) for a in row.annotations] == [
                (a.provenance.agent, a.result) for a in rec.annotations
            ]
    # import -> export -> import
    again = [
        record(i, r.data, [label(a["result"], a["annotator"]) for a in r.annotations])
        for i, r in enumerate(rows)
    ]
    buf = io.BytesIO()
    HFParquetExporter(labels="raw").write(again, buf, NER)
    p2 = tmp_path / "again.parquet"
    p2.write_bytes(buf.getvalue())
    rows2 = list(HFParquetImporter(NER).read(p2))
    assert [r.annotations for r in rows2] == [r.annotations for r in rows]


def test_parquet_loads_with_datasets(tmp_path):
    p = tmp_path / "train.parquet"
    with p.open("wb") as fh:
        HFParquetExporter().write(_records(), fh, NER)
    assert b"huggingface" in pq.read_schema(p).metadata
    ds = datasets.load_dataset(
        "parquet", data_files=str(p), split="train", cache_dir=str(tmp_path / "cache")
    )
    assert ds.features["topic"].names == ["news", "sport"]
    assert ds.features["entities_tags"].feature.num_classes == 7
    names = ds.features["entities"].feature["label"].names
    got = [{**s, "label": names[s["label"]]} for s in ds[0]["entities"]]
    assert triples(got) == triples(ner_records()[0].annotations[0].result["entities"])


def test_bboxes_and_consensus_round_trip(tmp_path):
    recs = vision_records()
    HFDatasetExporter().export_dir(recs, tmp_path / "v", VISION)
    ds = datasets.load_from_disk(str(tmp_path / "v"))
    assert ds.features["boxes"].feature["label"].names == ["cat", "dog"]
    rows = list(HFDatasetImporter(VISION).read(tmp_path / "v"))
    assert rows[1].annotations[0]["source"] == "consensus"
    assert rows[1].annotations[0]["result"]["boxes"] == recs[1].consensus.result["boxes"]
    assert rows[0].annotations[0]["result"]["pose"] == recs[0].annotations[0].result["pose"]


def test_zip_output_and_errors(tmp_path):
    buf = io.BytesIO()
    HFDatasetExporter().write(_records(), buf, NER)
    assert buf.getvalue()[:2] == b"PK"
    bad = record(1, {"text": "x"}, [label({"topic": "weather"})])
    with pytest.raises(InvalidInput, match="weather"):
        HFParquetExporter().write([bad], io.BytesIO(), NER)
    with pytest.raises(InvalidInput) as err:
        list(HFDatasetImporter(NER).read(tmp_path))
    assert err.value.field == "state.json"
    HFDatasetExporter().export_dir(vision_records(), tmp_path / "v", VISION)
    with pytest.raises(InvalidInput, match="not a control"):
        list(HFDatasetImporter(NER).read(tmp_path / "v"))


def test_data_files_outside_the_folder_are_refused(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    (tmp_path / "elsewhere.arrow").write_bytes(b"")
    state = {"_data_files": [{"filename": "../elsewhere.arrow"}]}
    (folder / "state.json").write_text(json.dumps(state))
    with pytest.raises(InvalidInput) as err:
        list(HFDatasetImporter().read(folder))
    assert "elsewhere" not in err.value.message
