"""Pre-labeling 100,000 texts end to end on SQLite, stage by stage.

The texts are the YouTube spam comments (``/work/shared/datasets/text/youtube_spam``,
read in place) repeated and perturbed until there are ``--n`` distinct ones
(each copy drops, repeats or swaps a word, or adds a short word or emoji at
the end; every text is checked to be new), so nothing comes from the
embedding cache. 600 further comments are imported with their true class as a
human label; the project's model (all-MiniLM-L6-v2 on ONNX Runtime, then
logistic regression) is trained on them and calibrated by temperature scaling
on a held-out fifth; then every one of the ``--n`` items is embedded,
classified, its calibrated prediction stored, and the predictions routed
(auto-approve at 0.85, 5% spot checks). The embedding cache starts empty.

Each stage's time is printed: import (not part of pre-labeling), model load
(the ONNX session, exported on first use), training (embed + fit +
calibrate), then inside pre-labeling: reading the pool, embedding, classifying,
storing; and routing. The total of the pre-labeling stages is the figure
against the 5-minute target.

Run: ``.venv/bin/python benchmarks/bench_prelabel.py [--n 100000]
[--backend onnx|onnx-int8] [--threads N] [--batch-size 64] [--json out.json]``.
The machine is shared: the load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_weak_platform import DATA, ONTOLOGY  # the same comments and ham/spam project
from bench_weak_platform import load_comments as all_comments

N_LABELED = 600
TAILS = ["lol", "!!", "wow", ":)", "omg", "yes", "haha", "<3", "cool", "nice", "ok", "..."]


def load_comments() -> pd.DataFrame:
    return all_comments().drop_duplicates("CONTENT").reset_index(drop=True)


def perturb(words: list[str], rng: np.random.Generator) -> list[str]:
    """One small edit of a comment's words."""
    words = list(words)
    op = int(rng.integers(4))
    if op == 0 and len(words) > 3:
        del words[int(rng.integers(len(words)))]
    elif op == 1 and words:
        k = int(rng.integers(len(words)))
        words.insert(k, words[k])
    elif op == 2 and len(words) > 1:
        k = int(rng.integers(len(words) - 1))
        words[k], words[k + 1] = words[k + 1], words[k]
    else:
        words.append(TAILS[int(rng.integers(len(TAILS)))])
    return words


