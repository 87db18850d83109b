"""Label Studio pairwise and ranker results: labelwell -> Label Studio -> labelwell
gives the same answers (tie and both_bad through the companion ``choices``
region), and pairwise and ranker tasks made with label-studio-sdk 2.1.2
(``fixtures/label_studio_rich_export.json``) import."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from formats.fmt_samples import label, record
from labelwell.errors import InvalidInput
from labelwell.formats.label_studio import LabelStudioExporter, LabelStudioImporter
from labelwell.rlhf.imports import read_label_studio_pairwise
from labelwell.schema import Ontology
from labelwell.store.tables import Annotation, Item
from labelwell.work import items
from world import build_world

FIXTURE = Path(__file__).parent / "fixtures" / "label_studio_rich_export.json"
PREFS = {
    "name": "prefs",
    "controls": [
        {"name": "comparison", "type": "pairwise"},
        {"name": "order", "type": "ranking", "allow_ties": True},
    ],
}
PAIR = {
    "prompt": "Name a prime.",
    "responses": [{"id": "r1", "text": "7"}, {"id": "r2", "text": "8"}],
}
THREE = {
    "prompt": "Sort these.",
    "responses": [{"id": f"r{i}", "text": f"answer {i}"} for i in (1, 2, 3)],
}


def _export(records) -> bytes:
    buf = io.BytesIO()
    LabelStudioExporter(labels="raw").write(records, buf, PREFS)
    return buf.getvalue()


def _import(tmp_path: Path, doc, **kw):
    p = tmp_path / "ls.json"
    p.write_bytes(doc if isinstance(doc, bytes) else json.dumps(doc).encode())
    return list(LabelStudioImporter(PREFS, **kw).read(p))


ANSWERS = [
    {"choice": "a"},
    {"choice": "b", "reason": "the second is correct"},
    {"choice": "tie", "reason": "both fine"},
    {"choice": "both_bad"},
]


def test_pairwise_round_trip(tmp_path):
    records = [
        record(i, PAIR, [label({"comparison": a}, f"user{i}")])
        for i, a in enumerate(ANSWERS, start=1)
    ]
    raw = json.loads(_export(records))
    results = [t["annotations"][0]["result"] for t in raw]
    assert results[0] == [
        {
            "id": "comparison",
            "from_name": "comparison",
            "to_name": "comparison",
            "type": "pairwise",
            "value": {"selected": "left"},
        }
    ]
    assert [r["type"] for r in results[1]] == ["pairwise", "textarea"]
    assert results[1][0]["value"] == {"selected": "right"}
    assert results[1][1]["from_name"] == "comparison_reason"
    assert results[1][1]["value"] == {"text": ["the second is correct"]}
    assert results[2][0]["from_name"] == "comparison_choice"
    assert results[2][0]["value"] == {"choices": ["tie"]}
    assert results[3][0]["value"] == {"choices": ["both_bad"]}
    rows = _import(tmp_path, json.dumps(raw).encode())
    ont = Ontology.from_dict(PREFS)
    for want, row in zip(ANSWERS, rows, strict=True):
        (ann,) = row.annotations
        assert ann["result"] == {"comparison": want}
        assert row.data == PAIR
        ont.validate(ann["result"], row.data)


@pytest.mark.parametrize(
    ("ranking", "ranker"),
    [
        ([["r2"], ["r3"], ["r1"]], {"order": ["r2", "r3", "r1"]}),
        ([["r2", "r3"], ["r1"]], {"rank_1": ["r2", "r3"], "rank_2": ["r1"]}),
    ],
)
def test_ranking_round_trip(tmp_path, ranking, ranker):
    raw = _export([record(1, THREE, [label({"order": ranking})])])
    (region,) = json.loads(raw)[0]["annotations"][0]["result"]
    assert region["type"] == "ranker" and region["to_name"] == "responses"
    assert region["value"] == {"ranker": ranker}
    (row,) = _import(tmp_path, raw)
    assert row.annotations[0]["result"] == {"order": ranking}
    Ontology.from_dict(PREFS).validate(row.annotations[0]["result"], row.data)


def test_reads_pairwise_and_ranker_made_by_label_studio_sdk(tmp_path):
    tasks = json.loads(FIXTURE.read_text())[1:]
    prime, paris, ranked = _import(tmp_path, tasks)
    assert prime.data["responses"] == [
        {"id": "answer1", "text": "7"},
        {"id": "answer2", "text": "8"},
    ]
    assert prime.data["prompt"] == "Name a prime." and prime.external_id == "2"
    assert [a["result"] for a in prime.annotations] == [{"comparison": {"choice": "a"}}] * 2
    assert [a["annotator"] for a in prime.annotations] == [
        "annotator1@example.org",
        "annotator2@example.org",
    ]
    assert paris.annotations[0]["result"] == {"comparison": {"choice": "b"}}
    assert ranked.annotations[0]["result"] == {"order": [["r2"], ["r3"], ["r1"]]}
    for row, ctrl in ((prime, 0), (paris, 0), (ranked, 1)):
        ont = Ontology.from_dict({"name": "one", "controls": [PREFS["controls"][ctrl]]})
        ont.validate_data(row.data)
        for ann in row.annotations:
            ont.validate(ann["result"], row.data)
    # the RLHF importer reads the same tasks to the same preferences
    p = tmp_path / "pairs.json"
    p.write_text(json.dumps(tasks[:2]))
    _, comparisons = read_label_studio_pairwise(p)
    ours = [a["result"]["comparison"]["choice"] for r in (prime, paris) for a in r.annotations]
    assert [c.outcome for c in comparisons] == ours


def test_pairwise_fields_are_configurable(tmp_path):
    task = {
        "data": {"left": "yes", "right": "no"},
        "annotations": [
            {
                "result": [
                    {"from_name": "comparison", "type": "pairwise", "value": {"selected": "right"}}
                ]
            }
        ],
    }
    (row,) = _import(tmp_path, [task], pairwise_fields=("left", "right"))
    assert [r["id"] for r in row.data["responses"]] == ["left", "right"]
    assert row.annotations[0]["result"] == {"comparison": {"choice": "b"}}


def test_named_buckets_need_their_order(tmp_path):
    region = {
        "from_name": "order",
        "to_name": "responses",
        "type": "ranker",
        "value": {"ranker": {"worst": ["r1"], "best": ["r2", "r3"]}},
    }
    task = {"data": THREE, "annotations": [{"result": [region]}]}
    (row,) = _import(tmp_path, [task], ranker_buckets=["best", "worst"])
    assert row.annotations[0]["result"] == {"order": [["r2", "r3"], ["r1"]]}
    with pytest.raises(InvalidInput, match="no known order") as err:
        _import(tmp_path, [task])
    assert err.value.field == "tasks[0].annotations[0].result[0].value.ranker"


F = "tasks[0].annotations[0].result"


def _pw(selected):
    return {"from_name": "comparison", "type": "pairwise", "value": {"selected": selected}}


def _companion(role, value):
    kind = "choices" if role == "choice" else "textarea"
    key = "choices" if role == "choice" else "text"
    return {"from_name": f"comparison_{role}", "type": kind, "value": {key: value}}


def _rank(ranker):
    return {"from_name": "order", "type": "ranker", "value": {"ranker": ranker}}


@pytest.mark.parametrize(
    ("regions", "field", "message"),
    [
        ([_pw("middle")], f"{F}[0].value.selected", "'left' or 'right'"),
        ([_pw("left"), _companion("choice", ["tie"])], f"{F}[1]", "answered twice"),
        ([_companion("choice", ["maybe"])], f"{F}[0].value.choices", "not one of"),
        ([_companion("reason", ["why"])], f"{F}[0]", "no choice"),
        ([_rank({"order": ["r1", "r1"]})], f"{F}[0].value.ranker", "ranked twice"),
        ([_rank({"order": "r1"})], f"{F}[0].value.ranker.order", "list of response ids"),
        ([_rank({"order": []})], f"{F}[0].value.ranker", "ranks no response"),
    ],
)
def test_bad_preference_regions_name_the_field(tmp_path, regions, field, message):
    task = {"data": THREE, "annotations": [{"result": regions}]}
    with pytest.raises(InvalidInput, match=message) as err:
        _import(tmp_path, [task])
    assert err.value.field == field


def test_project_import_of_label_studio_pairwise_export(db, tmp_path):
    ontology = {"name": "pw", "controls": [PREFS["controls"][0]]}
    w = build_world(db, n_items=0, ontology=ontology)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(json.loads(FIXTURE.read_text())[1:3]))
    with db.session() as s:
        record = items.import_file(s, w.manager, w.project_id, path, fmt="label_studio")
    assert record.n_items == 2
    with db.session() as s:
        stored = s.scalars(select(Item).order_by(Item.id)).all()
        assert [i.data["responses"][1]["text"] for i in stored] == ["8", "Paris"]
        results = s.scalars(select(Annotation.result).order_by(Annotation.id)).all()
        assert [r["comparison"]["choice"] for r in results] == ["a", "a", "b"]
    # a bad region refuses the whole file and stores nothing
    tasks = json.loads(path.read_text())
    tasks[1]["annotations"][0]["result"][0]["value"]["selected"] = "up"
    path.write_text(json.dumps(tasks))
    with pytest.raises(InvalidInput) as err, db.session() as s:
        items.import_file(s, w.manager, w.project_id, path, fmt="label_studio")
    assert err.value.field == "tasks[1].annotations[0].result[0].value.selected"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Item)) == 2


def test_pairwise_in_label_studios_comparison_template_layout(tmp_path):
    from labelwell.formats.registry import EXPORTERS

    records = [
        record(i, PAIR, [label({"comparison": a}, f"user{i}")])
        for i, a in enumerate(ANSWERS, start=1)
    ]
    exporter = EXPORTERS["label_studio_comparison"]()
    assert exporter.pairwise_layout == "comparison"
    buf = io.BytesIO()
    exporter.write(records, buf, PREFS)
    raw = json.loads(buf.getvalue())
    # The template's <Text name="answer1" value="$answer1"/> and "$answer2"
    assert raw[0]["data"]["prompt"] == "Name a prime."
    assert (raw[0]["data"]["answer1"], raw[0]["data"]["answer2"]) == ("7", "8")
    (region,) = raw[0]["annotations"][0]["result"]
    assert region["to_name"] == "answer1,answer2" and region["value"] == {"selected": "left"}
    tie = raw[2]["annotations"][0]["result"]
    assert [(r["from_name"], r["to_name"]) for r in tie] == [
        ("comparison_choice", "prompt"),
        ("comparison_reason", "prompt"),
    ]
    rows = _import(tmp_path, buf.getvalue())
    for want, row in zip(ANSWERS, rows, strict=True):
        assert row.annotations[0]["result"] == {"comparison": want}


def test_comparison_layout_needs_two_responses():
    with pytest.raises(InvalidInput) as err:
        LabelStudioExporter(pairwise_layout="comparison").write(
            [record(5, THREE, [label({"comparison": {"choice": "a"}})])], io.BytesIO(), PREFS
        )
    assert "item 5" in err.value.message and err.value.field == "responses"
    with pytest.raises(InvalidInput):
        LabelStudioExporter(pairwise_layout="sideways")
