"""What live consensus costs, and how long a project quality report takes.

1. Submit path: next-task + submit service calls (no HTTP) on an overlap-3 project,
   with the consensus hook and with it replaced by a no-op, in alternating rounds
   of the same run; the ratio is the cost of deciding consensus inside submit.
2. Quality report: a synthetic project (items x 3 answers from annotators of known
   accuracy, some gold checks) written in bulk, then ``quality_report`` timed per
   aggregation method, with the aggregated labels' accuracy against the truth.

    python benchmarks/bench_consensus.py --items 600 --report-items 20000 --json out.json

Figures depend on the machine; compare the ratios measured in one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from labelwell.store.db import Database  # noqa: E402
from labelwell.store.migrate import upgrade  # noqa: E402
from labelwell.store.tables import Annotation, Assignment, GoldAnswer, Item, utcnow  # noqa: E402
from labelwell.work import consensus, queue  # noqa: E402
from labelwell.work.quality_report import quality_report  # noqa: E402
from world import build_world  # noqa: E402

OPTIONS = ["positive", "negative", "neutral"]


def fresh(workdir: Path, name: str) -> Database:
    db = Database(f"sqlite:///{workdir / name}.db")
    upgrade(db)
    return db


def label_round(db, world, rng, rounds: int, out: dict[str, list[float]]) -> None:
    """Each annotator labels ``rounds`` items; seconds per submit call (with its
    commit) go to ``out["other"]``, or ``out["last"]`` for the submit that completes
    the item's overlap."""
    for _ in range(rounds):
        for actor in world.annotators:
            with db.session() as s:
                task = queue.next_task(s, actor, world.project_id)
                if task is None:
                    continue
                answer = {"sentiment": OPTIONS[int(rng.integers(3))]}
                t0 = time.perf_counter()
                queue.submit(s, actor, task.assignment_id, answer)
                last = s.get(Item, task.item_id).n_done >= 3
            out["last" if last else "other"].append(time.perf_counter() - t0)


def _off(session, project, item_id):
    return None


def bench_submit(workdir: Path, items: int, block: int = 20) -> dict[str, object]:
    on_db, off_db = fresh(workdir, "on"), fresh(workdir, "off")
    on = build_world(on_db, n_annotators=3, n_items=items, overlap=3)
    off = build_world(off_db, n_annotators=3, n_items=items, overlap=3)
    hook = consensus.on_submitted
    rng = np.random.default_rng(0)
    times = {name: {"last": [], "other": []} for name in ("on", "off")}
    for k in range(items // block):
        for name in ("on", "off") if k % 2 == 0 else ("off", "on"):
            consensus.on_submitted = hook if name == "on" else _off  # type: ignore[assignment]
            try:
                db, world = (on_db, on) if name == "on" else (off_db, off)
                label_round(db, world, rng, block, times[name])
            finally:
                consensus.on_submitted = hook
    on_db.dispose()
    off_db.dispose()
    out: dict[str, object] = {"submits_each": sum(len(v) for v in times["on"].values())}
    for kind in ("other", "last"):
        med_on = statistics.median(times["on"][kind])
        med_off = statistics.median(times["off"][kind])
        out[kind] = {
            "median_ms_with_consensus": round(med_on * 1000, 3),
            "median_ms_without": round(med_off * 1000, 3),
            "ratio": round(med_on / med_off, 3),
        }
    return out


def seed_report_project(db: Database, n_items: int, n_gold: int, seed: int = 0):
    """Items x 3 answers from 12 annotators with accuracies 0.55-0.95, plus gold checks."""
    rng = np.random.default_rng(seed)
    world = build_world(
        db,
        n_annotators=12,
        n_items=n_items + n_gold,
        overlap=3,
        gold={k: {"sentiment": "positive"} for k in range(n_gold)},
    )
    accuracy = np.linspace(0.55, 0.95, 12)
    truth = rng.integers(3, size=n_items + n_gold)
    truth[:n_gold] = 0
    now = utcnow()
    assignments, annotations = [], []
    for item in range(n_items + n_gold):
        workers = rng.choice(12, size=3 if item >= n_gold else 12, replace=False)
        for w in workers:
            right = rng.random() < accuracy[w]
            label = truth[item] if right else (truth[item] + 1 + rng.integers(2)) % 3
            k = len(assignments) + 1
            actor = world.annotators[w]
            assignments.append(
                {
                    "id": k,
                    "item_id": item + 1,
                    "project_id": world.project_id,
                    "user_id": actor.id,
                    "status": "submitted",
                    "is_gold": item < n_gold,
                    "leased_at": now,
                    "expires_at": now + timedelta(hours=1),
                }
            )
            annotations.append(
                {
                    "item_id": item + 1,
                    "project_id": world.project_id,
                    "user_id": actor.id,
                    "assignment_id": k,
                    "source": "human",
                    "agent": actor.email,
                    "result": {"sentiment": OPTIONS[label]},
                    "time_spent_ms": int(rng.gamma(4, 2000)),
                    "is_gold_check": item < n_gold,
                    "details": {},
                    "created_at": now,
                }
            )
    with db.session() as s:
        s.execute(insert(Assignment), assignments)
        s.execute(insert(Annotation), annotations)
        assert s.get(GoldAnswer, 1) is not None and s.get(Item, 1).is_gold
    return world, {i + 1: OPTIONS[t] for i, t in enumerate(truth) if i >= n_gold}, len(annotations)


def bench_report(workdir: Path, n_items: int, methods: list[str]) -> list[dict[str, object]]:
    db = fresh(workdir, "report")
    world, truth, n_answers = seed_report_project(db, n_items, n_gold=20)
    rows = []
    for method in methods:
        with db.read_session() as s:
            t0 = time.perf_counter()
            report = quality_report(
                s, world.manager, world.project_id, method=method, max_labels=n_items
            )
            seconds = time.perf_counter() - t0
        hits = [truth[x.item_id] == x.label for x in report.labels]
        rows.append(
            {
                "method": method,
                "answers": n_answers,
                "items": n_items,
                "seconds": round(seconds, 3),
                "accuracy": round(float(np.mean(hits)), 4),
                "alpha": round(report.overall.alpha or float("nan"), 4),
            }
        )
    db.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=600, help="items in the submit benchmark")
    parser.add_argument("--report-items", type=int, default=20_000)
    parser.add_argument("--methods", default="mv,ds,glad,mace")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        submit = bench_submit(Path(tmp), args.items)
        report = bench_report(Path(tmp), args.report_items, args.methods.split(","))
    print(f"submit (SQLite, overlap 3, {submit['submits_each']} submits each, median):")
    for kind, what in (("other", "1st/2nd answer"), ("last", "3rd answer (decides)")):
        row = submit[kind]
        print(
            f"  {what:22} with consensus {row['median_ms_with_consensus']} ms, without "
            f"{row['median_ms_without']} ms, ratio {row['ratio']}"
        )
    print(f"{'method':8} {'answers':>8} {'items':>7} {'seconds':>8} {'accuracy':>9} {'alpha':>7}")
    for r in report:
        print(
            f"{r['method']:8} {r['answers']:>8} {r['items']:>7} {r['seconds']:>8} "
            f"{r['accuracy']:>9} {r['alpha']:>7}"
        )
    if args.json:
        args.json.write_text(json.dumps({"submit": submit, "report": report}, indent=2))


if __name__ == "__main__":
    main()
