"""A labeling pipeline over ``--items`` items end to end on one machine, each
stage timed: ``--items`` items in JSONL objects (``--per-object`` each) in a
local S3-compatible server (moto's
standalone server on 127.0.0.1, as the tests use), a SQLite (or ``--data-url``)
database, and ``labelwell.pipeline`` run in process (the SDK's requests go
to the app, a job worker beside it).

1. extract (sync the objects into items), prelabel (a saved word-count +
   logistic-regression model), distribute (overlap 1): one run;
2. one simulated annotator labels every item through the queue services (timed
   on its own: it stands for the people);
3. the same run again: the three stages are skipped, the quality gate passes at
   once and export writes JSONL back to the bucket.

    python benchmarks/bench_pipeline.py --items 10000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import s3fs
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from labelwell.assist.predictors import register_predictor
from labelwell.pipeline import parse
from labelwell.pipeline.runner import RunState, StageOutcome, in_process, run
from labelwell.store.db import Database
from labelwell.store.migrate import upgrade
from labelwell.work import accounts, projects, queue
from labelwell.work.actors import Actor
from labelwell.work.assist import saved
from labelwell.work.assist.predictors import CalibratedPredictor

sys.path.insert(0, str(Path(__file__).parent))
from _s3 import moto_server  # noqa: E402

SPAM = {
    "name": "spam",
    "controls": [
        {
            "name": "verdict",
            "type": "choice",
            "source": "text",
            "options": ["ham", "spam"],
            "required": True,
        }
    ],
}
SPAMMY = ["free gift card", "click here now", "subscribe to my channel", "win a prize"]
HAMMY = ["lovely song", "beautiful melody", "the voice is great", "my favourite album"]


@register_predictor("bench-bow", replace=True)
class BenchBow:
    """Word counts + logistic regression."""

    name = "bench-bow"

    def __init__(self) -> None:
        self._version = "unfitted"

    @property
    def version(self) -> str:
        return self._version

    @property
    def classes_(self) -> Any:
        return self.model_.classes_

    def fit(self, items: list[str], labels: list[str]) -> BenchBow:
        self.vec_ = CountVectorizer().fit(items)
        self.model_ = LogisticRegression().fit(self.vec_.transform(items), labels)
        self._version = f"n{len(labels)}"
        return self

    def predict_proba(self, items: list[str]) -> Any:
        return self.model_.predict_proba(self.vec_.transform(items))

    def embed(self, items: list[str]) -> Any:
        return self.vec_.transform(items).toarray().astype(np.float64)


def text_of(i: int, rng: random.Random) -> str:
    pool = SPAMMY if i % 2 else HAMMY
    return f"{rng.choice(pool)} {rng.choice(pool)} #{i}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument(
        "--per-object", type=int, default=1_000, help="items per JSONL object (a day's batch files)"
    )
    parser.add_argument("--data-url", default=None, help="a scratch database (default SQLite)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rng = random.Random(0)

    times: dict[str, float] = {}
    with moto_server() as endpoint:
        fs = s3fs.S3FileSystem(key="k", secret="s", client_kwargs={"endpoint_url": endpoint})
        fs.mkdir("bench")
        t0 = time.perf_counter()
        for start in range(0, args.items, args.per_object):
            stop = min(start + args.per_object, args.items)
            lines = "".join(
                json.dumps({"text": text_of(i, rng)}) + "\n" for i in range(start, stop)
            )
            fs.pipe({f"bench/in/{start:07d}.jsonl": lines.encode()})
        times["upload"] = time.perf_counter() - t0

        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            url = args.data_url or f"sqlite:///{home}/bench.db"
            os.environ.update(LABELWELL_DATABASE_URL=url, LABELWELL_HOME=str(home))
            os.environ.pop("LABELWELL_USER", None)
            db = Database(url)
            upgrade(db)
            with db.session() as s:
                admin = Actor.of(accounts.create_user(s, "admin@example.org", role="admin"))
                project = projects.create_project(
                    s, admin, "bench", SPAM, settings={"assist_model": "bench-bow"}
                )
                project_id = project.id
            seed = [text_of(i, rng) for i in range(200)]
            model = BenchBow().fit(seed, ["spam" if i % 2 else "ham" for i in range(200)])
            saved.save(CalibratedPredictor(model), saved.model_path(home, project_id))
            spec = {
                "version": 1,
                "name": "bench",
                "project": "bench",
                "storage": {
                    "name": "raw",
                    "url": "s3://bench/in",
                    "options": {"endpoint_url": endpoint, "glob": "*.jsonl", "json_items": True},
                    "credentials": {"key": "k", "secret": "s"},
                },
                "stages": {
                    "extract": {},
                    "prelabel": {"model": "saved", "batch_size": 1000},
                    "distribute": {"overlap": 1, "gold_ratio": 0.0},
                },
            }
            outcomes: list[StageOutcome] = []

            def report(outcome: StageOutcome) -> None:
                outcomes.append(outcome)
                print(
                    f"{outcome.stage:<13} {outcome.state:<8} {outcome.seconds:8.2f} s", flush=True
                )

            state_path = home / "state.json"
            with in_process() as lw:
                run(parse(json.dumps(spec)), lw, RunState(state_path, "bench"), report=report)
            t0 = time.perf_counter()
            labeled = 0
            while True:
                with db.session() as s:
                    task = queue.next_task(s, admin, project_id)
                    if task is None:
                        break
                    verdict = (
                        "spam"
                        if any(
                            w in task.data["text"] for w in ("free", "click", "subscribe", "win")
                        )
                        else "ham"
                    )
                    queue.submit(s, admin, task.assignment_id, {"verdict": verdict})
                    labeled += 1
            times["labeling (simulated annotator)"] = time.perf_counter() - t0
            print(
                f"labeled {labeled} in {times['labeling (simulated annotator)']:.2f} s", flush=True
            )
            spec["stages"].update(
                quality_gate={"min_done": 1.0, "poll_s": 1, "timeout_s": 600},
                export={"format": "jsonl", "url": "s3://bench/in/exports/"},
            )
            with in_process() as lw:
                run(parse(json.dumps(spec)), lw, RunState(state_path, "bench"), report=report)
            db.dispose()
    stages = {
        f"{o.stage}" + (" (skipped)" if o.state == "skipped" else ""): round(o.seconds, 2)
        for o in outcomes
    }
    result = {
        "items": args.items,
        "upload_s": round(times["upload"], 2),
        "stages_s": stages,
        "added_items": next(o.result["added_items"] for o in outcomes if o.stage == "extract"),
        "predicted": next(o.result["predicted"] for o in outcomes if o.stage == "prelabel"),
        "labeling_s": round(times["labeling (simulated annotator)"], 2),
        "labeled": labeled,
        "database": "postgresql" if args.data_url else "sqlite",
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
