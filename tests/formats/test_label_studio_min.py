"""Label Studio's flat exports, JSON_MIN, CSV and TSV (one record per
annotation: the task's data, ``id``, one key per control, ``annotator``,
``annotation_id``, ``created_at``, ``updated_at``, ``lead_time``), in the
shapes label-studio-sdk's converter writes (fixtures/ls)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formats.fmt_samples import NER
from labelwell.errors import InvalidInput
from labelwell.formats.label_studio_min import LabelStudioFlatImporter
from labelwell.formats.registry import IMPORTERS

LS = Path(__file__).parent / "fixtures" / "ls"
BOXES = {
    "name": "b",
    "controls": [{"name": "label", "type": "bbox", "source": "image", "labels": ["cat", "dog"]}],
}


@pytest.mark.parametrize(
    ("fmt", "file", "who"),
    [
        ("label_studio_min", "json_min.json", ["label-studio:7", "label-studio:9"]),
        ("label_studio_csv", "export.csv", ["alice@example.org", "bob@example.org"]),
        ("label_studio_tsv", "export.tsv", ["alice@example.org", "bob@example.org"]),
    ],
)
def test_flat_exports_import_one_item_per_task(fmt, file, who):
    importer = IMPORTERS[fmt]()
    importer.ontology = NER
    rows = list(importer.read(LS / file))
    assert [r.external_id for r in rows] == ["11", "12"]
    first, second = rows
    assert first.data == {"text": "Angela Merkel visited New York."}
    assert [a["annotator"] for a in first.annotations] == who
    alice, bob = (a["result"] for a in first.annotations)
    assert alice["topic"] == "news" and bob == {"topic": "sport"}
    assert [(s["start"], s["end"], s["label"]) for s in alice["entities"]] == [(0, 13, "PER")]
    assert first.annotations[0]["time_spent_ms"] == 3200
    assert second.annotations[0]["result"]["entities"][0]["text"] == "서울"


def test_json_min_boxes_in_percent():
    (row,) = LabelStudioFlatImporter(BOXES).read(LS / "json_min_boxes.json")
    assert row.data["image"] == "/data/upload/3/8f2a91c4-street.png"
    (box,) = row.annotations[0]["result"]["label"]
    assert [box[k] for k in ("x", "y", "width", "height")] == pytest.approx([8, 12, 16, 24])


def test_flat_export_needs_an_ontology_and_names_bad_cells(tmp_path):
    with pytest.raises(InvalidInput, match="ontology"):
        list(LabelStudioFlatImporter().read(LS / "json_min.json"))
    bad = (LS / "export.csv").read_text().replace('[{""start"": 0', '[{""start"": 1', 1)
    p = tmp_path / "bad.csv"
    p.write_text(bad)
    with pytest.raises(InvalidInput) as err:
        list(LabelStudioFlatImporter(NER, delimiter=",").read(p))
    assert err.value.line == 2 and err.value.field == "entities[0].value.text"
    p.write_text((LS / "export.csv").read_text().replace('"[{""start""', '"[{""start"', 1))
    with pytest.raises(InvalidInput) as err:
        list(LabelStudioFlatImporter(NER, delimiter=",").read(p))
    assert (err.value.line, err.value.field) == (2, "entities")
    p.write_text(json.dumps({"not": "a list"}))
    with pytest.raises(InvalidInput, match="list of records"):
        list(LabelStudioFlatImporter(NER).read(p))
