"""A label file onto a project's items from the CLI (`labelwell import
--predictions-of`), the API (`POST /projects/{id}/import-predictions`) and the
SDK (`import_predictions`): managers only, a bad file a 422 naming its line and
field, nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from labelwell import errors
from labelwell.cli import app
from labelwell.client import Client
from labelwell.formats.registry import ImportRow
from labelwell.store.tables import Prediction
from labelwell.work import items
from sdk_transport import Via
from world import build_world

TALK = {"name": "talk", "controls": [{"name": "turns", "type": "time_region", "source": "audio",
                                      "labels": ["speech", "music"]}]}  # fmt: skip
RTTM = (
    "SPEAKER call-1 1 0.500 2.000 <NA> <NA> Ann <NA> <NA>\n"
    "SPEAKER call-1 1 3.000 1.000 <NA> <NA> music <NA> <NA>\n"
    "SPEAKER {second} 1 1.000 1.000 <NA> <NA> Bo <NA> <NA>\n"
)


@pytest.fixture
def world(db):
    w = build_world(db, n_annotators=1, n_items=0, ontology=TALK, texts=[])
    with db.session() as s:
        items.import_rows(s, w.manager, w.project_id, [
            ImportRow(line=1, data={"audio": "a.wav"}, external_id="call-1"),
            ImportRow(line=2, data={"audio": "b.wav"}),
        ], filename="calls.jsonl")  # fmt: skip
    return w


def _stored(db) -> list[tuple[str, list]]:
    with db.read_session() as s:
        rows = s.execute(select(Prediction.model_name, Prediction.result).order_by(Prediction.id))
        return [(name, [(r["start"], r["label"], r.get("speaker")) for r in res["turns"]])
                for name, res in rows]  # fmt: skip


def _second_id(db, world) -> int:
    from labelwell.store.tables import Item

    with db.read_session() as s:
        return int(s.scalar(select(Item.id).where(Item.project_id == world.project_id,
                                                  Item.external_id.is_(None))))  # fmt: skip


def test_api_and_sdk_attach_an_rttm_file(api, db, world, tmp_path):
    second = _second_id(db, world)
    body = RTTM.format(second=second).encode()
    url = f"/api/v1/projects/{world.project_id}/import-predictions"
    ann = {"Authorization": f"Bearer {world.token(world.annotators[0])}"}
    r = api.post(url, params={"model": "pyannote"}, files={"file": ("d.rttm", body)}, headers=ann)
    assert r.status_code == 403, r.text
    bad = RTTM.format(second="nobody").encode()
    boss = {"Authorization": f"Bearer {world.token(world.manager)}"}
    r = api.post(url, params={"model": "pyannote"}, files={"file": ("d.rttm", bad)}, headers=boss)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"] == {"line": 3, "field": "external_id"}
    assert _stored(db) == []
    r = api.post(url, params={"model": "pyannote"}, files={"file": ("d.rttm", body)}, headers=boss)
    assert r.status_code == 201 and r.json() == {"count": 2}
    assert _stored(db) == [
        ("pyannote", [(0.5, "speech", "Ann"), (3.0, "music", None)]),
        ("pyannote", [(1.0, "speech", "Bo")]),
    ]
    path = tmp_path / "d.rttm"
    path.write_bytes(body)
    sdk = Client("http://testserver", world.token(world.manager), transport=Via(api))
    assert sdk.import_predictions(world.project_id, path, model="v2") == 2
    path.write_text("SPEAKER call-1 1 0.5 -2 <NA> <NA> Ann <NA> <NA>\n")
    with pytest.raises(errors.InvalidInput) as refused:
        sdk.import_predictions(world.project_id, path, model="v3")
    assert refused.value.field == "duration" and refused.value.line == 1
    assert [name for name, _ in _stored(db)] == ["pyannote", "pyannote", "v2", "v2"]


def test_the_cli_attaches_with_predictions_of(db, world, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_USER", world.manager.email)
    path = tmp_path / "calls.rttm"
    path.write_text(RTTM.format(second=_second_id(db, world)))
    args = ["import", str(world.project_id), str(path), "--predictions-of", "diarizer@1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "attached 2 predictions of 'diarizer@1'" in result.output
    path.write_text("SPEAKER call-1 1 0.5 x <NA> <NA> Ann <NA> <NA>\n")
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0 and "calls.rttm line 1: duration must be a number" in result.output
    assert [name for name, _ in _stored(db)] == ["diarizer@1", "diarizer@1"]
