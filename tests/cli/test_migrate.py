"""`labelwell migrate label-studio` from an export file and its labeling config;
re-running adds only what is new."""

from __future__ import annotations

import json
import socket

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from labelwell.cli import app
from labelwell.store.migrate import upgrade
from labelwell.store.tables import Annotation, GoldAnswer, Item, Prediction, User
from labelwell.work import accounts
from labelwell.work.projects import get_project_by_name_or_id, ontology_of

runner = CliRunner()

CONFIG = """<View>
  <Labels name="label" toName="text">
    <Label value="PER" background="red"/>
    <Label value="LOC" background="orange"/>
  </Labels>
  <Text name="text" value="$text"/>
  <Choices name="topic" toName="text" choice="single">
    <Choice value="news"/>
    <Choice value="sport"/>
  </Choices>
  <DateTime name="when" toName="text" only="date"/>
</View>"""

TEXT = "🇰🇷 서울에서 Kim 👍🏽 met Lee"  # a flag, Korean, a skin-toned emoji


def _span(rid: str, start: int, end: int, label: str) -> dict:
    value = {"start": start, "end": end, "text": TEXT[start:end], "labels": [label]}
    return {"id": rid, "from_name": "label", "to_name": "text", "type": "labels", "value": value}


def _task(tid: int, anns: list[dict], preds: list[dict] | None = None) -> dict:
    return {"id": tid, "data": {"text": TEXT}, "annotations": anns, "predictions": preds or []}


def _ann(aid: int, email: str, *regions: dict, gt: bool = False) -> dict:
    return {
        "id": aid,
        "completed_by": {"id": aid + 100, "email": email},
        "result": list(regions),
        "lead_time": 12.5,
        "ground_truth": gt,
        "was_cancelled": False,
        "created_at": "2025-05-01T10:00:00Z",
    }


TOPIC = {"id": "t", "from_name": "topic", "to_name": "text", "type": "choices",
         "value": {"choices": ["news"]}}  # fmt: skip
SEOUL = _span("s1", 3, 5, "LOC")  # 서울, after the flag (two code points) and a space
KIM = _span("s2", 8, 11, "PER")