def distinct_texts(comments: list[str], n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``n`` distinct texts made from the comments in turn, and the comment
    each one came from."""
    rng = np.random.default_rng(seed)
    seen: set[str] = set()
    texts: list[str] = []
    origin = np.empty(n, dtype=np.int64)
    i = 0
    while len(texts) < n:
        source = i % len(comments)
        words = comments[source].split()
        text = comments[source] if i < len(comments) else ""
        while not text or text in seen:
            words = perturb(words, rng)
            text = " ".join(words)
        seen.add(text)
        origin[len(texts)] = source
        texts.append(text)
        i += 1
    return texts, origin


class Stopwatch:
    """Seconds spent in wrapped functions, by stage: wall clock, and this
    process's CPU time (all its threads), which the machine's load changes less."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def wrap(self, stage: str, fn):
        def timed(*args, **kwargs):
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start
                self.cpu[stage] = self.cpu.get(stage, 0.0) + time.process_time() - cpu

        return timed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--backend", default="onnx", choices=["onnx", "onnx-int8"])
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is missing")
        return
    print(f"CPU cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (shared machine)")

    import labelwell.assist.routing  # noqa: F401  (scipy.stats: a one-off import, not timed)
    from labelwell.assist.embeddings import EmbeddingCache, SentenceEmbedder
    from labelwell.assist.text_classifier import EmbeddingTextClassifier
    from labelwell.formats.registry import ImportRow
    from labelwell.store.db import Database
    from labelwell.store.migrate import upgrade
    from labelwell.work import accounts, items, projects
    from labelwell.work.actors import Actor
    from labelwell.work.assist.routing import route
    from labelwell.work.assist.training import train_from_project

    prelabel_module = importlib.import_module("labelwell.work.assist.prelabel")
    comments = load_comments()
    labeled = comments.sample(N_LABELED, random_state=0)
    pool = comments.drop(labeled.index)
    texts, origin = distinct_texts(pool["CONTENT"].tolist(), args.n)
    truth = pool["CLASS"].to_numpy()[origin]
    folder = Path(tempfile.mkdtemp(prefix="bench_prelabel_"))
    db = Database(f"sqlite:///{folder / 'bench.db'}")
    upgrade(db)
    watch = Stopwatch()

    start = time.perf_counter()
    with db.session() as s:
        admin = Actor.of(accounts.create_user(s, "admin@example.org", role="admin"))
        pid = projects.create_project(s, admin, "spam", ONTOLOGY, gold_ratio=0.0).id
        rows = [
            ImportRow(
                line=k + 1,
                data={"text": t},
                annotations=[
                    {"result": {"label": "spam" if c else "ham"}, "annotator": "a@example.org"}
                ],
            )
            for k, (t, c) in enumerate(zip(labeled["CONTENT"], labeled["CLASS"], strict=True))
        ]
        items.import_rows(s, admin, pid, rows, filename="labeled.jsonl")
        rows = [ImportRow(line=k + 1, data={"text": t}) for k, t in enumerate(texts)]
        items.import_rows(s, admin, pid, rows, filename="comments.jsonl")
    t_import = time.perf_counter() - start

    embedder = SentenceEmbedder(
        cache=EmbeddingCache(folder / "cache"),
        backend=args.backend,
        threads=args.threads,
        batch_size=args.batch_size,
    )
    t_load, _ = timed(embedder._get_model)
    embedder._encode = watch.wrap("embed", embedder._encode)  # type: ignore[method-assign]
    predictor = EmbeddingTextClassifier(embedder=embedder)

    start = time.perf_counter()
    with db.session() as s:
        report = train_from_project(s, admin, pid, predictor=predictor, seed=0)
    t_train = time.perf_counter() - start
    t_train_embed = watch.seconds.pop("embed", 0.0)
    watch.cpu.pop("embed", None)
    calibrated = report.predictor

    prelabel_module.unlabeled_pool = watch.wrap("read pool", prelabel_module.unlabeled_pool)
    prelabel_module.store_predictions = watch.wrap("store", prelabel_module.store_predictions)
    calibrated.predict_proba = watch.wrap("predict", calibrated.predict_proba)  # type: ignore[method-assign]
    start = time.perf_counter()
    with db.session() as s:
        done = prelabel_module.prelabel(s, admin, pid, calibrated, batch_size=2048)
    t_prelabel = time.perf_counter() - start

    start = time.perf_counter()
    with db.session() as s:
        routed = route(s, admin, pid, threshold=0.85, spot_check=0.05, seed=0)
    t_route = time.perf_counter() - start

    from sqlalchemy import select

    from labelwell.store.tables import Item, Prediction

    with db.read_session() as s:
        stored = dict(
            s.execute(
                select(Item.data["text"].as_string(), Prediction.result["label"].as_string())
                .join(Prediction, Prediction.item_id == Item.id)
                .where(Prediction.project_id == pid)
            ).all()
        )
    predicted = np.asarray(
        [stored.get(t) == ("spam" if c else "ham") for t, c in zip(texts, truth, strict=True)]
    )

    embed = watch.seconds.get("embed", 0.0)
    stages = [
        ("import (not timed as pre-labeling)", t_import),
        ("model load (ONNX session)", t_load),
        (f"train: embed {N_LABELED} labeled texts", t_train_embed),
        ("train: fit + temperature scaling", t_train - t_train_embed),
        ("pre-label: read the pool", watch.seconds.get("read pool", 0.0)),
        (f"pre-label: embed {args.n:,} texts", embed),
        ("pre-label: classify + calibrate", watch.seconds.get("predict", 0.0) - embed),
        ("pre-label: store predictions", watch.seconds.get("store", 0.0)),
        ("route (auto-approve, spot checks)", t_route),
    ]
    total = t_load + t_train + t_prelabel + t_route
    print(
        f"{args.n:,} texts, backend {args.backend}, threads {args.threads or os.cpu_count()}, "
        f"batch {args.batch_size}, SQLite"
    )
    print("| stage | seconds |")
    print("|---|---:|")
    for name, sec in stages:
        print(f"| {name} | {sec:.1f} |")
    print(f"| pre-labeling, all stages but the import | **{total:.1f}** |")
    print(
        f"embedding {args.n / max(embed, 1e-9):,.0f} texts/s; {done.n_predicted:,} predictions, "
        f"accuracy {predicted.mean():.3f}; T = {report.temperature:.3f}; routes {routed.counts()}"
    )
    cpu = watch.cpu.get("embed", 0.0)
    print(
        f"embedding used {cpu:.1f} CPU seconds ({args.n / max(cpu, 1e-9):,.0f} texts per "
        f"CPU second); process CPU time in all {time.process_time():.1f} s"
    )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "n": args.n,
                    "backend": args.backend,
                    "threads": args.threads,
                    "stages": dict(stages),
                    "total_s": total,
                    "embed_cpu_s": watch.cpu.get("embed", 0.0),
                    "accuracy": float(predicted.mean()),
                    "routes": routed.counts(),
                    "python": sys.version.split()[0],
                },
                indent=2,
            )
        )


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


if __name__ == "__main__":
    main()
