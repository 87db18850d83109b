"""The mask tool's routes: pyramid tiles, superpixels, GrabCut and the
interactive model, for members of the item's project only; suggestions, never
stored labels; bad input a 4xx naming the field."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pycocotools import mask as cocomask
from sqlalchemy import func, select

from labelwell.formats.registry import ImportRow
from labelwell.server import create_app
from labelwell.store.tables import Annotation, Prediction
from labelwell.work import items, projects
from segment_server import segment_server
from world import build_world

ONTOLOGY = {
    "name": "seg",
    "controls": [{"name": "seg", "type": "mask", "source": "image", "labels": ["leaf"]}],
}
TRUTH = (slice(60, 160), slice(80, 200))


@pytest.fixture
def world(db, settings):
    rgb = np.full((240, 320, 3), 200, np.uint8)
    rgb[TRUTH] = (40, 150, 60)
    (settings.home / "media").mkdir(exist_ok=True)
    Image.fromarray(rgb).save(settings.home / "media" / "leaf.png")
    w = build_world(db, n_annotators=2, texts=["x"])
    with db.session() as s:
        project = projects.create_project(s, w.manager, "seg", ONTOLOGY, gold_ratio=0.0)
        projects.set_member(s, w.manager, project.id, w.annotators[0].id, "annotator")
        row = ImportRow(line=1, data={"image": "leaf.png"}, external_id="leaf")
        items.import_rows(s, w.manager, project.id, [row], filename="seg.jsonl")
        w.project_id = project.id
    return w


@pytest.fixture
def api(db, settings, world):
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        yield client


def _as(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def _item(api, world):
    r = api.get(f"/api/v1/projects/{world.project_id}/items", headers=_as(world, world.manager))
    assert r.status_code == 200, r.text
    return next(i["id"] for i in r.json()["data"] if i["data"].get("image") == "leaf.png")


def _lease(api, world):
    """The annotator takes the item (annotators reach only items leased to them)."""
    r = api.post(
        f"/api/v1/projects/{world.project_id}/tasks/next", headers=_as(world, world.annotators[0])
    )
    assert r.status_code == 200, r.text


def _truth():
    m = np.zeros((240, 320), bool)
    m[TRUTH] = True
    return m


def _mask(rle):
    return cocomask.decode({"size": rle["size"], "counts": rle["counts"].encode()}).astype(bool)


def _iou(a, b):
    return float((a & b).sum() / (a | b).sum())


def test_pyramid_and_tiles(api, world, settings):
    item = _item(api, world)
    r = api.get(f"/api/v1/items/{item}/media/0/pyramid", headers=_as(world, world.manager))
    assert r.status_code == 200, r.text
    assert r.json() == {"width": 320, "height": 240, "tile": 512, "levels": 1}
    r = api.get(f"/api/v1/items/{item}/media/0/tiles/0/0/0", headers=_as(world, world.manager))
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(r.content)) as im:
        assert im.size == (320, 240)
    assert list((settings.home / "cache" / "tiles").glob("*/pyramid.json"))
    r = api.get(f"/api/v1/items/{item}/media/0/tiles/0/1/0", headers=_as(world, world.manager))
    assert r.status_code == 404


def test_superpixels_png(api, world):
    item = _item(api, world)
    r = api.get(
        f"/api/v1/items/{item}/media/0/superpixels",
        params={"n": 100},
        headers=_as(world, world.manager),
    )
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(r.content)) as im:
        ids = np.asarray(im.convert("RGB")).astype(int)
    ids = ids[..., 0] + 256 * ids[..., 1]
    assert ids.shape == (240, 320) and 30 < len(np.unique(ids)) < 200


def test_grabcut_is_a_suggestion(api, world, db):
    item = _item(api, world)
    _lease(api, world)
    r = api.post(
        f"/api/v1/items/{item}/media/0/grabcut",
        json={"box": [60, 40, 160, 140]},
        headers=_as(world, world.annotators[0]),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"] == "grabcut" and body["rle"]["size"] == [240, 320]
    mask = _mask(body["rle"])
    assert body["area"] == int(mask.sum())
    assert _iou(mask, _truth()) > 0.95
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Annotation)) == 0
        assert s.scalar(select(func.count()).select_from(Prediction)) == 0


def test_interactive_model_through_the_project_setting(api, world):
    item = _item(api, world)
    _lease(api, world)
    url = f"/api/v1/items/{item}/media/0/segment"
    r = api.post(url, json={"points": [[120, 100, 1]]}, headers=_as(world, world.annotators[0]))
    assert r.status_code == 422 and "segment_model_url" in r.text
    with segment_server() as server:
        r = api.patch(
            f"/api/v1/projects/{world.project_id}/settings",
            json={"segment_model_url": server},
            headers=_as(world, world.manager),
        )
        assert r.status_code == 200, r.text
        r = api.post(url, json={"points": [[120, 100, 1]]}, headers=_as(world, world.annotators[0]))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["source"] == "flood-fill@1" and body["score"] == pytest.approx(0.9)
        assert _iou(_mask(body["rle"]), _truth()) > 0.98
        r = api.post(url, json={"points": []}, headers=_as(world, world.annotators[0]))
        assert r.status_code == 422 and "points" in r.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"box": [300, 10, 100, 10]}, "box"),
        ({"box": [10, 10, 0, 10]}, "box"),
        ({"box": [10, 10]}, "box"),
        ({"box": [10, 10, 5, 5], "extra": 1}, "extra"),
    ],
)
def test_bad_boxes_are_422_naming_the_field(api, world, body, field):
    item = _item(api, world)
    r = api.post(
        f"/api/v1/items/{item}/media/0/grabcut", json=body, headers=_as(world, world.manager)
    )
    assert r.status_code == 422, r.text
    assert field in r.text


def test_only_members_who_may_see_the_item(api, world):
    item = _item(api, world)
    outsider = world.annotators[1]  # not a member of this project
    for method, path, kw in (
        ("GET", "pyramid", {}),
        ("GET", "tiles/0/0/0", {}),
        ("GET", "superpixels", {}),
        ("POST", "grabcut", {"json": {"box": [60, 40, 160, 140]}}),
    ):
        r = api.request(
            method, f"/api/v1/items/{item}/media/0/{path}", headers=_as(world, outsider), **kw
        )
        assert r.status_code in (403, 404), (path, r.status_code)
    r = api.get(f"/api/v1/items/{item}/media/3/pyramid", headers=_as(world, world.manager))
    assert r.status_code == 404
