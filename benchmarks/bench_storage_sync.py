"""Sync of ``--objects`` objects from an S3-compatible server into a project
(target: 100,000 in under 60 s), against moto's standalone server on 127.0.0.1
(the store the tests use) and a SQLite (or ``--data-url``) database.

Each layout gets a bucket of its own in one moto server:

* ``sharded``: keys under date and shard prefixes, as buckets written by
  services usually are (``in/2026-12-03/shard-07/0012345.jpg``, 1,000 objects a
  shard);
* ``flat``: every key directly under the prefix (``in/0012345.jpg``).

For each, in the same run: the listing as the sync did it before (``fs.find``
of the prefix, one listing page after page), the sync's parallel listing
(:func:`labelwell.work.storage_sync.list_keys`) alone, the first sync (listing
included), and a second sync, which must find nothing new. The import code
is loaded before any timing, as it is in a running server or worker.

    python benchmarks/bench_storage_sync.py --objects 100000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import s3fs

import labelwell.work.imports  # noqa: F401  (loaded before timing, as in a running server)
from labelwell.store.db import Database
from labelwell.store.migrate import upgrade
from labelwell.work import accounts, projects, storage, storage_sync
from labelwell.work.actors import Actor

sys.path.insert(0, str(Path(__file__).parent))
from _s3 import moto_server  # noqa: E402

ONTOLOGY = {
    "name": "images",
    "controls": [{"name": "animal", "type": "choice", "source": "url", "options": ["cat", "dog"]}],
}
#: objects under one shard prefix of the sharded layout
PER_SHARD = 1_000
#: shards a day in the sharded layout
SHARDS = 10


def key_of(layout: str, i: int) -> str:
    if layout == "flat":
        return f"{i:07d}.jpg"
    shard = i // PER_SHARD
    day, part = divmod(shard, SHARDS)
    return f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}/shard-{part:02d}/{i:07d}.jpg"


def fill(fs: s3fs.S3FileSystem, bucket: str, layout: str, n: int) -> float:
    fs.mkdir(bucket)
    t0 = time.perf_counter()
    for start in range(0, n, 5_000):
        stop = min(start + 5_000, n)
        fs.pipe({f"{bucket}/in/{key_of(layout, i)}": b"x" for i in range(start, stop)})
    return time.perf_counter() - t0


def measure(fs: s3fs.S3FileSystem, endpoint: str, bucket: str, data_url: str | None) -> dict:
    out: dict = {}
    t0 = time.perf_counter()
    out["listed_find"] = len(fs.find(f"{bucket}/in"))
    out["list_find_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    out["listed_parallel"] = len(storage_sync.list_keys(fs, f"{bucket}/in"))
    out["list_parallel_s"] = round(time.perf_counter() - t0, 2)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(data_url or f"sqlite:///{tmp}/bench.db")
        upgrade(db)
        with db.session() as s:
            admin = Actor.of(accounts.create_user(s, f"admin-{bucket}@example.org", role="admin"))
            project = projects.create_project(s, admin, f"bench-{bucket}", ONTOLOGY)
            storage.create_connection(
                s,
                admin,
                project.id,
                name="raw",
                url=f"s3://{bucket}/in",
                options={"endpoint_url": endpoint},
                credentials={"key": "k", "secret": "s"},
            )
            project_id = project.id
        t0 = time.perf_counter()
        first = storage_sync.sync(db, admin, project_id, "raw")
        out["sync_s"] = round(time.perf_counter() - t0, 2)
        out["items_added"] = first.added_items
        t0 = time.perf_counter()
        second = storage_sync.sync(db, admin, project_id, "raw")
        out["resync_s"] = round(time.perf_counter() - t0, 2)
        out["resync_added"] = second.added_items
        db.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--layouts", default="sharded,flat", help="sharded, flat or both")
    parser.add_argument("--data-url", default=None, help="a scratch database (default SQLite)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    layouts = [name.strip() for name in args.layouts.split(",") if name.strip()]
    unknown = set(layouts) - {"sharded", "flat"}
    if unknown:
        parser.error(f"--layouts: unknown {', '.join(sorted(unknown))}")

    result: dict = {
        "objects": args.objects,
        "database": "postgresql" if args.data_url else "sqlite",
        "list_workers": storage_sync.LIST_WORKERS,
    }
    with moto_server() as endpoint:
        fs = s3fs.S3FileSystem(
            key="k", secret="s", use_listings_cache=False, client_kwargs={"endpoint_url": endpoint}
        )
        for layout in layouts:
            upload_s = fill(fs, layout, layout, args.objects)
            print(f"{layout}: filled in {upload_s:.1f} s", file=sys.stderr, flush=True)
            result[layout] = {"upload_s": round(upload_s, 2)}
            result[layout].update(measure(fs, endpoint, layout, args.data_url))
            print(json.dumps({layout: result[layout]}), file=sys.stderr, flush=True)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
