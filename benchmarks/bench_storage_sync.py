"""Sync of ``--objects`` objects from an S3-compatible server into a project
(target: 100,000 in under 60 s), against moto's standalone server on 127.0.0.1
(the store the tests use) and a SQLite (or ``--data-url``) database; then a
second sync, which must find nothing new.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--data-url", default=None, help="a scratch database (default SQLite)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    with moto_server() as endpoint:
        fs = s3fs.S3FileSystem(key="k", secret="s", client_kwargs={"endpoint_url": endpoint})
        fs.mkdir("bench")
        t0 = time.perf_counter()
        for start in range(0, args.objects, 5_000):
            stop = min(start + 5_000, args.objects)
            fs.pipe({f"bench/in/{i // 1000:04d}/{i:07d}.jpg": b"x" for i in range(start, stop)})
        upload_s = time.perf_counter() - t0

        with tempfile.TemporaryDirectory() as tmp:
            db = Database(args.data_url or f"sqlite:///{tmp}/bench.db")
            upgrade(db)
            with db.session() as s:
                admin = Actor.of(accounts.create_user(s, "admin@example.org", role="admin"))
                project = projects.create_project(s, admin, "bench", ONTOLOGY)
                storage.create_connection(
                    s,
                    admin,
                    project.id,
                    name="raw",
                    url="s3://bench/in",
                    options={"endpoint_url": endpoint},
                    credentials={"key": "k", "secret": "s"},
                )
                project_id = project.id
            t0 = time.perf_counter()
            listed = len(fs.find("bench/in"))
            list_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            first = storage_sync.sync(db, admin, project_id, "raw")
            first_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            second = storage_sync.sync(db, admin, project_id, "raw")
            second_s = time.perf_counter() - t0
            db.dispose()
    result = {
        "objects": args.objects,
        "upload_s": round(upload_s, 2),
        "list_s": round(list_s, 2),
        "listed": listed,
        "sync_s": round(first_s, 2),
        "items_added": first.added_items,
        "resync_s": round(second_s, 2),
        "resync_added": second.added_items,
        "database": "postgresql" if args.data_url else "sqlite",
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
