"""The ``import_pyramids`` job over ``--objects`` images behind a storage URL
(:mod:`labelwell.work.media_pyramids`): what preparing a mask project's import
costs a worker before anyone opens an image.

Each object is an 800 x 600 JPEG (its pyramid is built within its first
request, so the job only reads its size, by a ranged read of its first bytes),
and ``--large`` of them are 4096 x 4096 (fetched into the media cache and given
a ``pyramid`` job, which this benchmark then runs and times apart). Servers
(``--servers``), each on 127.0.0.1:

* ``moto``: moto's standalone server (the one the tests use), filled by PUT
  through s3fs, reached over HTTP through s3fs;
* ``disk``: a folder (on tmpfs where there is one) behind a ``file://``
  connection, so that the job's time is labelwell's own.

Reported for each: the job's seconds and CPU seconds (this process, all its
threads; moto's own CPU is not counted), per object, and, with ``--heap``, the
peak of the Python heap while the job ran (tracemalloc; slows the run), which
stays flat as ``--objects`` grows: the job holds one batch of items at a time.

    python benchmarks/bench_import_pyramids.py --objects 20000 --large 2 --servers moto,disk
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

import labelwell.media.segmentation  # noqa: F401  (loaded before timing, as in a worker)
import labelwell.work.imports  # noqa: F401
import labelwell.work.media_pyramids  # noqa: F401
from labelwell.formats.registry import ImportRow
from labelwell.store.db import Database
from labelwell.store.migrate import upgrade
from labelwell.store.tables import Job
from labelwell.work import accounts, imports, jobs, projects, storage
from labelwell.work.actors import Actor

sys.path.insert(0, str(Path(__file__).parent))
from _s3 import Endpoint, _tmpfs, chosen, moto_server  # noqa: E402

ONTOLOGY = {
    "name": "scans",
    "controls": [{"name": "seg", "type": "mask", "source": "image", "labels": ["leaf"]}],
}
BUCKET = "scans"
#: objects written per request batch while filling a server
FILL = 500


def jpeg(side: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", side, (30, 120, 200)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def keys(n: int, large: int) -> Iterator[tuple[str, bytes]]:
    small, big = jpeg((800, 600)), jpeg((4096, 4096))
    for i in range(n):
        yield f"{i:07d}.jpg", big if i < large else small


@contextmanager
def moto(n: int, large: int) -> Iterator[Endpoint]:
    with moto_server() as url:
        end = Endpoint(url, "k", "s", 0.0)
        fs = end.filesystem()
        fs.mkdir(BUCKET)
        t0 = time.perf_counter()
        batch: dict[str, bytes] = {}
        for key, body in keys(n, large):
            batch[f"{end.path(BUCKET)}/{key}"] = body
            if len(batch) == FILL:
                fs.pipe(batch)
                batch = {}
        if batch:
            fs.pipe(batch)
        yield Endpoint(url, "k", "s", time.perf_counter() - t0)


@contextmanager
def disk(n: int, large: int) -> Iterator[Endpoint]:
    with tempfile.TemporaryDirectory(prefix="objects-", dir=_tmpfs()) as tmp:
        end = Endpoint(f"file://{tmp}", None, None, 0.0)
        folder = Path(end.path(BUCKET))
        folder.mkdir(parents=True)
        t0 = time.perf_counter()
        for key, body in keys(n, large):
            (folder / key).write_bytes(body)
        yield Endpoint(end.url, None, None, time.perf_counter() - t0)


SERVERS = {"moto": moto, "disk": disk}


def run_job(db: Database, home: Path, heap: bool) -> tuple[dict, float, float, float | None]:
    """Claim and run the one queued job: (its result, seconds, CPU seconds, heap MiB)."""
    job = jobs.claim(db, "bench")
    assert job is not None
    if heap:
        tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    state = jobs.run_claimed(db, job, "bench", home)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = None
    if heap:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    assert state == "done", state
    with db.read_session() as s:
        done = s.get(Job, job.id)
        assert done is not None
        return dict(done.result or {}), wall, cpu, peak


def measure(end: Endpoint, n: int, large: int, data_url: str | None, heap: bool) -> dict:
    out: dict = {"fill_s": round(end.seed_s, 2)}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        db = Database(data_url or f"sqlite:///{tmp}/bench.db")
        upgrade(db)
        with db.session() as s:
            admin = Actor.of(accounts.create_user(s, f"admin-{time.time_ns()}@x.org", role="admin"))
            pid = projects.create_project(s, admin, f"scans-{time.time_ns()}", ONTOLOGY).id
            storage.create_connection(s, admin, pid, name="scans", **end.connection(BUCKET))
            url = str(end.connection(BUCKET)["url"])
        rows = (
            ImportRow(line=i + 1, data={"image": f"{url}/{key}"})
            for i, (key, _) in enumerate(keys(n, 0))
        )
        imports.import_rows(db, admin, pid, rows, filename="scans.jsonl")
        result, wall, cpu, peak = run_job(db, home, heap)
        assert (result["files"], result["large"], result["failed"]) == (n, large, 0), result
        out.update(
            job_s=round(wall, 2),
            job_cpu_s=round(cpu, 2),
            ms_per_object=round(wall / n * 1000, 2),
            cpu_ms_per_object=round(cpu / n * 1000, 2),
            queued=result["queued"],
        )
        if peak is not None:
            out["heap_peak_mib"] = round(peak, 1)
        t0 = time.perf_counter()
        built = jobs.work(db, home, once=True)
        out.update(pyramids=built, pyramids_s=round(time.perf_counter() - t0, 2))
        db.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=2, help="of them 4096 x 4096")
    parser.add_argument("--servers", default="moto,disk", help="moto, disk")
    parser.add_argument("--data-url", default=None, help="a scratch database (default SQLite)")
    parser.add_argument("--heap", action="store_true", help="trace the Python heap's peak")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    servers = chosen(parser, "--servers", args.servers, SERVERS)
    result: dict = {
        "objects": args.objects,
        "large": args.large,
        "database": "postgresql" if args.data_url else "sqlite",
        "workers": labelwell.work.media_pyramids.WORKERS,
    }
    for server in servers:
        with SERVERS[server](args.objects, args.large) as end:
            result[server] = measure(end, args.objects, args.large, args.data_url, args.heap)
            print(json.dumps({server: result[server]}), file=sys.stderr, flush=True)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
