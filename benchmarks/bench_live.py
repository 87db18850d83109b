"""What live events cost a submit, and how soon a stream hears of it.

1. Submit path: next-task + submit service calls (no HTTP) on an overlap-1
   project, with the submit's live event (``publish``) and with it replaced by a
   no-op, in alternating rounds of the same run; the ratio is the event's cost.
2. Delivery: a process's hub (one stream subscribed) and submits committed in
   another thread; the time from a submit's commit to the stream receiving its
   event (SQLite: the poller reads every ``POLL_S``; PostgreSQL: NOTIFY); each
   submit waits a random 0-200 ms first, so that it falls anywhere in the
   poller's cycle.

    python benchmarks/bench_live.py --rounds 6 --per-round 300 --events 100 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

Figures depend on the machine; compare the ratios measured in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import PgSchema  # noqa: E402
from labelwell.store.db import Database  # noqa: E402
from labelwell.store.migrate import upgrade  # noqa: E402
from labelwell.work import queue  # noqa: E402
from labelwell.work.events.hub import Hub  # noqa: E402
from labelwell.work.queue import submitting  # noqa: E402
from world import build_world  # noqa: E402


def label(db: Database, world, n: int) -> list[float]:
    """``n`` next + submit pairs by the world's annotators in turn; seconds each."""
    spent = []
    for i in range(n):
        actor = world.annotators[i % len(world.annotators)]
        started = time.perf_counter()
        with db.session() as s:
            task = queue.next_task(s, actor, world.project_id)
        if task is None:
            break
        with db.session() as s:
            queue.submit(s, actor, task.assignment_id, {"sentiment": "positive"})
        spent.append(time.perf_counter() - started)
    return spent


def submit_cost(db: Database, world, rounds: int, per_round: int) -> tuple[float, float]:
    real = submitting.publish
    timings: dict[bool, list[float]] = {True: [], False: []}
    try:
        for r in range(rounds):
            on = r % 2 == 0
            submitting.publish = real if on else (lambda *_a, **_k: None)  # type: ignore[assignment]
            timings[on] += label(db, world, per_round)
    finally:
        submitting.publish = real  # type: ignore[assignment]
    return statistics.median(timings[True]) * 1e3, statistics.median(timings[False]) * 1e3


def delivery(db: Database, world, n: int) -> list[float]:

    chance = random.Random(0)

    async def run() -> list[float]:
        hub = Hub(db)
        subscription = await hub.subscribe(world.project_id, world.manager.id)
        waits = []
        try:
            for i in range(n):
                actor = world.annotators[i % len(world.annotators)]
                # at a random moment of the poller's cycle, not just after its read
                await asyncio.sleep(chance.uniform(0, 0.2))
                committed = await asyncio.to_thread(lambda a=actor: _submit_once(db, world, a))
                await subscription.queue.get()
                waits.append(time.perf_counter() - committed)
        finally:
            hub.unsubscribe(subscription)
            await hub.close()
        return waits

    return asyncio.run(run())


def _submit_once(db: Database, world, actor) -> float:
    with db.session() as s:
        task = queue.next_task(s, actor, world.project_id)
    with db.session() as s:
        queue.submit(s, actor, task.assignment_id, {"sentiment": "positive"})
    return time.perf_counter()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--per-round", type=int, default=300)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL (a scratch schema)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        backends = [("SQLite", f"sqlite:///{tmp}/live.db", None)]
        if args.postgres:
            pg = PgSchema(args.postgres, f"bench_{uuid.uuid4().hex[:10]}")
            pg.create()
            backends.append(("PostgreSQL", pg.scoped_url, pg))
        print("| database | next + submit median, with event / without (ms) | event cost "
              "| commit to stream p50 / p95 / max (ms) |")
        print("|---|---|---:|---|")
        for name, url, schema in backends:
            try:
                db = Database(url)
                upgrade(db)
                items = args.rounds * args.per_round + args.events + 10
                world = build_world(db, n_annotators=4, n_items=items, overlap=1)
                with_event, without = submit_cost(db, world, args.rounds, args.per_round)
                waits = delivery(db, world, args.events)
                print(f"| {name} | {with_event:.2f} / {without:.2f} "
                      f"| {100 * (with_event / without - 1):+.1f}% "
                      f"| {pct(waits, 0.5):.1f} / {pct(waits, 0.95):.1f} / "
                      f"{max(waits) * 1e3:.1f} |")
                db.dispose()
            finally:
                if schema is not None:
                    schema.drop()


if __name__ == "__main__":
    main()
