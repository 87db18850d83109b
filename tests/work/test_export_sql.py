"""The JSONL documents the database builds (SQLite and PostgreSQL) equal the
Python exporter's, filter by filter."""

from __future__ import annotations

import json
from datetime import timedelta

from labelwell.formats.jsonl import record_to_dict
from labelwell.store.tables import utcnow
from labelwell.work import labels, queue
from labelwell.work.export import ExportFilter, iter_records
from labelwell.work.export_sql import iter_jsonl_lines, supported
from world import build_world


def test_database_built_documents_equal_the_python_ones(db):
    with db.read_session() as s:
        assert supported(s)
    w = build_world(db, n_annotators=3, n_items=5, overlap=3, gold={2: {"sentiment": "neutral"}})
    for annotator, value in zip(w.annotators, ["positive", "negative", "positive"], strict=True):
        with db.session() as s:
            task = queue.next_task(s, annotator, w.project_id)
        with db.session() as s:
            queue.submit(s, annotator, task.assignment_id, {"sentiment": value}, time_spent_ms=7)
    with db.session() as s:
        labels.add_predictions(s, w.manager, w.project_id, [
            {"item_id": task.item_id, "result": {"sentiment": "negative"}, "score": 0.6,
             "model_name": "clf", "model_version": "3"},
            {"item_id": task.item_id, "result": {"sentiment": "positive"},
             "model_name": "rules"}])
    filters = [ExportFilter(), ExportFilter(labels="raw"), ExportFilter(labels="aggregated"),
               ExportFilter(annotator=w.annotators[1].email), ExportFilter(status="done"),
               ExportFilter(source="human"), ExportFilter(include_gold_items=False),
               ExportFilter(since=utcnow() - timedelta(hours=1)),
               ExportFilter(until=utcnow() - timedelta(hours=1))]
    for flt in filters:
        with db.read_session() as s:
            expected = [json.loads(json.dumps(record_to_dict(r)))
                        for r in iter_records(s, w.project_id, flt)]
            built = [json.loads(d) for d in iter_jsonl_lines(s, w.project_id, flt, chunk=2)]
        assert built == expected, flt
        if flt == ExportFilter():
            assert any(doc["consensus"] for doc in built)  # the overlap-3 item's label
            assert any(doc["predictions"] for doc in built) and any(d["gold"] for d in built)
