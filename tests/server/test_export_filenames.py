"""Download file names: any project name exports, in every format, with an RFC 6266
Content-Disposition (RFC 5987 ``filename*`` plus an ASCII fallback); names with
control characters are refused when the project is made."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from labelwell.cli import app as cli_app
from labelwell.server.streaming import content_disposition
from world import SENTIMENT, build_world

KOREAN = "리뷰 한국어"


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=1, n_items=3)


def _manager(world):
    return {"Authorization": f"Bearer {world.token(world.manager)}"}


def test_content_disposition_has_utf8_name_and_ascii_fallback():
    header = content_disposition("리뷰 한국어.jsonl")
    assert header.isascii()
    assert header == (
        'attachment; filename="export.jsonl"; '
        f"filename*=UTF-8''{quote('리뷰 한국어.jsonl', safe='')}"
    )
    mixed = content_disposition('Café "reviews"\r\n; x=1.csv')
    assert mixed.isascii() and "\r" not in mixed and "\n" not in mixed
    assert mixed.startswith('attachment; filename="Cafe_reviews_x_1.csv"; filename*=UTF-8\'\'')


def test_korean_project_name_exports_with_an_encoded_file_name(api, world):
    made = api.post("/api/v1/projects", json={"name": KOREAN, "ontology": SENTIMENT},
                    headers=_manager(world))
    assert made.status_code == 201, made.text
    project_id = made.json()["id"]
    added = api.post(f"/api/v1/projects/{project_id}/items",
                     json={"items": [{"data": {"text": "좋아요"}}]}, headers=_manager(world))
    assert added.status_code == 201, added.text
    for fmt, ext in [("jsonl", "jsonl"), ("csv", "csv")]:
        response = api.get(f"/api/v1/projects/{project_id}/export", params={"format": fmt},
                           headers=_manager(world))
        assert response.status_code == 200, response.text
        disposition = response.headers["content-disposition"]
        assert f"filename*=UTF-8''{quote(f'{KOREAN}.{ext}', safe='')}" in disposition
        assert 'filename="export.' + ext + '"' in disposition
    assert json.loads(api.get(f"/api/v1/projects/{project_id}/export",
                              headers=_manager(world)).text.splitlines()[0])["data"] == {
        "text": "좋아요"}


@pytest.mark.parametrize(
    "name", ["two\r\nlines", "tab\there", "nul\x00byte", "bell\x07", "del\x7f"]
)
def test_project_names_with_control_characters_are_refused(api, world, name):
    response = api.post("/api/v1/projects", json={"name": name, "ontology": SENTIMENT},
                        headers=_manager(world))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]["field"] == "name"
    listed = api.get("/api/v1/projects", headers=_manager(world)).json()["data"]
    assert [p["name"] for p in listed] == ["p1"]


def test_cli_exports_a_korean_project(db, tmp_path, monkeypatch):
    world = build_world(db, n_annotators=1, n_items=2)
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LABELWELL_USER", world.manager.email)
    runner = CliRunner()
    config = tmp_path / "onto.json"
    config.write_text(json.dumps(SENTIMENT))
    made = runner.invoke(cli_app, ["project", "create", KOREAN, "--config", str(config)])
    assert made.exit_code == 0, made.output
    data = tmp_path / "items.jsonl"
    data.write_text(json.dumps({"text": "좋아요"}) + "\n")
    assert runner.invoke(cli_app, ["import", KOREAN, str(data)]).exit_code == 0
    out = tmp_path / f"{KOREAN}.jsonl"
    result = runner.invoke(cli_app, ["export", KOREAN, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text().splitlines()[0])["data"] == {"text": "좋아요"}
    refused = runner.invoke(cli_app, ["project", "create", "bad\nname", "--config", str(config)])
    assert refused.exit_code != 0 and "name" in refused.output
