"""The platform at a million: import 1,000,000 JSONL items through the CLI, ask for
next tasks with 50 concurrent annotators in that project (labeling at a brisk
human pace of one task a second on average, then back to back as a load test),
and export 1,000,000 annotations to JSONL through the CLI. Peak memory is the
child process's.

    python benchmarks/bench_scale.py --items 1000000 --json /tmp/scale.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from _core import SENTIMENT, Server, fresh_database, percentiles, run_measured  # noqa: E402
from _http import Connection  # noqa: E402

LABELWELL = [sys.executable, "-m", "labelwell.cli"]


def write_items(path: Path, n: int) -> None:
    with open(path, "wb") as fh:
        for i in range(n):
            fh.write(orjson.dumps({"data": {"text": f"review {i}: the battery lasts two days"},
                                   "external_id": f"r{i}"}) + b"\n")


def setup(home: Path, env: dict[str, str], annotators: int) -> None:
    run_measured([*LABELWELL, "init", "--email", "admin@bench.org"], env)
    config = home / "onto.json"
    config.write_text(json.dumps(SENTIMENT))
    run_measured([*LABELWELL, "project", "create", "bench", "--config", str(config),
                  "--gold-ratio", "0", "--overlap", "1"], env)
    for i in range(annotators):
        run_measured([*LABELWELL, "user", "create", f"a{i}@bench.org"], env)
        run_measured([*LABELWELL, "project", "add-member", "bench", f"a{i}@bench.org"], env)


def tokens_for(env: dict[str, str], annotators: int) -> list[str]:
    return [run_measured([*LABELWELL, "token", "create", f"a{i}@bench.org"], env)[2].split()[-1]
            for i in range(annotators)]


async def next_task_load(url: str, tokens: list[str], seconds: float,
                         think_s: float) -> dict[str, object]:
    """Each annotator asks for a task, labels it for ``think_s`` on average
    (uniform in [0.5, 1.5] x think_s; 0 = back to back, a pure load test) and
    submits; next-task latencies are gathered over ``seconds``."""
    latencies: list[float] = []
    rng = random.Random(7)
    t_end = time.perf_counter() + seconds

    async def annotator(token: str) -> None:
        http = Connection.for_url(url, {"Authorization": f"Bearer {token}"})
        try:
            if think_s:  # annotators arrive over the first second, not all at once
                await asyncio.sleep(rng.random())
            while time.perf_counter() < t_end:
                t0 = time.perf_counter()
                task = await http.post("/api/v1/projects/1/tasks/next")
                latencies.append(time.perf_counter() - t0)
                if task.status_code != 200:
                    raise RuntimeError(f"next task: {task.status_code} {task.content!r}")
                if think_s:
                    await asyncio.sleep(think_s * (0.5 + rng.random()))
                done = await http.post(
                    f"/api/v1/assignments/{task.json()['assignment_id']}/submit",
                    {"result": {"sentiment": "positive"}})
                if done.status_code != 201:
                    raise RuntimeError(f"submit: {done.status_code} {done.content!r}")
        finally:
            await http.close()

    await asyncio.gather(*(annotator(t) for t in tokens))
    return {"think_s": think_s, "requests": len(latencies),
            "per_s": round(len(latencies) / seconds, 1), **percentiles(latencies)}


def add_annotations(database_url: str, n: int) -> float:
    """One annotation per item, written in SQL (this is set-up, not measured)."""
    from sqlalchemy import text

    from labelwell.store.db import Database

    db = Database(database_url)
    t0 = time.perf_counter()
    with db.session() as s:
        s.execute(text(
            "INSERT INTO annotations (item_id, project_id, user_id, source, agent, result, "
            "guideline_version, time_spent_ms, status, is_gold_check, revision, is_current, "
            "details, created_at) SELECT id, project_id, NULL, 'human', 'a0@bench.org', "
            "'{\"sentiment\": \"positive\"}', 1, 1500, 'submitted', FALSE, 1, TRUE, '{}', "
            "created_at "
            "FROM items WHERE id NOT IN (SELECT item_id FROM annotations) LIMIT :n"), {"n": n})
    db.dispose()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--think", type=float, nargs="+", default=[1.0, 0.0],
                        help="mean seconds each annotator spends on a task (0: none)")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite",
                        help="postgres: a fresh schema on LABELWELL_BENCH_POSTGRES_URL")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict[str, object] = {"items": args.items, "backend": args.backend}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        url = fresh_database(args.backend, home)
        env = {"LABELWELL_DATABASE_URL": url, "LABELWELL_HOME": str(home)}
        setup(home, env, args.annotators)
        items = home / "items.jsonl"
        write_items(items, args.items)
        seconds, rss, _ = run_measured([*LABELWELL, "import", "bench", str(items)], env)
        results["import"] = {"seconds": round(seconds, 1), "peak_rss_mb": rss,
                             "items_per_s": round(args.items / seconds)}
        print(f"import {args.items:,} items: {seconds:.1f} s, peak RSS {rss} MB")

        tokens = tokens_for(env, args.annotators)
        results["next_task"] = []
        with Server(url, workers=args.workers) as server:
            for think in args.think:
                load = asyncio.run(next_task_load(server.url, tokens, args.seconds, think))
                results["next_task"].append({"annotators": args.annotators, **load})
                print(f"next task, {args.annotators} annotators labeling "
                      f"{think:g} s per task, {args.items:,} items: {load}")

        add_annotations(url, args.items)
        out = home / "export.jsonl"
        seconds, rss, _ = run_measured([*LABELWELL, "export", "bench", "--format", "jsonl",
                                        "-o", str(out)], env)
        with open(out, "rb") as fh:
            lines = sum(1 for _ in fh)
        results["export"] = {"seconds": round(seconds, 1), "peak_rss_mb": rss, "items": lines}
        print(f"export {lines:,} items with annotations: {seconds:.1f} s, peak RSS {rss} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