def _export(tmp_path, tasks: list[dict], name: str = "export.json"):
    path = tmp_path / name
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def env(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_USER", "admin@example.org")
    upgrade(db)
    with db.session() as s:
        accounts.create_user(s, "admin@example.org", role="admin")
        accounts.create_user(s, "ann@example.org", role="annotator")
    (tmp_path / "config.xml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def _migrate(env, export) -> object:
    return runner.invoke(
        app,
        ["migrate", "label-studio", "--export", str(export), "--into", "moved",
         "--label-config", str(env / "config.xml")],
    )  # fmt: skip


def _stored(db):
    with db.read_session() as s:
        pid = get_project_by_name_or_id(s, "moved").id
        items = {
            ext: data["text"]
            for ext, data in s.execute(
                select(Item.external_id, Item.data).where(Item.project_id == pid)
            )
        }
        anns = s.execute(
            select(Annotation.agent, Annotation.user_id, Annotation.time_spent_ms,
                   Annotation.result, Annotation.details)
            .where(Annotation.project_id == pid).order_by(Annotation.id)
        ).all()  # fmt: skip
        preds = s.execute(
            select(Prediction.model_name, Prediction.score, Prediction.result)
            .where(Prediction.project_id == pid)
        ).all()  # fmt: skip
        gold = s.scalars(select(GoldAnswer.result).where(GoldAnswer.project_id == pid)).all()
        ann_user = s.scalar(select(User.id).where(User.email == "ann@example.org"))
    return items, anns, preds, gold, ann_user


def test_a_label_studio_export_becomes_a_project(db, env):
    pred = {"model_version": "ner-v3", "score": 0.75, "result": [KIM]}
    tasks = [
        _task(11, [_ann(1, "ann@example.org", SEOUL, KIM, TOPIC)], [pred]),
        _task(12, [_ann(2, "expert@example.org", TOPIC, gt=True)]),
    ]
    result = _migrate(env, _export(env, tasks))
    assert result.exit_code == 0, result.output
    assert "created project 'moved'" in result.output and "2 new items" in result.output
    assert "not converted: <DateTime name='when'>" in result.output
    with db.read_session() as s:
        onto = ontology_of(get_project_by_name_or_id(s, "moved")).to_dict()
    assert [(c["name"], c["type"]) for c in onto["controls"]] == [
        ("label", "spans"),
        ("topic", "choice"),
    ]
    items, anns, preds, gold, ann_user = _stored(db)
    assert items == {"11": TEXT, "12": TEXT}
    assert [(a.agent, a.time_spent_ms) for a in anns] == [
        ("ann@example.org", 12500),
        ("expert@example.org", 12500),
    ]
    assert anns[0].user_id == ann_user and anns[1].user_id is None  # an admin links any user
    spans = anns[0].result["label"]
    assert [(sp["text"], sp["label"]) for sp in spans] == [("서울", "LOC"), ("Kim", "PER")]
    assert [a.details["external_id"] for a in anns] == ["1", "2"]
    assert [(p.model_name, p.score, p.result["label"][0]["text"]) for p in preds] == [
        ("ner-v3", 0.75, "Kim")
    ]
    assert gold == [{"topic": "news"}]  # the ground truth, also kept as expert's annotation


def test_running_again_adds_only_what_is_new(db, env):
    first = [_task(11, [_ann(1, "ann@example.org", SEOUL)])]
    assert _migrate(env, _export(env, first)).exit_code == 0
    again = _migrate(env, _export(env, first))
    assert again.exit_code == 0, again.output
    assert "updated project 'moved'" in again.output
    assert "0 new items" in again.output and "1 tasks unchanged" in again.output
    pred = {"model_version": "ner-v4", "result": [KIM]}
    later = [
        _task(11, [_ann(1, "ann@example.org", SEOUL), _ann(3, "ann@example.org", KIM)], [pred]),
        _task(13, [_ann(4, "ann@example.org", TOPIC)]),
    ]
    third = _migrate(env, _export(env, later, "later.json"))
    assert third.exit_code == 0, third.output
    assert "1 new items, 1 new annotations and 1 new predictions" in third.output
    items, anns, preds, _, _ = _stored(db)
    assert sorted(items) == ["11", "13"]
    assert sorted(a.details["external_id"] for a in anns) == ["1", "3", "4"]
    assert [p.model_name for p in preds] == ["ner-v4"]
    assert _migrate(env, _export(env, later, "later.json")).output.count("unchanged") == 1
    assert len(_stored(db)[1]) == 3


def test_a_project_with_other_controls_is_not_mixed_into(db, env):
    other = env / "other.xml"
    other.write_text('<View><Text name="text" value="$text"/><Choices name="x" toName="text">'
                     '<Choice value="a"/></Choices></View>')  # fmt: skip
    export = _export(env, [_task(11, [])])
    assert _migrate(env, export).exit_code == 0
    result = runner.invoke(
        app,
        ["migrate", "label-studio", "--export", str(export), "--into", "moved",
         "--label-config", str(other)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "exists with other controls" in result.output


def test_bad_input_is_named(db, env):
    bad = env / "bad.xml"
    bad.write_text("<View><Text name='text'")
    export = _export(env, [_task(11, [])])
    result = runner.invoke(
        app,
        ["migrate", "label-studio", "--export", str(export), "--into", "m",
         "--label-config", str(bad)],
    )  # fmt: skip
    assert result.exit_code == 2 and "label_config is not XML" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["migrate", "label-studio", "--export", str(export)])
    assert result.exit_code == 2 and "--label-config and --into" in result.output
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = runner.invoke(
        app,
        ["migrate", "label-studio", "--url", f"http://127.0.0.1:{port}", "--project", "1"],
        env={"LABEL_STUDIO_TOKEN": "secret-token-value"},
    )
    assert result.exit_code == 2, result.output
    assert "Label Studio did not answer" in result.output
    assert "secret-token-value" not in result.output


def test_an_export_writes_its_label_config_and_migrates_back(db, env):
    tasks = [_task(11, [_ann(1, "ann@example.org", SEOUL, KIM, TOPIC)])]
    assert _migrate(env, _export(env, tasks)).exit_code == 0
    out = env / "out.json"
    result = runner.invoke(app, ["export", "moved", "-f", "label_studio", "-o", str(out),
                                 "--mode", "raw"])  # fmt: skip
    assert result.exit_code == 0, result.output
    config = env / "out.label_config.xml"
    assert f"wrote the Label Studio labeling config to {config}" in result.output
    assert '<Labels name="label" toName="text">' in config.read_text(encoding="utf-8")
    back = runner.invoke(
        app,
        ["migrate", "label-studio", "--export", str(out), "--into", "back",
         "--label-config", str(config)],
    )  # fmt: skip
    assert back.exit_code == 0, back.output
    assert "not converted" not in back.output
    with db.read_session() as s:
        results = {
            p: s.scalars(
                select(Annotation.result).where(
                    Annotation.project_id == get_project_by_name_or_id(s, p).id
                )
            ).all()
            for p in ("moved", "back")
        }
    assert results["back"] == results["moved"]
    refused = runner.invoke(app, ["export", "moved", "-f", "jsonl", "-o", str(env / "x.jsonl"),
                                  "--label-config", str(env / "c.xml")])  # fmt: skip
    assert refused.exit_code == 2 and "label_studio formats" in refused.output
