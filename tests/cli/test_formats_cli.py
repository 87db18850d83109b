"""Interchange formats through the CLI and the API: a labeled image project goes
out as COCO (read back by pycocotools), comes back in as a new project, and the
API streams the same export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from labelwell.cli import app
from labelwell.demo import create_demo
from labelwell.server import create_app
from labelwell.settings import Settings
from labelwell.store.migrate import upgrade
from labelwell.store.tables import User
from labelwell.work import accounts, queue
from labelwell.work.actors import Actor
from labelwell.work.projects import get_project_by_name_or_id

pycocotools = pytest.importorskip("pycocotools.coco")

runner = CliRunner()
BOXES = [
    {"id": "b1", "label": "square", "x": 10, "y": 12, "width": 40, "height": 40},
    {"id": "b2", "label": "bar", "x": 100, "y": 60, "width": 90, "height": 24},
]


def test_coco_out_and_back_in_through_the_cli_and_api(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_USER", "admin@demo.labelwell")
    with db.session() as s:
        create_demo(s, tmp_path)
        annotator = Actor.of(accounts.get_user_by_email(s, "ann1@demo.labelwell"))
        project = get_project_by_name_or_id(s, "demo-boxes")
        project.gold_ratio = 0.0
    for _ in range(3):
        with db.session() as s:
            task = queue.next_task(s, annotator, project.id)
        with db.session() as s:
            queue.submit(s, annotator, task.assignment_id, {"objects": BOXES})

    out = tmp_path / "boxes.json"
    result = runner.invoke(app, ["export", "demo-boxes", "--format", "coco", "-o", str(out)])
    assert result.exit_code == 0, result.output
    coco = pycocotools.COCO(str(out))
    assert len(coco.getAnnIds()) >= 6
    assert {c["name"] for c in coco.loadCats(coco.getCatIds())} == {"square", "bar"}

    config = tmp_path / "boxes.yaml"
    config.write_text(
        json.dumps(
            {
                "name": "copy",
                "controls": [
                    {
                        "name": "objects",
                        "type": "bbox",
                        "source": "image",
                        "labels": [{"name": "square"}, {"name": "bar"}],
                    }
                ],
            }
        )
    )
    assert runner.invoke(app, ["project", "create", "copy", "--config", str(config)]).exit_code == 0
    result = runner.invoke(app, ["import", "copy", str(out), "--format", "coco"])
    assert result.exit_code == 0, result.output
    again = tmp_path / "again.json"
    assert (
        runner.invoke(app, ["export", "copy", "--format", "coco", "-o", str(again)]).exit_code == 0
    )
    first = sorted(tuple(a["bbox"]) for a in json.loads(out.read_text())["annotations"])
    second = sorted(tuple(a["bbox"]) for a in json.loads(again.read_text())["annotations"])
    assert first == second

    with db.session() as s:
        token = accounts.create_token(
            s, s.get(User, accounts.get_user_by_email(s, "admin@demo.labelwell").id)
        ).token
    settings = Settings(database_url=db.url, home=tmp_path)
    with TestClient(create_app(settings, database=db, migrate=False)) as api:
        response = api.get(
            f"/api/v1/projects/{project.id}/export",
            params={"format": "coco"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200
    assert sorted(tuple(a["bbox"]) for a in response.json()["annotations"]) == first


LS_FIXTURES = Path(__file__).parents[1] / "formats" / "fixtures" / "ls"
NER_PROJECT = {
    "name": "ner",
    "controls": [
        {"name": "entities", "type": "spans", "source": "text", "labels": ["PER", "LOC", "ORG"]},
        {"name": "topic", "type": "choice", "source": "text", "options": ["news", "sport"]},
    ],
}


def _ner_project(db, tmp_path, monkeypatch, name: str = "ls") -> None:
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_USER", "admin@example.org")
    upgrade(db)
    with db.session() as s:
        if s.query(User).filter_by(email="admin@example.org").first() is None:
            accounts.create_user(s, "admin@example.org", role="admin")
            accounts.create_user(s, "bob@example.org", role="annotator")
    config = tmp_path / f"{name}.json"
    config.write_text(json.dumps(NER_PROJECT))
    result = runner.invoke(app, ["project", "create", name, "--config", str(config)])
    assert result.exit_code == 0, result.output


def _agents(db, project: str) -> list[tuple[str, int | None, bool | None]]:
    from sqlalchemy import select

    from labelwell.store.tables import Annotation

    with db.session() as s:
        pid = get_project_by_name_or_id(s, project).id
        rows = s.execute(
            select(Annotation.agent, Annotation.user_id)
            .where(Annotation.project_id == pid)
            .order_by(Annotation.id)
        ).all()
        out = []
        for agent, uid in rows:
            user = s.get(User, uid) if uid is not None else None
            out.append((agent, uid and user.id, user.is_active if user else None))
        return out


def test_label_studio_annotators_map_to_users_by_email(db, tmp_path, monkeypatch):
    _ner_project(db, tmp_path, monkeypatch)
    fixture = str(LS_FIXTURES / "expanded_annotators.json")
    result = runner.invoke(
        app, ["import", "ls", fixture, "--format", "label_studio", "--annotators", "refuse"]
    )
    assert result.exit_code == 2
    assert "alice@example.org" in result.output and "bob@example.org" not in result.output
    assert _agents(db, "ls") == []  # nothing stored
    result = runner.invoke(
        app, ["import", "ls", fixture, "--format", "label_studio", "--annotators", "create"]
    )
    assert result.exit_code == 0, result.output
    agents = _agents(db, "ls")
    assert [a for a, _, _ in agents] == [
        "alice@example.org",
        "bob@example.org",
        "alice@example.org",
    ]
    assert all(uid is not None for _, uid, _ in agents)
    assert [active for _, _, active in agents] == [False, True, False]  # alice is a placeholder


def test_label_studio_plain_export_warns_about_prediction_ids(db, tmp_path, monkeypatch):
    _ner_project(db, tmp_path, monkeypatch)
    fixture = str(LS_FIXTURES / "plain_export.json")
    result = runner.invoke(app, ["import", "ls", fixture, "--format", "label_studio"])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "predictions given only as ids" in result.output
    assert [a for a, _, _ in _agents(db, "ls")] == [
        "label-studio:7",
        "label-studio:9",
        "label-studio:7",
    ]


def test_export_chooses_the_exporters_mode_and_control(db, tmp_path, monkeypatch):
    import zipfile

    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_USER", "admin@demo.labelwell")
    with db.session() as s:
        create_demo(s, tmp_path)
    out = tmp_path / "y.zip"
    args = ["export", "demo-boxes", "--format", "yolo", "-o", str(out)]
    result = runner.invoke(app, [*args, "--control", "objects", "--mode", "raw"])
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(out).namelist()
    assert "data.yaml" in names and "labelwell_items.jsonl" in names
    result = runner.invoke(app, [*args, "--control", "nope"])
    assert result.exit_code == 2 and "nope" in result.output
    assert not out.with_name("y.zip.partial").exists()
    result = runner.invoke(app, [*args, "--mode", "aggregated"])
    assert result.exit_code == 2 and "raw, consensus, both" in result.output
    jsonl = ["export", "demo-boxes", "--format", "jsonl", "-o", str(tmp_path / "a.jsonl")]
    result = runner.invoke(app, [*jsonl, "--mode", "raw"])
    assert result.exit_code == 2 and "--labels" in result.output
    result = runner.invoke(app, [*jsonl, "--control", "objects"])
    assert result.exit_code == 2 and "jsonl" in result.output
