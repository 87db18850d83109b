from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from labelwell.errors import InvalidInput
from labelwell.formats.jsonl import JsonlExporter
from labelwell.formats.tabular import CsvExporter, ParquetExporter
from labelwell.work import labels, queue
from labelwell.work.export import ExportFilter, iter_records
from world import build_world


def _labelled_world(db):
    w = build_world(db, n_annotators=2, n_items=3, overlap=2, gold={2: {"sentiment": "neutral"}})
    for a, value in zip(w.annotators, ["positive", "negative"], strict=True):
        with db.session() as s:
            task = queue.next_task(s, a, w.project_id)
        with db.session() as s:
            queue.submit(s, a, task.assignment_id, {"sentiment": value}, time_spent_ms=500)
    with db.session() as s:
        labels.add_predictions(s, w.manager, w.project_id, [
            {"item_id": task.item_id, "result": {"sentiment": "negative"}, "score": 0.6,
             "model_name": "clf", "model_version": "3"}])
    return w, task.item_id


def _export(db, w, exporter, flt=None):
    out = io.BytesIO()
    with db.read_session() as s:
        n = exporter.write(iter_records(s, w.project_id, flt), out, None)
    return n, out.getvalue()


def test_jsonl_export_has_every_label_with_provenance(db):
    w, item_id = _labelled_world(db)
    n, payload = _export(db, w, JsonlExporter())
    rows = [json.loads(line) for line in payload.decode().splitlines()]
    assert n == len(rows) == 3
    row = next(r for r in rows if r["item_id"] == item_id)
    assert {a["provenance"]["agent"] for a in row["annotations"]} == {
        w.annotators[0].email, w.annotators[1].email}
    first = row["annotations"][0]["provenance"]
    assert first["source"] == "human" and first["time_spent_ms"] == 500
    assert first["guideline_version"] == 1 and first["lease_id"] is not None
    assert row["predictions"][0]["provenance"]["agent"] == "clf@3"
    gold_rows = [r for r in rows if r["gold"]]
    assert len(gold_rows) == 1 and gold_rows[0]["gold"]["result"] == {"sentiment": "neutral"}


def test_filters_by_annotator_status_and_source(db):
    w, item_id = _labelled_world(db)
    _, payload = _export(db, w, JsonlExporter(), ExportFilter(annotator=w.annotators[1].email))
    rows = [json.loads(line) for line in payload.decode().splitlines()]
    assert [r["item_id"] for r in rows] == [item_id]
    assert [a["provenance"]["agent"] for a in rows[0]["annotations"]] == [w.annotators[1].email]
    _, payload = _export(db, w, JsonlExporter(), ExportFilter(status="done"))
    assert [json.loads(x)["item_id"] for x in payload.decode().splitlines()] == [item_id]
    n, _ = _export(db, w, JsonlExporter(), ExportFilter(source="model"))
    assert n == 0
    with pytest.raises(InvalidInput):
        ExportFilter(source="oracle").check()


def test_csv_and_parquet_exports_read_back_with_pandas(db):
    w, item_id = _labelled_world(db)
    _, csv_bytes = _export(db, w, CsvExporter())
    frame = pd.read_csv(io.BytesIO(csv_bytes))
    assert set(frame["kind"]) == {"annotation", "prediction", "gold"}
    assert (frame["kind"] == "annotation").sum() == 2
    _, parquet_bytes = _export(db, w, ParquetExporter())
    table = pd.read_parquet(io.BytesIO(parquet_bytes))
    assert len(table) == len(frame)
    assert json.loads(table[table.kind == "gold"].iloc[0]["result"]) == {"sentiment": "neutral"}


def test_csv_export_from_the_database_neutralises_formula_cells(db):
    from labelwell.formats.registry import ImportRow
    from labelwell.work import items

    w = build_world(db, n_annotators=1, n_items=1)
    with db.session() as s:
        items.import_rows(s, w.manager, w.project_id, [ImportRow(
            line=1, data={"text": "x"}, external_id='=HYPERLINK("http://evil.example","go")')])
        item_id = items.list_items(s, w.manager, w.project_id, limit=10)[-1].id
        labels.add_predictions(s, w.manager, w.project_id, [
            {"item_id": item_id, "result": {"sentiment": "negative"}, "score": -0.25,
             "model_name": "@SUM(1)", "model_version": ""}])
    _, payload = _export(db, w, CsvExporter())
    frame = pd.read_csv(io.BytesIO(payload), keep_default_na=False)
    row = frame[frame["item_id"] == item_id].iloc[0]
    assert row["external_id"] == "'=HYPERLINK(\"http://evil.example\",\"go\")"
    assert row["agent"] == "'@SUM(1)" and row["score"] == -0.25
