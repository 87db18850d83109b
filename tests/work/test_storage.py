"""Storage connections against real object stores on 127.0.0.1 (see
tests/storage_server.py): moto's S3 server through s3fs and, where a test takes
``store``, also gcp-storage-emulator through gcsfs and Azurite through adlfs."""

from __future__ import annotations

import io
import json

import pytest

import storage_server
from labelwell.errors import Forbidden, InvalidInput, NotFound
from labelwell.formats.jsonl import JsonlExporter
from labelwell.store.tables import Item
from labelwell.work import storage, storage_sync
from labelwell.work.export import export_to
from storage_server import SECRET_KEY
from world import build_world

s3_server = storage_server.s3_server
s3 = storage_server.s3
gcs_server = storage_server.gcs_server
azurite_server = storage_server.azurite_server
store = storage_server.store

def _connect(db, w, s3, *, name="raw", url="s3://photos/day1", **options):
    s3.make_bucket(url.split("/")[2])
    with db.session() as s:
        conn = storage.create_connection(
            s, w.admin, w.project_id, name=name, url=url,
            options={**s3.options(), "data_key": "text", **options},
            credentials=s3.credentials())
        return conn.id


def _world(db):
    # the sentiment project reads data["text"]: the synced objects' URLs go there
    return build_world(db, n_annotators=1, texts=["s3://elsewhere/seed.png"])


def test_sync_makes_one_item_per_new_object_and_runs_again_without_duplicates(db, store):
    w = _world(db)
    _connect(db, w, store, url=f"{store.scheme}://photos/day1", glob="*.jpg")
    fs = store.filesystem()
    for key in ["a.jpg", "b.jpg", "sub/c.jpg", "notes.txt"]:
        fs.pipe(f"photos/day1/{key}", key.encode())
    fs.pipe("photos/other/d.jpg", b"outside the prefix")

    report = storage_sync.sync(db, w.manager, w.project_id, "raw")
    assert (report.listed, report.added_objects, report.added_items) == (4, 3, 3)
    with db.read_session() as s:
        media = sorted(m for i in s.query(Item).filter(Item.import_id == report.import_id)
                       for m in i.media)
    assert media == [f"{store.scheme}://photos/day1/{k}" for k in ["a.jpg", "b.jpg", "sub/c.jpg"]]

    again = storage_sync.sync(db, w.manager, w.project_id, "raw")
    assert (again.added_objects, again.added_items, again.import_id) == (0, 0, None)
    fs.pipe("photos/day1/e.jpg", b"new")
    third = storage_sync.sync(db, w.manager, w.project_id, "raw")
    assert third.added_items == 1
    with db.read_session() as s:
        (item,) = s.query(Item).filter(Item.import_id == third.import_id)
        assert item.data == {"text": f"{store.scheme}://photos/day1/e.jpg"}


def test_sync_reads_json_objects_as_item_data(db, s3):
    w = _world(db)
    _connect(db, w, s3, url="s3://batches/in", json_items=True)
    fs = s3.filesystem()
    fs.pipe("batches/in/one.json", json.dumps({"text": "s3://batches/in/x.png"}).encode())
    fs.pipe("batches/in/many.jsonl", b'{"text": "y.png"}\n{"data": {"text": "z.png"}}\n')
    report = storage_sync.sync(db, w.manager, w.project_id, "raw")
    assert (report.added_objects, report.added_items) == (2, 3)
    with db.read_session() as s:
        datas = sorted(i.data["text"] for i in
                       s.query(Item).filter(Item.import_id == report.import_id))
    assert datas == ["s3://batches/in/x.png", "y.png", "z.png"]


def test_urls_outside_every_connection_are_not_found(db, s3):
    w = _world(db)
    _connect(db, w, s3)
    with db.read_session() as s:
        for url in ["s3://photos/day10/a.jpg", "s3://photos/a.jpg", "https://169.254.169.254/x",
                    "s3://photos/day1/../secret", "s3://photos/day1/%2e%2e/x", "/etc/passwd"]:
            with pytest.raises(NotFound):
                storage.open_media(s, w.project_id, url)


def test_media_stream_and_presigned_redirect(db, s3):
    w = _world(db)
    _connect(db, w, s3)
    s3.filesystem().pipe("photos/day1/a.jpg", b"\xff\xd8jpeg bytes")
    with db.read_session() as s:
        media = storage.open_media(s, w.project_id, "s3://photos/day1/a.jpg")
        assert b"".join(media.chunks) == b"\xff\xd8jpeg bytes"
        assert media.media_type == "image/jpeg" and media.size == 12
        with pytest.raises(NotFound):
            storage.open_media(s, w.project_id, "s3://photos/day1/missing.jpg")
    with db.session() as s:
        storage.get_connection(s, w.manager, w.project_id, "raw").options = {
            **s3.options(), "presign": True}
    with db.read_session() as s:
        media = storage.open_media(s, w.project_id, "s3://photos/day1/a.jpg")
    assert media.redirect.startswith(s3.endpoint + "/photos/day1/a.jpg?")
    assert "Signature" in media.redirect and SECRET_KEY not in media.redirect


