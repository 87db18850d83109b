"""An export in a format the project's ontology cannot fill is refused before the
first byte (422 with the reason), from the API and the CLI; the registry answers
which formats fit, and the listing route reports it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from formats.fmt_samples import NER, VISION
from labelwell.cli import app as cli_app
from labelwell.formats.registry import EXPORTERS, fits
from world import SENTIMENT, build_world

PAIRWISE = {
    "name": "duel",
    "controls": [{"name": "preference", "type": "pairwise", "source": "responses"}],
}


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=1, n_items=3)


def _manager(world):
    return {"Authorization": f"Bearer {world.token(world.manager)}"}


@pytest.mark.parametrize(("fmt", "ontology", "ok", "needs"), [
    ("jsonl", SENTIMENT, True, None),
    ("csv", SENTIMENT, True, None),
    ("coco", SENTIMENT, False, "bbox"),
    ("coco", VISION, True, None),
    ("yolo", NER, False, "bbox"),
    ("voc", VISION, True, None),
    ("coco_panoptic", VISION, False, "panoptic"),
    ("dpo", SENTIMENT, False, "pairwise"),
    ("dpo_conversational", PAIRWISE, True, None),
    ("sft", PAIRWISE, False, "correction"),
    ("spacy", SENTIMENT, True, None),  # choices fill doc.cats
    ("spacy", VISION, False, "spans"),
    ("spacy", NER, True, None),
    ("conll", SENTIMENT, False, "spans"),
    ("conll", NER, True, None),
])
def test_registry_says_which_formats_fit(fmt, ontology, ok, needs):
    fit, reason = fits(fmt, ontology)
    assert fit is ok
    if ok:
        assert reason == ""
    else:
        assert needs in reason and fmt.split("_")[0] in reason and "choice" in reason or (
            needs in reason and ontology is not SENTIMENT)


@pytest.mark.parametrize("fmt", ["coco", "dpo", "sft", "voc", "yolo", "conll"])
def test_unfit_format_is_422_before_the_first_byte(api, world, fmt):
    response = api.get(f"/api/v1/projects/{world.project_id}/export",
                       params={"format": fmt}, headers=_manager(world))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["details"]["field"] == "format"
    assert fmt in error["message"] and "control" in error["message"]
    assert "content-disposition" not in response.headers


def test_format_listing_marks_what_fits(api, world):
    response = api.get(f"/api/v1/projects/{world.project_id}/export/formats",
                       headers=_manager(world))
    assert response.status_code == 200, response.text
    listed = {f["name"]: f for f in response.json()["data"]}
    assert set(listed) == set(EXPORTERS)
    assert listed["jsonl"]["fits"] and listed["csv"]["fits"] and listed["crowdkit"]["fits"]
    assert listed["jsonl"]["reason"] is None
    for name in ("coco", "dpo", "conll", "yolo"):
        assert not listed[name]["fits"] and "control" in listed[name]["reason"]
    assert listed["spacy"]["fits"]
    annotator = {"Authorization": f"Bearer {world.token(world.annotators[0])}"}
    assert api.get(f"/api/v1/projects/{world.project_id}/export/formats",
                   headers=annotator).status_code == 403


def test_fitting_formats_still_export(api, world):
    for fmt in ("jsonl", "csv", "crowdkit", "label_studio"):
        response = api.get(f"/api/v1/projects/{world.project_id}/export",
                           params={"format": fmt}, headers=_manager(world))
        assert response.status_code == 200, (fmt, response.text)
        assert response.content


def test_cli_refuses_an_unfit_format_and_leaves_no_file(db, tmp_path, monkeypatch):
    world = build_world(db, n_annotators=1, n_items=2)
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LABELWELL_USER", world.manager.email)
    runner = CliRunner()
    for fmt in ("coco", "dpo", "conll"):
        out = tmp_path / f"out.{fmt}"
        result = runner.invoke(cli_app, ["export", "p1", "-f", fmt, "-o", str(out)])
        assert result.exit_code != 0, result.output
        assert fmt in result.output and "control" in result.output
        assert list(tmp_path.glob("out.*")) == []
    ok = runner.invoke(cli_app, ["export", "p1", "-o", str(tmp_path / "out.jsonl")])
    assert ok.exit_code == 0, ok.output
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 2
    assert [p.name for p in tmp_path.glob("out.*")] == ["out.jsonl"]


POSE = {
    "name": "pose",
    "controls": [{"name": "pose", "type": "keypoints", "source": "image", "labels": [
        {"name": "person", "skeleton": {"keypoints": ["head", "hand"], "edges": [[0, 1]]}},
        {"name": "cat", "skeleton": {"keypoints": ["nose"], "edges": []}},
    ]}],
}


def test_cli_removes_the_partial_file_when_an_export_fails(db, tmp_path, monkeypatch):
    """A failure the control types alone do not show (YOLO pose needs one skeleton
    for every label) stops the export with its reason and leaves no partial file."""
    world = build_world(db, n_annotators=1, n_items=1)
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LABELWELL_USER", world.manager.email)
    runner = CliRunner()
    config = tmp_path / "pose.json"
    config.write_text(json.dumps(POSE))
    made = runner.invoke(cli_app, ["project", "create", "pose", "--config", str(config)])
    assert made.exit_code == 0, made.output
    data = tmp_path / "items.jsonl"
    data.write_text(json.dumps({"image": "a.jpg", "width": 10, "height": 10}) + "\n")
    assert runner.invoke(cli_app, ["import", "pose", str(data)]).exit_code == 0
    out = tmp_path / "out.zip"
    result = runner.invoke(cli_app, ["export", "pose", "-f", "yolo", "-o", str(out)])
    assert result.exit_code != 0, result.output
    assert "same keypoints" in result.output
    assert list(tmp_path.glob("out.*")) == []
