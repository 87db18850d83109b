"""Annotators working while a large file is imported into their project.

16 annotators loop next task + submit against `labelwell serve --workers 2`
while `labelwell import` stores a 1M-item JSONL file into the same project;
reports the annotators' latencies before and during the import, the errors
they saw (a 503 is a request that gave up waiting) and how long the import took.
With ``--seed-items`` small, the annotators label every seed item early and
then ask for work that is not there yet: ``empty_next_ms`` are those answers
(204), which must not grow with the rows the import has stored so far.

    python benchmarks/bench_import_contention.py --items 1000000 --json /tmp/contention.json
    python benchmarks/bench_import_contention.py --backend postgres --items 1000000

Target: next + submit p99 under 250 ms during the import, on both databases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from _core import Server, fresh_database, percentiles, seed  # noqa: E402
from _http import Connection  # noqa: E402


def write_file(path: Path, n: int) -> None:
    with open(path, "wb") as out:
        for i in range(n):
            out.write(orjson.dumps({"data": {"text": f"imported review {i}: fine"}}) + b"\n")


async def run(url: str, database_url: str, project_id: int, tokens: list[str], path: Path,
              warmup: float, quiet: float) -> dict[str, object]:
    samples: list[tuple[float, float, float, float]] = []  # start, next, submit, pair
    empty: list[tuple[float, float]] = []  # start, next: "nothing left for you" (204)
    errors: dict[str, int] = {}
    stop = asyncio.Event()

    async def annotator(token: str) -> None:
        http = Connection.for_url(url, {"Authorization": f"Bearer {token}"})
        try:
            while not stop.is_set():
                t0 = time.perf_counter()
                task = await http.post(f"/api/v1/projects/{project_id}/tasks/next")
                t1 = time.perf_counter()
                if task.status_code == 204:  # the seed items are all labelled
                    empty.append((t0, t1 - t0))
                    await asyncio.sleep(0.05)
                    continue
                if task.status_code != 200:
                    errors[f"next {task.status_code}"] = errors.get(
                        f"next {task.status_code}", 0) + 1
                    await asyncio.sleep(0.05)
                    continue
                done = await http.post(
                    f"/api/v1/assignments/{task.json()['assignment_id']}/submit",
                    {"result": {"sentiment": "positive"},
                     "idempotency_key": secrets.token_hex(8)})
                t2 = time.perf_counter()
                if done.status_code != 201:
                    errors[f"submit {done.status_code}"] = errors.get(
                        f"submit {done.status_code}", 0) + 1
                    continue
                samples.append((t0, t1 - t0, t2 - t1, t2 - t0))
        finally:
            await http.close()

    workers = [asyncio.create_task(annotator(t)) for t in tokens]
    await asyncio.sleep(warmup)
    t_quiet = time.perf_counter()
    await asyncio.sleep(quiet)
    t_import = time.perf_counter()
    env = {**os.environ, "LABELWELL_DATABASE_URL": database_url,
           "LABELWELL_USER": "admin@bench.org"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "labelwell.cli", "import", str(project_id), str(path),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    t_done = time.perf_counter()
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.gather(*workers)
    if proc.returncode != 0:
        raise RuntimeError(f"import failed: {out.decode()} {err.decode()[-2000:]}")

    def window(a: float, b: float) -> dict[str, object]:
        rows = [s for s in samples if a <= s[0] < b]
        nothing = [e[1] for e in empty if a <= e[0] < b]
        return {"pairs": len(rows), "pairs_per_s": round(len(rows) / (b - a), 1),
                "empty_next": len(nothing), "empty_next_ms": percentiles(nothing),
                "next": percentiles([r[1] for r in rows]),
                "submit": percentiles([r[2] for r in rows]),
                "next_plus_submit": percentiles([r[3] for r in rows]),
                "worst_pair_ms": round(max((r[3] for r in rows), default=0) * 1000, 1)}

    def timeline(a: float, b: float, step: float = 5.0) -> list[dict[str, object]]:
        """Per ``step`` seconds from ``a``: pairs and their slowest, empty answers."""
        rows = []
        for k in range(int((b - a) // step) + 1):
            lo, hi = a + k * step, a + (k + 1) * step
            pairs = [s[3] for s in samples if lo <= s[0] < hi]
            rows.append({"t_s": round(k * step, 1), "pairs": len(pairs),
                         "worst_pair_ms": round(max(pairs, default=0) * 1000, 1),
                         "empty_next": sum(1 for e in empty if lo <= e[0] < hi)})
        return rows

    return {"import_s": round(t_done - t_import, 1), "imported": out.decode().strip(),
            "timeline": timeline(t_import, t_done),
            "before": window(t_quiet, t_import), "during": window(t_import, t_done),
            "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--items", type=int, default=1_000_000, help="items in the import")
    parser.add_argument("--seed-items", type=int, default=50_000,
                        help="items the annotators work on before the import")
    parser.add_argument("--annotators", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "import.jsonl"
        write_file(path, args.items)
        url = fresh_database(args.backend, Path(tmp))
        project_id, tokens = seed(url, annotators=args.annotators, items=args.seed_items,
                                  overlap=1)
        with Server(url, workers=args.workers) as server:
            result = asyncio.run(run(server.url, url, project_id, tokens, path,
                                     warmup=3.0, quiet=10.0))
    result = {"backend": args.backend, "items": args.items, "annotators": args.annotators,
              **result}
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