def test_media_stream_from_each_store(db, store):
    w = _world(db)
    _connect(db, w, store, url=f"{store.scheme}://photos/day1")
    store.filesystem().pipe("photos/day1/a.jpg", b"\xff\xd8jpeg bytes")
    with db.read_session() as s:
        media = storage.open_media(s, w.project_id, f"{store.scheme}://photos/day1/a.jpg")
        assert b"".join(media.chunks) == b"\xff\xd8jpeg bytes"
        assert media.media_type == "image/jpeg" and media.size == 12 and media.redirect is None
        with pytest.raises(NotFound):
            storage.open_media(s, w.project_id, f"{store.scheme}://photos/day1/missing.jpg")
        with pytest.raises(NotFound):
            storage.open_media(s, w.project_id, f"{store.scheme}://photos/day10/a.jpg")


def test_managers_may_not_point_the_server_at_its_own_disk_or_network(db, s3, tmp_path):
    w = _world(db)
    with db.session() as s:
        with pytest.raises(Forbidden):
            storage.create_connection(s, w.manager, w.project_id, name="disk",
                                      url=f"file://{tmp_path}")
        with pytest.raises(Forbidden):
            storage.create_connection(s, w.manager, w.project_id, name="web",
                                      url="https://169.254.169.254/latest")
        with pytest.raises(Forbidden):
            storage.create_connection(s, w.manager, w.project_id, name="net",
                                      url="s3://b/p", options={"endpoint_url": s3.endpoint})
        for text in ["BlobEndpoint=http://127.0.0.1:10000/a;AccountName=a",
                     "UseDevelopmentStorage=true"]:
            with pytest.raises(Forbidden):  # an Azure connection string naming an address
                storage.create_connection(s, w.manager, w.project_id, name="az", url="az://c/p",
                                          credentials={"connection_string": text})
        with pytest.raises(Forbidden):
            storage.create_connection(s, w.annotators[0], w.project_id, name="x", url="s3://b")
        with pytest.raises(NotFound):
            storage.create_connection(s, w.outsider, w.project_id, name="x", url="s3://b")
        for url, field in [("ftp://x/y", "url"), ("s3://", "url"), ("bucket/p", "url"),
                           ("s3://b/p/%2E%2E/q", "url")]:
            with pytest.raises(InvalidInput) as caught:
                storage.create_connection(s, w.manager, w.project_id, name="x", url=url)
            assert caught.value.field == field
        with pytest.raises(InvalidInput) as caught:
            storage.create_connection(s, w.manager, w.project_id, name="x", url="s3://b",
                                      credentials={"password": "p"})
        assert caught.value.field == "credentials.password"
        for token in ['{"type": "service_account"', 7]:
            with pytest.raises(InvalidInput) as caught:
                storage.create_connection(s, w.manager, w.project_id, name="x", url="gs://b",
                                          credentials={"token": token})
            assert caught.value.field == "credentials.token"


def test_export_to_a_prefix_and_import_from_a_url(db, store):
    w = _world(db)
    _connect(db, w, store, url=f"{store.scheme}://exports/labels")
    with db.read_session() as s:
        url = storage.export_url(f"{store.scheme}://exports/labels/", "p1", "jsonl")

        def write(out):
            return export_to(s, w.project_id, JsonlExporter(), out, None)

        report = storage.write_to(s, w.manager, w.project_id, url, write)
    assert report.items == 1 and report.url.startswith(f"{store.scheme}://exports/labels/p1-")
    payload = store.filesystem().cat(report.url.partition("://")[2])
    assert report.bytes == len(payload)
    row = json.loads(payload.decode().splitlines()[0])
    assert row["data"] == {"text": "s3://elsewhere/seed.png"}

    lines = io.BytesIO()
    for name in ["cat.png", "dog.png"]:
        lines.write(json.dumps({"data": {"text": name}}).encode() + b"\n")
    store.filesystem().pipe("exports/labels/more.jsonl", lines.getvalue())
    at = f"{store.scheme}://exports/labels"
    record = storage.import_url(db, w.manager, w.project_id, f"{at}/more.jsonl")
    assert record.n_items == 2
    with pytest.raises(NotFound):
        storage.import_url(db, w.manager, w.project_id, f"{at}/none.jsonl")
    with pytest.raises(NotFound):
        storage.import_url(db, w.manager, w.project_id, f"{store.scheme}://elsewhere/more.jsonl")


def test_a_worker_runs_a_queued_sync_once(db, s3, tmp_path):
    from labelwell.store.tables import Job
    from labelwell.work import jobs

    w = _world(db)
    _connect(db, w, s3)
    s3.filesystem().pipe("photos/day1/a.jpg", b"a")
    with db.session() as s:
        first, new = jobs.enqueue(s, w.manager, "storage_sync", w.project_id, {"storage": "raw"})
        joined, again = jobs.enqueue(s, w.manager, "storage_sync", w.project_id, {"storage": "raw"})
        assert new and not again and joined.id == first.id
        with pytest.raises(InvalidInput) as caught:
            jobs.enqueue(s, w.manager, "storage_sync", w.project_id, {"bucket": "raw"})
        assert caught.value.field == "options.storage"
    taken = jobs.claim(db, "worker-a")
    assert jobs.run_claimed(db, taken, "worker-a", tmp_path) == "done"
    with db.read_session() as s:
        result = s.get(Job, first.id).result
    assert result["added_items"] == 1 and result["connection"] == "raw"
    assert set(result["stages"]) == {"known", "listing", "items", "record"}
    assert all(seconds >= 0 for seconds in result["stages"].values())
    assert SECRET_KEY not in json.dumps(result)


