from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import func, select

from labelwell.errors import InvalidInput
from labelwell.store.tables import Annotation, GoldAnswer, Import, Item, Prediction
from labelwell.work import items
from world import NER, build_world


def _count(db, table):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(table))


def test_jsonl_import_with_predictions_gold_and_labels(db, tmp_path):
    w = build_world(db, n_items=0, texts=["seed"])
    path = tmp_path / "items.jsonl"
    rows = [
        {"text": "plain object is the data"},
        {"data": {"text": "with extras"}, "external_id": "e1",
         "predictions": [{"result": {"sentiment": "positive"}, "score": 0.9,
                          "model_name": "m", "model_version": "2"}],
         "annotations": [{"result": {"sentiment": "negative"}, "annotator": "old-tool:bob"}]},
        {"data": {"text": "gold one"}, "gold": {"sentiment": "neutral"}},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    with db.session() as s:
        record = items.import_file(s, w.manager, w.project_id, path)
    assert record.n_items == 3
    with db.session() as s:
        pred = s.scalar(select(Prediction))
        assert (pred.model_name, pred.model_version, pred.score) == ("m", "2", 0.9)
        old = s.scalar(select(Annotation))
        assert old.agent == "old-tool:bob" and old.details["import_id"] == record.id
        gold = s.scalar(select(GoldAnswer))
        assert s.get(Item, gold.item_id).is_gold


@pytest.mark.parametrize("bad_line, expected", [
    ('{"text": "ok"}\n{"text": "broken"\n', "line 2"),
    ('{"text": "ok"}\n[1, 2]\n', "line 2"),
    ('{"data": {"text": "x"}, "gold": {"sentiment": "angry"}}\n', "gold"),
    ('{"data": {"text": "x"}, "colour": 1}\n', "colour"),
])
def test_a_bad_row_refuses_the_whole_file(db, tmp_path, bad_line, expected):
    w = build_world(db, n_items=2)
    before = (_count(db, Item), _count(db, Import))
    path = tmp_path / "bad.jsonl"
    path.write_text(bad_line, encoding="utf-8")
    with pytest.raises(InvalidInput) as err, db.session() as s:
        items.import_file(s, w.manager, w.project_id, path)
    assert expected in err.value.message
    assert (_count(db, Item), _count(db, Import)) == before


def test_bad_row_far_into_a_large_file_stores_nothing(db, tmp_path):
    w = build_world(db, n_items=1)
    path = tmp_path / "big.jsonl"
    lines = [json.dumps({"text": f"t{i}"}) for i in range(12_000)]
    lines[11_500] = json.dumps({"data": {"text": "x"}, "gold": {"sentiment": "??"}})
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InvalidInput) as err, db.session() as s:
        items.import_file(s, w.manager, w.project_id, path, batch_size=1000)
    assert err.value.line == 11_501
    assert _count(db, Item) == 1


def test_csv_and_parquet_imports(db, tmp_path):
    w = build_world(db, n_items=0, texts=["seed"])
    csv_path = tmp_path / "items.csv"
    csv_path.write_text('text,external_id,gold\n"hello, world",c1,"{""sentiment"": ""positive""}"\n'
                        "second,c2,\n", encoding="utf-8")
    parquet_path = tmp_path / "items.parquet"
    pd.DataFrame({"text": ["a", "b", "c"], "external_id": ["p1", "p2", "p3"]}).to_parquet(
        parquet_path)
    with db.session() as s:
        assert items.import_file(s, w.manager, w.project_id, csv_path).n_items == 2
        assert items.import_file(s, w.manager, w.project_id, parquet_path).n_items == 3
    with db.session() as s:
        texts = set(s.scalars(select(Item.data["text"].as_string())))
    assert {"hello, world", "second", "a", "b", "c"} <= texts


def test_csv_with_a_short_row_names_the_line(db, tmp_path):
    w = build_world(db, n_items=0, texts=["seed"])
    path = tmp_path / "items.csv"
    path.write_text("text,external_id\nfine,1\nshort\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err, db.session() as s:
        items.import_file(s, w.manager, w.project_id, path)
    assert err.value.line == 3 and "line 3" in err.value.message


def test_duplicate_external_ids_are_refused(db, tmp_path):
    w = build_world(db, n_items=2)  # x0, x1 exist
    path = tmp_path / "dup.jsonl"
    path.write_text(json.dumps({"data": {"text": "again"}, "external_id": "x1"}) + "\n")
    with pytest.raises(InvalidInput, match="already exists"), db.session() as s:
        items.import_file(s, w.manager, w.project_id, path)


def test_spans_past_the_end_of_korean_text_are_refused(db, tmp_path):
    w = build_world(db, ontology=NER, n_items=0, texts=["seed"])
    text = "김철수는 서울에 산다"
    ok = {"entities": [{"id": "1", "start": 0, "end": 3, "label": "PER", "text": "김철수"}]}
    bad = {"entities": [{"id": "1", "start": 5, "end": 40, "label": "LOC"}]}
    path = tmp_path / "ner.jsonl"
    path.write_text(json.dumps({"data": {"text": text}, "gold": ok}) + "\n" +
                    json.dumps({"data": {"text": text}, "gold": bad}) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err, db.session() as s:
        items.import_file(s, w.manager, w.project_id, path)
    assert err.value.line == 2 and err.value.field.startswith("gold.entities[0]")


def test_unknown_format_is_named(db, tmp_path):
    w = build_world(db, n_items=1)
    path = tmp_path / "items.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InvalidInput, match="unknown import format"), db.session() as s:
        items.import_file(s, w.manager, w.project_id, path)


def test_a_duplicate_external_id_in_a_later_batch_is_named(db, tmp_path):
    w = build_world(db, n_items=0, texts=["seed"])
    path = tmp_path / "dup.jsonl"
    rows = [{"data": {"text": f"t{i}"}, "external_id": f"e{i}"} for i in range(30)]
    rows.append({"data": {"text": "again"}, "external_id": "e3"})
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    with pytest.raises(InvalidInput) as err, db.session() as s:
        items.import_file(s, w.manager, w.project_id, path, batch_size=10)
    assert err.value.line == 31 and "e3" in err.value.message
    assert _count(db, Item) == 1
