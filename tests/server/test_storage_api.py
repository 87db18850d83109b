"""Storage connections over the HTTP API, against real object stores on
127.0.0.1 (moto's S3 server; where a test takes ``store``, also
gcp-storage-emulator and Azurite: tests/storage_server.py)."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

import storage_server
from labelwell.server import create_app
from labelwell.store.tables import Item
from labelwell.work import queue
from storage_server import SECRET_KEY
from world import build_world

s3_server = storage_server.s3_server
s3 = storage_server.s3
gcs_server = storage_server.gcs_server
azurite_server = storage_server.azurite_server
store = storage_server.store


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=1, texts=["local text"])


@pytest.fixture
def api(db, settings, world):
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        yield client


def _as(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def _connect(api, world, s3, **options):
    s3.make_bucket("photos")
    r = api.post(
        f"/api/v1/projects/{world.project_id}/storage",
        json={"name": "raw", "url": f"{s3.scheme}://photos/day1/",
              "options": {**s3.options(), "data_key": "text", **options},
              "credentials": s3.credentials()},
        headers=_as(world, world.admin))
    assert r.status_code == 201, r.text
    return r.json()


def test_credentials_never_leave_the_server(api, world, store):
    created = _connect(api, world, store)
    assert created["url"] == f"{store.scheme}://photos/day1"
    assert created["credentials_set"] == sorted(store.credentials())
    r = api.get(f"/api/v1/projects/{world.project_id}/storage", headers=_as(world, world.manager))
    assert r.status_code == 200 and r.json()["count"] == 1
    for text in (json.dumps(created), r.text):
        for secret in [*store.secrets, *store.credentials().values()]:
            assert secret not in text
    r = api.get(f"/api/v1/projects/{world.project_id}/storage",
                headers=_as(world, world.annotators[0]))
    assert r.status_code == 403
    r = api.get(f"/api/v1/projects/{world.project_id}/storage", headers=_as(world, world.outsider))
    assert r.status_code == 404
    r = api.post(f"/api/v1/projects/{world.project_id}/storage",
                 json={"name": "x", "url": "ftp://host/p"}, headers=_as(world, world.manager))
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "url"


def test_sync_then_annotator_gets_the_media_through_the_server(api, db, world, store):
    conn = _connect(api, world, store, glob="*.png")
    fs = store.filesystem()
    fs.pipe("photos/day1/cat.png", b"\x89PNG cat")
    fs.pipe("photos/day1/readme.md", b"skip me")
    url = f"/api/v1/projects/{world.project_id}/storage/{conn['id']}/sync"
    r = api.post(url, headers=_as(world, world.manager))
    assert r.status_code == 200, r.text
    assert r.json()["added_items"] == 1 and r.json()["listed"] == 2
    assert api.post(url, headers=_as(world, world.manager)).json()["added_items"] == 0

    annotator = world.annotators[0]
    with db.session() as s:  # the seeded text item comes first; answer it
        first = queue.next_task(s, annotator, world.project_id)
    with db.session() as s:
        queue.submit(s, annotator, first.assignment_id, {"sentiment": "positive"})
    with db.session() as s:
        task = queue.next_task(s, annotator, world.project_id)
    assert task.item_id != first.item_id
    r = api.get(f"/media/items/{task.item_id}/0", headers=_as(world, annotator))
    assert r.status_code == 200, r.text
    assert r.content == b"\x89PNG cat" and r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"
    sent = r.text + json.dumps(dict(r.headers))
    for secret in [*store.secrets, *store.credentials().values()]:
        assert secret not in sent
    r = api.get(f"/media/items/{task.item_id}/0", headers=_as(world, world.outsider))
    assert r.status_code == 404


def test_presigned_redirect_reaches_the_object(api, db, world, s3):
    conn = _connect(api, world, s3, presign=True)
    s3.filesystem().pipe("photos/day1/dog.png", b"\x89PNG dog")
    api.post(f"/api/v1/projects/{world.project_id}/storage/{conn['id']}/sync",
             headers=_as(world, world.manager))
    with db.read_session() as s:
        item_id = s.query(Item.id).filter(Item.media != []).scalar()
    r = api.get(f"/media/items/{item_id}/0", headers=_as(world, world.manager),
                follow_redirects=False)
    assert r.status_code == 307
    assert SECRET_KEY not in r.headers["location"]
    assert httpx.get(r.headers["location"]).content == b"\x89PNG dog"


def test_media_url_under_no_connection_is_not_fetched(api, db, world, s3):
    _connect(api, world, s3)
    with db.session() as s:
        item = s.query(Item).filter(Item.project_id == world.project_id).first()
        item.media = ["https://127.0.0.1:1/internal"]
        item_id = item.id
    r = api.get(f"/media/items/{item_id}/0", headers=_as(world, world.manager))
    assert r.status_code == 404


def test_export_to_and_import_from_storage(api, world, store):
    _connect(api, world, store)
    r = api.post(f"/api/v1/projects/{world.project_id}/storage-export",
                 json={"url": f"{store.scheme}://photos/day1/exports/"},
                 headers=_as(world, world.manager))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["url"].startswith(f"{store.scheme}://photos/day1/exports/p1-")
    assert body["items"] == 1
    payload = store.filesystem().cat(body["url"][len(f"{store.scheme}://"):])
    assert json.loads(payload.decode())["data"] == {"text": "local text"}

    store.filesystem().pipe("photos/day1/in/more.jsonl", b'{"data": {"text": "from s3"}}\n')
    r = api.post(f"/api/v1/projects/{world.project_id}/storage-import",
                 json={"url": f"{store.scheme}://photos/day1/in/more.jsonl"},
                 headers=_as(world, world.manager))
    assert r.status_code == 201, r.text
    assert r.json()["n_items"] == 1 and r.json()["filename"] == "more.jsonl"
    r = api.post(f"/api/v1/projects/{world.project_id}/storage-export",
                 json={"url": f"{store.scheme}://other/x.jsonl"},
                 headers=_as(world, world.manager))
    assert r.status_code == 404
    r = api.post(f"/api/v1/projects/{world.project_id}/storage-export",
                 json={"url": f"{store.scheme}://photos/day1/x.jsonl"},
                 headers=_as(world, world.annotators[0]))
    assert r.status_code == 403


def test_files_on_the_servers_disk_and_a_file_connection(api, db, world, settings, tmp_path):
    media_dir = settings.home / "media"
    media_dir.mkdir(parents=True, exist_ok=True)
    (media_dir / "local.png").write_bytes(b"\x89PNG local")
    shared = tmp_path / "shared"
    (shared / "in").mkdir(parents=True)
    (shared / "in" / "a.png").write_bytes(b"\x89PNG shared")
    (tmp_path / "secret.txt").write_text("not under the prefix")
    r = api.post(f"/api/v1/projects/{world.project_id}/storage",
                 json={"name": "nfs", "url": f"file://{shared}"}, headers=_as(world, world.manager))
    assert r.status_code == 403
    r = api.post(f"/api/v1/projects/{world.project_id}/storage",
                 json={"name": "nfs", "url": f"file://{shared}"}, headers=_as(world, world.admin))
    assert r.status_code == 201, r.text
    with db.session() as s:
        item = s.query(Item).filter(Item.project_id == world.project_id).first()
        item.media = ["local.png", f"file://{shared}/in/a.png",
                      f"file://{shared}/../secret.txt", f"file://{tmp_path}/secret.txt"]
        item_id = item.id
    get = lambda n: api.get(f"/media/items/{item_id}/{n}", headers=_as(world, world.manager))  # noqa: E731
    assert get(0).content == b"\x89PNG local"
    assert get(1).content == b"\x89PNG shared"
    assert get(2).status_code == 404 and get(3).status_code == 404


def test_the_sdk_takes_storage_urls_where_it_takes_paths(api, world, s3, tmp_path):
    from labelwell.client import Client
    from sdk_transport import Via

    sdk = Client("http://testserver", world.token(world.admin), transport=Via(api))
    s3.make_bucket("photos")
    conn = sdk.add_storage(world.project_id, "raw", "s3://photos/day1",
                           options={**s3.options(), "data_key": "text"},
                           credentials=s3.credentials())
    assert conn["credentials_set"] == ["key", "secret"]
    assert [c["name"] for c in sdk.storage(world.project_id)] == ["raw"]
    fs = s3.filesystem()
    fs.pipe("photos/day1/a.png", b"a")
    assert sdk.sync_storage(world.project_id, conn["id"])["added_items"] == 1
    fs.pipe("photos/day1/in.jsonl", b'{"data": {"text": "sdk"}}\n')
    assert sdk.import_file(world.project_id, "s3://photos/day1/in.jsonl").n_items == 1
    url = sdk.export(world.project_id, "s3://photos/day1/out/", status="open")
    assert isinstance(url, str) and url.startswith("s3://photos/day1/out/p1-")
    assert len(fs.cat(url[len("s3://"):]).splitlines()) == 3
    local = sdk.export(world.project_id, tmp_path / "local.jsonl")
    assert local.read_text().count("\n") == 3