def test_a_sync_that_died_before_recording_its_objects_is_not_taken_twice(db, s3):
    from sqlalchemy import delete, func, select

    from labelwell.store.tables import StorageObject

    w = _world(db)
    _connect(db, w, s3)
    fs = s3.filesystem()
    fs.pipe({"photos/day1/a.jpg": b"a", "photos/day1/b.jpg": b"b"})
    first = storage_sync.sync(db, w.manager, w.project_id, "raw")
    assert first.added_items == 2
    with db.session() as s:  # as if the process ended after publishing the items
        s.execute(delete(StorageObject))
    fs.pipe("photos/day1/c.jpg", b"c")
    again = storage_sync.sync(db, w.manager, w.project_id, "raw")
    assert (again.added_objects, again.added_items) == (1, 1)
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(StorageObject)) == 3
        n_items = s.scalar(select(func.count()).select_from(Item))
    assert n_items == 1 + 3  # the seed item and one per object


def test_a_second_sync_of_a_connection_waits_for_the_first(db, s3):
    """While one sync works (here: a job queued and claimed by a worker), another
    one of the same connection, from a command or a request, is refused with a
    409 naming the live job, instead of taking the same objects twice."""
    from labelwell.errors import Conflict
    from labelwell.work import jobs

    w = _world(db)
    conn_id = _connect(db, w, s3)
    s3.filesystem().pipe("photos/day1/a.jpg", b"a")
    with db.session() as s:
        live, _ = jobs.enqueue(
            s, w.manager, "storage_sync", w.project_id, {"storage": str(conn_id)}
        )
    assert jobs.claim(db, "worker-a").id == live.id
    with pytest.raises(Conflict) as refused:
        storage_sync.sync(db, w.manager, w.project_id, "raw")
    assert refused.value.details["job_id"] == live.id
    with db.read_session() as s:
        assert s.query(Item).filter(Item.media.is_not(None)).count() == 1  # the seed item only
    with db.session() as s:
        jobs.cancel(s, w.manager, live.id)
    assert storage_sync.sync(db, w.manager, w.project_id, "raw").added_items == 1


@pytest.mark.parametrize(("split", "depth"), [(64, 4), (2, 1), (1, 0), (1000, 10)])
def test_the_parallel_listing_finds_what_a_flat_listing_finds(s3, split, depth):
    s3.make_bucket("layout")
    fs = s3.filesystem()
    keys = ["top.jpg", "2026-12-01/shard-0/a.jpg", "2026-12-01/shard-0/b.jpg",
            "2026-12-01/shard-1/c.jpg", "2026-12-01/loose.jpg", "2026-12-02/x/y/z/w/deep.jpg",
            "2026-12-02/x/y/z/w/v/deeper.jpg", "flat-0001.jpg", "sp ace/é.jpg"]
    fs.pipe({f"layout/in/{k}": b"x" for k in keys})
    fs.pipe({"layout/other/outside.jpg": b"x", "layout/in-sibling/not-under.jpg": b"x"})
    found = storage_sync.list_keys(fs, "layout/in", workers=3, split=split, depth=depth)
    assert found == sorted(keys)
    assert found == sorted(p[len("layout/in/"):] for p in fs.find("layout/in"))
    assert storage_sync.list_keys(fs, "layout/nothing-here") == []
    # the sync takes the same keys part by part, while the rest is listed: each once
    parts = list(storage_sync.iter_keys(fs, "layout/in", workers=3, split=split, depth=depth))
    assert all(part == sorted(part) for part in parts)
    assert sorted(k for part in parts for k in part) == sorted(keys)


def test_the_parallel_listing_of_a_folder_on_disk(tmp_path):
    import fsspec

    for key in ["a.txt", "d1/b.txt", "d1/d2/c.txt", "d3/e.txt"]:
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_text(key)
    fs = fsspec.filesystem("file")
    assert storage_sync.list_keys(fs, str(tmp_path), split=2) == [
        "a.txt", "d1/b.txt", "d1/d2/c.txt", "d3/e.txt"]


def test_new_keys_filters_known_and_unmatched_keys():
    listed = ["a.jpg", "b.jpg", "b.txt", "sub/c.jpg", "x" * 1001 + ".jpg"]
    assert storage_sync.new_keys(listed, {"a.jpg"}, "*.jpg") == ["b.jpg", "sub/c.jpg"]
    assert storage_sync.new_keys(listed, set(), "sub/*") == ["sub/c.jpg"]
    assert storage_sync.new_keys(listed, set(), "[ab].*") == ["a.jpg", "b.jpg", "b.txt"]
