"""The mask tool's routes: pyramid tiles, superpixels, GrabCut and the
interactive model, for members of the item's project only; suggestions, never
stored labels; bad input a 4xx naming the field."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as cocomask
from sqlalchemy import func, select

from labelwell.formats.registry import ImportRow
from labelwell.store.tables import Annotation, Job, Prediction
from labelwell.work import jobs
from media_api import as_, item_ids, media_dir, media_world
from segment_server import segment_server

ONTOLOGY = {
    "name": "seg",
    "controls": [{"name": "seg", "type": "mask", "source": "image", "labels": ["leaf"]}],
}
TRUTH = (slice(60, 160), slice(80, 200))


@pytest.fixture
def world(db, settings):
    rgb = np.full((240, 320, 3), 200, np.uint8)
    rgb[TRUTH] = (40, 150, 60)
    Image.fromarray(rgb).save(media_dir(settings) / "leaf.png")
    row = ImportRow(line=1, data={"image": "leaf.png"}, external_id="leaf")
    return media_world(db, "seg", ONTOLOGY, [row], filename="seg.jsonl", n_annotators=2)


def _item(api, world):
    return item_ids(api, world)["leaf"]


def _lease(api, world):
    """The annotator takes the item (annotators reach only items leased to them)."""
    r = api.post(
        f"/api/v1/projects/{world.project_id}/tasks/next", headers=as_(world, world.annotators[0])
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
    r = api.get(f"/api/v1/items/{item}/media/0/pyramid", headers=as_(world, world.manager))
    assert r.status_code == 200, r.text
    assert r.json() == {"width": 320, "height": 240, "tile": 512, "levels": 1}
    r = api.get(f"/api/v1/items/{item}/media/0/tiles/0/0/0", headers=as_(world, world.manager))
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(r.content)) as im:
        assert im.size == (320, 240)
    assert list((settings.home / "cache" / "tiles").glob("*/pyramid.json"))
    r = api.get(f"/api/v1/items/{item}/media/0/tiles/0/1/0", headers=as_(world, world.manager))
    assert r.status_code == 404
    r = api.get(f"/api/v1/items/{item}/media/0/preview", headers=as_(world, world.manager))
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"  # the top tile


def _large(monkeypatch):
    """Count the 320 x 240 test image as large: its pyramid is the job's."""
    from labelwell.media import segmentation as seg

    monkeypatch.setattr(seg, "INLINE_PIXELS", 100 * 100)


def _pyramid_jobs(db):
    with db.read_session() as s:
        return s.scalars(select(Job).where(Job.kind == "pyramid").order_by(Job.id)).all()


def test_a_large_image_is_built_once_by_a_job_while_requests_answer_at_once(
    api, world, db, settings, monkeypatch
):
    _large(monkeypatch)
    item = _item(api, world)
    _lease(api, world)
    url = f"/api/v1/items/{item}/media/0"
    headers = as_(world, world.annotators[0])
    # Two viewers at once (threads: two requests in flight together) and a third later.
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: api.get(f"{url}/pyramid", headers=headers), range(2)))
    answers.append(api.get(f"{url}/pyramid", headers=as_(world, world.manager)))
    for r in answers:
        assert r.status_code == 202, r.text
        body = r.json()
        assert (body["width"], body["height"], body["state"]) == (320, 240, "queued")
        assert body["progress"] == 0 and body["preview"] is False
    assert len({r.json()["job_id"] for r in answers}) == 1
    assert not list((settings.home / "cache" / "tiles").glob("*/pyramid.json"))  # not built inline
    r = api.get(f"{url}/tiles/0/0/0", headers=headers)
    assert r.status_code == 409 and "being prepared" in r.json()["error"]["message"]
    assert api.get(f"{url}/preview", headers=headers).status_code == 404
    # the worker runs it once
    assert jobs.work(db, settings.home, once=True) == 1
    r = api.get(f"{url}/pyramid", headers=headers)
    assert r.status_code == 200 and r.json() == {
        "width": 320,
        "height": 240,
        "tile": 512,
        "levels": 1,
    }
    assert api.get(f"{url}/tiles/0/0/0", headers=headers).status_code == 200
    r = api.get(f"{url}/preview", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    [job] = _pyramid_jobs(db)
    assert job.state == "done" and job.result["levels"] == 1
    assert job.created_by is None and job.project_id == world.project_id
    assert jobs.work(db, settings.home, once=True) == 0  # nothing more was queued


def test_a_large_image_that_cannot_be_decoded_fails_its_job_once(
    api, world, db, settings, monkeypatch
):
    _large(monkeypatch)
    item = _item(api, world)
    leaf = settings.home / "media" / "leaf.png"
    leaf.write_bytes(leaf.read_bytes()[:200])  # the header says 320 x 240; the pixels are cut off
    url = f"/api/v1/items/{item}/media/0/pyramid"
    headers = as_(world, world.manager)
    assert api.get(url, headers=headers).status_code == 202
    assert jobs.work(db, settings.home, once=True) == 1
    [job] = _pyramid_jobs(db)
    assert job.state == "failed" and "not an image this server can read" in job.error
    r = api.get(url, headers=headers)
    assert r.status_code == 422 and "could not be built" in r.json()["error"]["message"]
    assert len(_pyramid_jobs(db)) == 1  # not queued again and again


def test_the_pyramid_job_reads_only_media_files(db, settings, world):
    with db.session() as s:
        job, _ = jobs.enqueue(s, None, "pyramid", world.project_id, {"path": "/etc/passwd"})
    assert jobs.work(db, settings.home, once=True) == 1
    [job] = _pyramid_jobs(db)
    assert job.state == "failed" and "no media file" in job.error


def test_superpixels_png(api, world):
    item = _item(api, world)
    r = api.get(
        f"/api/v1/items/{item}/media/0/superpixels",
        params={"n": 100},
        headers=as_(world, world.manager),
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
        headers=as_(world, world.annotators[0]),
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
    r = api.post(url, json={"points": [[120, 100, 1]]}, headers=as_(world, world.annotators[0]))
    assert r.status_code == 422 and "segment_model_url" in r.text
    with segment_server() as server:
        r = api.patch(
            f"/api/v1/projects/{world.project_id}/settings",
            json={"segment_model_url": server},
            headers=as_(world, world.manager),
        )
        assert r.status_code == 200, r.text
        r = api.post(url, json={"points": [[120, 100, 1]]}, headers=as_(world, world.annotators[0]))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["source"] == "flood-fill@1" and body["score"] == pytest.approx(0.9)
        assert _iou(_mask(body["rle"]), _truth()) > 0.98
        r = api.post(url, json={"points": []}, headers=as_(world, world.annotators[0]))
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
        f"/api/v1/items/{item}/media/0/grabcut", json=body, headers=as_(world, world.manager)
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
            method, f"/api/v1/items/{item}/media/0/{path}", headers=as_(world, outsider), **kw
        )
        assert r.status_code in (403, 404), (path, r.status_code)
    r = api.get(f"/api/v1/items/{item}/media/3/pyramid", headers=as_(world, world.manager))
    assert r.status_code == 404
