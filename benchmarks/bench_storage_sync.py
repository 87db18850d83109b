"""Sync of ``--objects`` objects from an S3-compatible server into a project
(target: 100,000 in under 60 s), against S3 servers on 127.0.0.1 reached over
HTTP through s3fs, and a SQLite (or ``--data-url``) database.

Servers (``--servers``):

* ``moto``: moto's standalone server, the server the tests use. Its buckets
  are filled in its own process before it serves (``_moto_seeded.py``); by PUT
  100,000 objects took tens of minutes. Every listing page walks every key of
  the bucket (see ``bench_moto_listing.py``).
* ``disk``: no server: a folder (on tmpfs), one file an object, through
  fsspec's local filesystem, so that the sync's time is labelwell's own
  (listing a folder takes a fraction of a second);
* ``s3rver``: s3rver 3.7.1, a Node.js S3 server keeping each object as files in
  a directory (install: ``benchmarks/peers.sh s3rver``); its files are written
  before it starts.

Each layout gets a bucket of its own:

* ``sharded``: keys under date and shard prefixes, as buckets written by
  services usually are (``in/2026-12-03/shard-07/0012345.jpg``, 1,000 objects a
  shard);
* ``shards``: keys under one level of shard prefixes
  (``in/shard-0012/0012345.jpg``, 1,000 objects a shard);
* ``flat``: every key directly under the prefix (``in/0012345.jpg``).

s3rver 3.7.1 answers a listing with the ``/`` delimiter with no folder for
keys two levels or more below the prefix (it finds its common prefixes only
among the keys of the first level of directories it walks), so against it the
sync's split finds nothing in the ``sharded`` layout; the run records what
each listing found and times the syncs only where the listings agree.

For each server and layout, in the same run: the listing as one ``fs.find`` of
the prefix (page after page), the sync's parallel listing
(:func:`labelwell.work.storage_sync.list_keys`) alone, the first sync (listing
included) with its stage times, and a second sync, which must find nothing new,
with its stage times. The import code is loaded before any timing, as it is in
a running server or worker.

    python benchmarks/bench_storage_sync.py --objects 100000 --servers moto,s3rver
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import labelwell.work.imports  # noqa: F401  (loaded before timing, as in a running server)
from labelwell.store.db import Database
from labelwell.store.migrate import upgrade
from labelwell.work import accounts, projects, storage, storage_sync
from labelwell.work.actors import Actor

sys.path.insert(0, str(Path(__file__).parent))
from _s3 import LAYOUTS, Endpoint, chosen, disk, s3rver, seeded_moto  # noqa: E402

ONTOLOGY = {
    "name": "images",
    "controls": [{"name": "animal", "type": "choice", "source": "url", "options": ["cat", "dog"]}],
}
SERVERS: dict[str, Callable[[dict[str, tuple[str, int]]], AbstractContextManager[Endpoint]]] = {
    "moto": seeded_moto,
    "s3rver": s3rver,
    "disk": disk,
}


def timed(run: Callable[[], object], cpu: dict | None = None) -> tuple[object, float]:
    """``run()`` and its seconds; with ``cpu``, also the CPU seconds this
    process spent meanwhile (all its threads: s3fs parses listings on its own),
    under ``cpu["cpu_s"]``: its share of a listing, the rest is the server's."""
    t0, c0 = time.perf_counter(), time.process_time()
    value = run()
    if cpu is not None:
        cpu["cpu_s"] = round(time.process_time() - c0, 2)
    return value, round(time.perf_counter() - t0, 2)


def measure(end: Endpoint, bucket: str, n: int, data_url: str | None) -> dict:
    fs = end.filesystem()
    root = end.path(bucket)
    out: dict = {}
    found, out["list_find_s"] = timed(lambda: fs.find(root))
    assert isinstance(found, list)
    out["listed_find"] = len(found)
    cpu: dict = {}
    found, out["list_parallel_s"] = timed(lambda: storage_sync.list_keys(fs, root), cpu)
    assert isinstance(found, list)
    out["listed_parallel"] = len(found)
    out["list_parallel_client_cpu_s"] = cpu["cpu_s"]
    if out["listed_find"] != n or out["listed_parallel"] != n:
        print(
            f"{bucket}: listed {out['listed_find']} and {out['listed_parallel']} of {n}",
            file=sys.stderr,
        )
        return out
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(data_url or f"sqlite:///{tmp}/bench.db")
        upgrade(db)
        with db.session() as s:
            admin = Actor.of(accounts.create_user(s, f"admin-{bucket}@example.org", role="admin"))
            project = projects.create_project(
                s, admin, f"bench-{bucket}-{time.time_ns()}", ONTOLOGY
            )
            storage.create_connection(
                s,
                admin,
                project.id,
                name="raw",
                **end.connection(bucket),
            )
            project_id = project.id
        for name in ("sync", "resync"):
            report, out[f"{name}_s"] = timed(
                lambda: storage_sync.sync(db, admin, project_id, "raw"), cpu
            )
            out[f"{name}_cpu_s"] = cpu["cpu_s"]
            assert isinstance(report, storage_sync.SyncReport)
            out[f"{name}_added"] = report.added_items
            out[f"{name}_stages"] = report.stages
        db.dispose()
    assert out["sync_added"] == n and out["resync_added"] == 0, out
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--layouts", default="sharded,shards,flat", help=", ".join(LAYOUTS))
    parser.add_argument("--servers", default="moto,s3rver", help="moto, s3rver, disk")
    parser.add_argument("--data-url", default=None, help="a scratch database (default SQLite)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    layouts = chosen(parser, "--layouts", args.layouts, LAYOUTS)
    servers = chosen(parser, "--servers", args.servers, SERVERS)

    result: dict = {
        "objects": args.objects,
        "database": "postgresql" if args.data_url else "sqlite",
        "list_workers": storage_sync.LIST_WORKERS,
    }
    for server in servers:
        seed = {layout: (layout, args.objects) for layout in layouts}
        with SERVERS[server](seed) as end:
            print(f"{server}: filled in {end.seed_s:.1f} s", file=sys.stderr, flush=True)
            result[server] = {"seed_s": round(end.seed_s, 2)}
            for layout in layouts:
                result[server][layout] = measure(end, layout, args.objects, args.data_url)
                print(json.dumps({server: {layout: result[server][layout]}}), file=sys.stderr)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
