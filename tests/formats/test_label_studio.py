"""Label Studio import reads ``data/label_studio_export.json``, made with the real
label-studio-sdk 2.1.2 by ``data/make_label_studio_fixture.py`` (image tasks from
the SDK's ``convert_coco_to_ls``, as annotations and as predictions; text tasks
from its ``LabelInterface`` control tags, checked by ``validate_annotation``)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from formats.fmt_samples import KO, NER, VISION, label, ner_records, record, triples, vision_records
from labelwell.errors import InvalidInput
from labelwell.formats.label_studio import LabelStudioExporter, LabelStudioImporter
from labelwell.formats.registry import EXPORTERS, IMPORTERS

FIXTURE = Path(__file__).parent / "data" / "label_studio_export.json"


BOTH = {"name": "both", "controls": VISION["controls"] + NER["controls"]}


def test_reads_real_label_studio_export():
    assert "label_studio" in EXPORTERS and "label_studio" in IMPORTERS
    street, park, en, ko = LabelStudioImporter(BOTH).read(FIXTURE)
    assert street.data["width"] == 640 and street.data["height"] == 480
    assert street.external_id == "1"
    (ann,) = street.annotations
    boxes = sorted(ann["result"]["boxes"], key=lambda b: b["label"])
    assert [b["label"] for b in boxes] == ["cat", "dog"]
    got = [b[k] for b in boxes for k in ("x", "y", "width", "height")]
    assert got == pytest.approx([64, 48, 128, 96, 320, 240, 160, 120])
    assert ann["time_spent_ms"] == 12500 and ann["created_at"] == "2026-01-01T00:00:00Z"
    points = park.annotations[0]["result"]["outline"][0]["points"]
    assert [v for pt in points for v in pt] == pytest.approx([80, 60, 240, 60, 240, 180, 80, 180])
    (pred,) = park.predictions
    assert pred["score"] == 0.9 and pred["model_name"] == "coco-import"
    assert pred["result"]["boxes"][0]["label"] == "dog"
    assert ko.data["text"] == KO
    res = ko.annotations[0]["result"]
    assert [s["text"] for s in res["entities"]] == ["김민수", "서울", "삼성전자"]
    assert res["topic"] == "sport"
    assert [s["text"] for s in en.annotations[0]["result"]["entities"]] == [
        "Angela Merkel",
        "New York",
    ]


def test_wrong_ontology_is_rejected_with_field():
    with pytest.raises(InvalidInput) as err:
        list(LabelStudioImporter(VISION).read(FIXTURE))
    assert err.value.field == "tasks[2].annotations[0].result[0].from_name"


def _export(records, ontology, **kw) -> bytes:
    buf = io.BytesIO()
    LabelStudioExporter(**kw).write(records, buf, ontology)
    return buf.getvalue()


def test_round_trip_vision(tmp_path):
    records = vision_records()
    p = tmp_path / "ls.json"
    p.write_bytes(_export(records, VISION, labels="raw"))
    rows = list(LabelStudioImporter(VISION, unsupported="skip").read(p))
    assert [r.external_id for r in rows] == ["a", "b", "c"]
    for rec, row in zip(records, rows, strict=True):
        assert [a["annotator"] for a in row.annotations] == [
            a.provenance.agent for a in rec.annotations
        ]
        for want, got in zip(rec.annotations, row.annotations, strict=True):
            for i, box in enumerate(want.result.get("boxes", [])):
                g = got["result"]["boxes"][i]
                assert g["id"] == box["id"] and g["label"] == box["label"]
                assert [g[k] for k in ("x", "y", "width", "height")] == pytest.approx(
                    [box[k] for k in ("x", "y", "width", "height")]
                )
    # import -> export -> import keeps the labels
    again = [
        record(i, r.data, [label(a["result"], a["annotator"]) for a in r.annotations])
        for i, r in enumerate(rows)
    ]
    p2 = tmp_path / "ls2.json"
    p2.write_bytes(_export(again, VISION, labels="raw"))
    rows2 = list(LabelStudioImporter(VISION, unsupported="skip").read(p2))
    assert json.dumps([r.annotations for r in rows2]) == json.dumps(
        [[{k: v for k, v in a.items() if k != "extra"} for a in r.annotations] for r in rows]
    )


def test_round_trip_text_with_gold_and_emoji(tmp_path):
    text = "😀 Angela in 서울"
    res = {
        "entities": [
            {"id": "e1", "start": 2, "end": 8, "label": "PER", "text": "Angela"},
            {"id": "e2", "start": 12, "end": 14, "label": "LOC", "text": "서울"},
        ],
        "topic": "news",
    }
    rec = record(1, {"text": text}, [label(res, "alice")], gold=label(res, "expert", "gold"))
    raw = json.loads(_export([rec], NER))
    spans = [r["value"] for r in raw[0]["annotations"][0]["result"] if r["type"] == "labels"]
    # Label Studio counts code points (its editor measures `[...text].length`).
    assert [(v["start"], v["end"], v["text"]) for v in spans] == [
        (2, 8, "Angela"),
        (12, 14, "서울"),
    ]
    p = tmp_path / "t.json"
    p.write_bytes(_export([rec], NER))
    (row,) = LabelStudioImporter(NER).read(p)
    assert triples(row.annotations[0]["result"]["entities"]) == triples(res["entities"])
    assert row.gold == res
    assert row.annotations[0]["annotator"] == "alice"


def test_ner_records_round_trip(tmp_path):
    p = tmp_path / "n.json"
    p.write_bytes(_export(ner_records(), NER, labels="raw"))
    rows = list(LabelStudioImporter(NER).read(p))
    assert triples(rows[1].annotations[0]["result"]["entities"]) == triples(
        ner_records()[1].annotations[0].result["entities"]
    )


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ([{"nodata": 1}], "tasks[0].data"),
        (
            [
                {
                    "data": {"text": "x"},
                    "annotations": [{"result": [{"type": "videorectangle", "value": {}}]}],
                }
            ],
            "tasks[0].annotations[0].result[0]",
        ),
        (
            [
                {
                    "data": {"text": "x"},
                    "annotations": [{"result": [{"type": "brushlabels", "value": {}}]}],
                }
            ],
            "tasks[0].annotations[0].result[0].from_name",
        ),
        (
            [
                {
                    "data": {"text": "x"},
                    "annotations": [
                        {
                            "result": [
                                {
                                    "type": "labels",
                                    "from_name": "entities",
                                    "value": {"start": 0, "end": 1, "labels": ["CITY"]},
                                }
                            ]
                        }
                    ],
                }
            ],
            "tasks[0].annotations[0].result[0]",
        ),
        (
            [
                {
                    "data": {"text": "x"},
                    "annotations": [
                        {"result": [{"type": "labels", "from_name": "entities", "value": {}}]}
                    ],
                }
            ],
            "tasks[0].annotations[0].result[0]",
        ),
    ],
)
def test_import_errors(tmp_path, doc, field):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(InvalidInput) as err:
        list(LabelStudioImporter(NER).read(p))
    assert err.value.field == field


LS_FIXTURES = Path(__file__).parent / "fixtures" / "ls"


def test_spans_after_an_emoji_import_as_label_studio_drew_them():
    (row,) = LabelStudioImporter(NER).read(LS_FIXTURES / "emoji_spans.json")
    spans = row.annotations[0]["result"]["entities"]
    assert [s["text"] for s in spans] == ["Carol", "서울"]
    assert [row.data["text"][s["start"] : s["end"]] for s in spans] == ["Carol", "서울"]


def test_span_text_that_disagrees_with_the_offsets_is_refused(tmp_path):
    doc = json.loads((LS_FIXTURES / "emoji_spans.json").read_text())
    value = doc[0]["annotations"][0]["result"][0]["value"]
    value["start"], value["end"] = value["start"] + 1, value["end"] + 1  # UTF-16 offsets
    p = tmp_path / "shifted.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(InvalidInput) as err:
        list(LabelStudioImporter(NER).read(p))
    assert err.value.line == 1
    assert err.value.field == "tasks[0].annotations[0].result[0].value.text"
    assert "'Carol'" in err.value.message and "'arol '" in err.value.message


def test_plain_export_with_prediction_ids_skips_them_with_a_warning():
    importer = LabelStudioImporter(NER)
    rows = list(importer.read(LS_FIXTURES / "plain_export.json"))
    assert [r.external_id for r in rows] == ["11", "12"]
    assert all(r.predictions == [] for r in rows)
    assert len(importer.warnings) == 1
    assert (
        "2 predictions" in importer.warnings[0]
        and "tasks[0].predictions[0]" in (importer.warnings[0])
    )
    # completed_by as a bare id: each Label Studio user stays a separate annotator
    assert [a["annotator"] for a in rows[0].annotations] == ["label-studio:7", "label-studio:9"]
    assert rows[0].annotations[0]["result"]["topic"] == "news"


def test_expanded_completed_by_gives_the_annotators_email():
    rows = list(LabelStudioImporter(NER).read(LS_FIXTURES / "expanded_annotators.json"))
    assert [a["annotator"] for r in rows for a in r.annotations] == [
        "alice@example.org",
        "bob@example.org",
        "alice@example.org",
    ]
