"""An item's media behind a storage URL reaches the media tools as a local file:
copied once into the home's cache through the project's connection, and only
for those who may see the item."""

from __future__ import annotations

import io

import pytest
from PIL import Image

import storage_server
from world import build_world

s3_server = storage_server.s3_server
s3 = storage_server.s3


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
