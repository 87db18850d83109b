"""An item's media behind a storage URL reaches the media tools as a local file:
copied once into the home's cache through the project's connection, and only
for those who may see the item. A large image's pyramid is built after its
import or sync, before anyone opens it; only large images are fetched for it."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

import storage_server
from labelwell.formats.registry import ImportRow
from labelwell.media import segmentation as seg
from labelwell.store.tables import Item, Job
from labelwell.work import imports, jobs, media_pyramids, projects, storage, storage_sync
from labelwell.work.media_files import cached_media_path
from world import build_world

s3_server = storage_server.s3_server
s3 = storage_server.s3
gcs_server = storage_server.gcs_server
azurite_server = storage_server.azurite_server
store = storage_server.store


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=1, texts=["local text"])


def _as(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def test_a_storage_image_opens_as_a_pyramid_from_one_cached_copy(api, world, s3, settings):
    s3.make_bucket("scans")
    r = api.post(
        f"/api/v1/projects/{world.project_id}/storage",
        json={
            "name": "scans",
            "url": "s3://scans/day1/",
            "options": {**s3.options(), "data_key": "text", "glob": "*.png"},
            "credentials": s3.credentials(),
        },
        headers=_as(world, world.admin),
    )
    assert r.status_code == 201, r.text
    buf = io.BytesIO()
    Image.new("RGB", (700, 300), (30, 120, 200)).save(buf, "PNG")
    s3.filesystem().pipe("scans/day1/scan.png", buf.getvalue())
    r = api.post(
        f"/api/v1/projects/{world.project_id}/storage/{r.json()['id']}/sync",
        headers=_as(world, world.manager),
    )
    assert r.status_code == 200 and r.json()["added_items"] == 1, r.text
    r = api.get(f"/api/v1/projects/{world.project_id}/items", headers=_as(world, world.manager))
    item = next(i["id"] for i in r.json()["data"] if i["data"]["text"].startswith("s3:"))
    r = api.get(f"/api/v1/items/{item}/media/0/pyramid", headers=_as(world, world.manager))
    assert r.status_code == 200, r.text
    assert r.json() == {"width": 700, "height": 300, "tile": 512, "levels": 2}
    cached = list((settings.home / "cache" / "media").glob("*.png"))
    assert len(cached) == 1 and cached[0].read_bytes() == buf.getvalue()
    r = api.get(f"/api/v1/items/{item}/media/0/tiles/1/0/0", headers=_as(world, world.manager))
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(r.content)) as im:
        assert im.size == (350, 150)
    r = api.get(f"/api/v1/items/{item}/media/0/pyramid", headers=_as(world, world.outsider))
    assert r.status_code == 404


MASKS = {
    "name": "scans",
    "controls": [{"name": "seg", "type": "mask", "source": "image", "labels": ["leaf"]}],
}


def _png(width, height) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def scans(db, world, store, monkeypatch):
    """A mask project over ``<store>://scans/day1`` (its first annotator a
    member), where a 320 x 240 image counts as large."""
    monkeypatch.setattr(seg, "INLINE_PIXELS", 100 * 100)
    store.make_bucket("scans")
    with db.session() as s:
        pid = projects.create_project(s, world.manager, "scans", MASKS, gold_ratio=0.0).id
        projects.set_member(s, world.manager, pid, world.annotators[0].id, "annotator")
        storage.create_connection(
            s, world.admin, pid, name="scans", url=f"{store.scheme}://scans/day1",
            options={**store.options(), "data_key": "image", "glob": "*.png"},
            credentials=store.credentials())
    return pid


def _jobs(db, kind):
    with db.read_session() as s:
        return s.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)).all()


def _secret_free(db, store):
    with db.read_session() as s:
        text = json.dumps([[j.options, j.result, j.error] for j in s.scalars(select(Job))])
    assert not any(secret in text for secret in store.secrets)


def test_an_import_builds_a_stored_large_images_pyramid_before_anyone_opens_it(
    api, db, world, store, settings, scans
):
    fs = store.filesystem()
    fs.pipe("scans/day1/big.png", _png(320, 240))
    fs.pipe("scans/day1/small.png", _png(80, 60))
    fs.pipe("scans/day1/notes.png", b"not an image")
    names = ["big.png", "small.png", "notes.png", "missing.png"]
    rows = [ImportRow(line=n, data={"image": f"{store.scheme}://scans/day1/{name}"})
            for n, name in enumerate(names, start=1)]
    imports.import_rows(db, world.manager, scans, rows, filename="scans.jsonl")
    with db.read_session() as s:
        ids = dict(zip(names, s.scalars(select(Item.id).where(Item.project_id == scans)
                                        .order_by(Item.id)), strict=True))

    assert jobs.work(db, settings.home, once=True) == 2  # the import's job, then the pyramid
    [prepare] = _jobs(db, "import_pyramids")
    assert prepare.result == {
        "files": 4, "large": 1, "queued": 1, "failed": 2,
        "failures": [
            {"item_id": ids["notes.png"], "media": f"{store.scheme}://scans/day1/notes.png",
             "error": "not an image this server can read (UnidentifiedImageError)"},
            {"item_id": ids["missing.png"], "media": f"{store.scheme}://scans/day1/missing.png",
             "error": f"{store.scheme}://scans/day1/missing.png: no such object"},
        ],
    }
    # the large image fetched once into the cache the first open reads; the
    # others' sizes came from their first bytes, nothing of them was kept
    big = cached_media_path(settings.home, scans, f"{store.scheme}://scans/day1/big.png")
    assert list((settings.home / "cache" / "media").iterdir()) == [big]
    [built] = _jobs(db, "pyramid")
    assert built.state == "done" and built.options == {"path": str(big)}
    assert built.result == {"width": 320, "height": 240, "tile": 512, "levels": 1}
    _secret_free(db, store)

    # the annotator's first requests find the tiles ready: no 202, no "being prepared"
    headers = _as(world, world.annotators[0])
    r = api.post(f"/api/v1/projects/{scans}/tasks/next", headers=headers)
    assert r.status_code == 200 and r.json()["item_id"] == ids["big.png"], r.text
    r = api.get(f"/api/v1/items/{ids['big.png']}/media/0/tiles/0/0/0", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    r = api.get(f"/api/v1/items/{ids['big.png']}/media/0/pyramid", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"width": 320, "height": 240, "tile": 512, "levels": 1}
    assert jobs.work(db, settings.home, once=True) == 0  # nothing more was queued


def test_a_sync_builds_the_pyramids_of_its_large_objects(db, world, store, settings, scans,
                                                         monkeypatch):
    # a header past the first bytes read (here 16: a PNG's size is at 16 to 24)
    # is read from the object fetched into the media cache instead
    monkeypatch.setattr(media_pyramids, "HEAD_BYTES", 16)
    fs = store.filesystem()
    fs.pipe("scans/day1/a/big.png", _png(320, 240))
    fs.pipe("scans/day1/b/small.png", _png(80, 60))
    report = storage_sync.sync(db, world.manager, scans, "scans")
    assert report.added_items == 2
    assert jobs.work(db, settings.home, once=True) == 2
    [prepare] = _jobs(db, "import_pyramids")
    assert prepare.options == {"import_id": report.import_id}
    assert prepare.result == {"files": 2, "large": 1, "queued": 1, "failed": 0, "failures": []}
    [built] = _jobs(db, "pyramid")
    big = cached_media_path(settings.home, scans, f"{store.scheme}://scans/day1/a/big.png")
    assert built.state == "done" and built.options == {"path": str(big)}
    assert seg.cached_pyramid(big, settings.home / "cache" / "tiles") is not None
    _secret_free(db, store)
    # a second sync finds nothing new; the same import again builds nothing more
    assert storage_sync.sync(db, world.manager, scans, "scans").import_id is None
    with db.session() as s:
        jobs.enqueue(s, None, "import_pyramids", scans, {"import_id": report.import_id})
    assert jobs.work(db, settings.home, once=True) == 1
    assert _jobs(db, "import_pyramids")[-1].result["queued"] == 0


def test_a_presigned_connections_large_images_are_reported_not_fetched(db, world, s3, settings,
                                                                       monkeypatch):
    # the server never holds a copy of a presign connection's objects, so the
    # mask tool cannot open its large images: the import's job says so at once
    monkeypatch.setattr(seg, "INLINE_PIXELS", 100 * 100)
    s3.make_bucket("scans")
    with db.session() as s:
        pid = projects.create_project(s, world.manager, "scans", MASKS, gold_ratio=0.0).id
        storage.create_connection(
            s, world.admin, pid, name="scans", url="s3://scans/day1",
            options={**s3.options(), "presign": True}, credentials=s3.credentials())
    s3.filesystem().pipe({"scans/day1/big.png": _png(320, 240),
                          "scans/day1/small.png": _png(80, 60)})
    rows = [ImportRow(line=1, data={"image": "s3://scans/day1/big.png"}),
            ImportRow(line=2, data={"image": "s3://scans/day1/small.png"})]
    imports.import_rows(db, world.manager, pid, rows, filename="scans.jsonl")
    assert jobs.work(db, settings.home, once=True) == 1
    [prepare] = _jobs(db, "import_pyramids")
    with db.read_session() as s:
        big = s.scalar(select(Item.id).where(Item.project_id == pid).order_by(Item.id))
    assert prepare.result["failures"] == [{
        "item_id": big, "media": "s3://scans/day1/big.png",
        "error": "s3://scans/day1/big.png is only reachable by a signed URL"}]
    assert (prepare.result["large"], prepare.result["failed"]) == (0, 1)
    assert not list((settings.home / "cache" / "media").glob("*"))
    _secret_free(db, s3)
