"""Target storage: the worker writes each completed item's labels under a
connection's prefix, once, on each real store on 127.0.0.1 (moto's S3 server,
gcp-storage-emulator, Azurite: tests/storage_server.py)."""

from __future__ import annotations

import json

import storage_server
from labelwell.store.tables import StorageObject
from labelwell.work import jobs, queue, storage, storage_sync, storage_targets
from world import build_world

s3_server = storage_server.s3_server
s3 = storage_server.s3
gcs_server = storage_server.gcs_server
azurite_server = storage_server.azurite_server
store = storage_server.store


def _target(db, w, s3, url="s3://labels/out", **options):
    with db.session() as s:
        return storage.create_connection(
            s, w.admin, w.project_id, name="labels", url=url,
            options={**s3.options(), "labels_on_complete": True, **options},
            credentials=s3.credentials()).id


def _complete(db, w, n):
    """The one annotator labels ``n`` items (overlap 1: each is then done)."""
    ids = []
    for _ in range(n):
        with db.session() as s:
            task = queue.next_task(s, w.annotators[0], w.project_id)
            queue.submit(s, w.annotators[0], task.assignment_id, {"sentiment": "positive"})
            ids.append(task.item_id)
    return ids


def test_the_worker_writes_each_completed_items_labels_once(db, store, tmp_path):
    w = build_world(db, n_annotators=1, n_items=4, overlap=1)
    store.make_bucket("labels")
    conn_id = _target(db, w, store, url=f"{store.scheme}://labels/out")
    assert jobs.work(db, tmp_path, once=True) == 0
    fs = store.filesystem()
    assert fs.find("labels/out") == []  # nothing completed yet

    done = _complete(db, w, 3)
    jobs.work(db, tmp_path, once=True)
    assert sorted(fs.find("labels/out")) == sorted(f"labels/out/{i}.json" for i in done)
    record = json.loads(fs.cat_file(f"labels/out/{done[0]}.json"))
    assert record["item_id"] == done[0] and record["status"] == "done"
    (annotation,) = record["annotations"]
    assert annotation["result"] == {"sentiment": "positive"}
    assert annotation["provenance"]["agent"] == "ann0@example.org"

    # written once: a second pass finds nothing to do, the last item comes later
    fs.rm(f"labels/out/{done[0]}.json")
    assert storage_targets.write_completed(db) == 0
    assert not fs.exists(f"labels/out/{done[0]}.json")
    (last,) = _complete(db, w, 1)
    assert storage_targets.write_completed(db) == 1
    assert fs.exists(f"labels/out/{last}.json")
    with db.read_session() as s:
        keys = sorted(s.query(StorageObject.key).filter_by(connection_id=conn_id))
    assert [k for (k,) in keys] == sorted(f"{i}.json" for i in [*done, last])

    # a sync of the same prefix does not take the label files back as items
    report = storage_sync.sync(db, w.admin, w.project_id, "labels")
    assert report.listed == 3 and report.added_items == 0


def test_a_store_that_fails_leaves_the_items_for_a_later_pass(db, s3, monkeypatch, caplog):
    monkeypatch.setattr(storage_targets, "_resting", {})  # no rest left by another test
    w = build_world(db, n_annotators=1, n_items=2, overlap=1)
    _target(db, w, s3, url="s3://not-made-yet/out")
    done = _complete(db, w, 2)
    assert storage_targets.write_completed(db) == 0
    assert "could not be reached" in caplog.text or "no such object" in caplog.text
    # the connection rests, then is tried again once the bucket exists
    s3.make_bucket("not-made-yet")
    assert storage_targets.write_completed(db) == 0  # still resting
    monkeypatch.setattr(storage_targets, "_resting", {})
    assert storage_targets.write_completed(db) == 2
    assert sorted(s3.filesystem().find("not-made-yet/out")) == sorted(
        f"not-made-yet/out/{i}.json" for i in done)


def test_only_managers_set_the_option_and_it_must_be_a_flag(db, s3):
    import pytest

    from labelwell.errors import InvalidInput

    w = build_world(db, n_annotators=1, n_items=1, overlap=1)
    with db.session() as s, pytest.raises(InvalidInput, match="labels_on_complete"):
        storage.create_connection(s, w.manager, w.project_id, name="x", url="s3://b/p",
                                  options={"labels_on_complete": "yes"})
