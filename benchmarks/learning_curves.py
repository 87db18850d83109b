"""Active learning and pre-labeling evidence on the UCI YouTube spam comments.

Sections (``--only`` picks some):

* ``curves``: accuracy against number of labels for random, margin, entropy,
  kmeans, kcenter and badge, 10 seeds. Each seed splits the 1,956 comments
  70/30 (stratified) into a pool and a test set, starts from 10 random labels
  and asks the strategy for 10 more each round; the model is
  ``EmbeddingTextClassifier`` (all-MiniLM-L6-v2 + logistic regression). Reports
  the normalised area under the mean curve and the labels each strategy needs
  before its mean accuracy reaches 95% of the accuracy of training on the
  whole pool. Saves ``docs/img/learning_curves.png`` (needs matplotlib).
* ``prelabel``: a model trained on 100 random labels pre-labels the rest; 300
  other labeled items fit temperature scaling and pick the auto-approve
  threshold for 98% precision; the remaining items measure ECE before and
  after, auto-approved precision and the share that skips people.
* ``throughput``: embedding items/s on CPU (cold, no cache).

Run: ``.venv/bin/python benchmarks/learning_curves.py [--json out.json]``.
Reads ``../shared/datasets/text/youtube_spam`` in place and stops with a
message when it is missing. Embeddings are cached under ``--cache``
(default: the system temp folder), never in the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from labelwell.assist.calibration import TemperatureScaling, expected_calibration_error
from labelwell.assist.embeddings import EmbeddingCache, SentenceEmbedder
from labelwell.assist.routing import RoutingPolicy, route, threshold_for_precision
from labelwell.assist.select import select

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "text" / "youtube_spam"
STRATEGIES = ["random", "margin", "entropy", "kmeans", "kcenter", "badge"]
C = 10.0  # inverse L2 strength for unit-length 384-d inputs (scikit-learn's C)


def load_comments() -> pd.DataFrame:
    if not DATA.is_dir():
        sys.exit(f"skipped: {DATA} is missing (the shared datasets folder is not here)")
    frames = [pd.read_csv(p) for p in sorted(DATA.glob("*.csv"))]
    df = pd.concat(frames, ignore_index=True)
    return df[["CONTENT", "CLASS"]].rename(columns={"CONTENT": "text", "CLASS": "label"})


def model() -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=2000)


def run_curve(strategy, x_pool, y_pool, x_test, y_test, seed, start, step, stop):
    rng = np.random.default_rng(seed)
    # the seed set: random, with both classes (a project needs one of each to train)
    labeled = list(rng.choice(len(y_pool), start, replace=False))
    while len(set(y_pool[labeled])) < 2:
        labeled = list(rng.choice(len(y_pool), start, replace=False))
    sizes, accs = [], []
    while True:
        clf = model().fit(x_pool[labeled], y_pool[labeled])
        sizes.append(len(labeled))
        accs.append(float((clf.predict(x_test) == y_test).mean()))
        if len(labeled) >= stop:
            break
        unl = np.setdiff1d(np.arange(len(y_pool)), labeled)
        probs = clf.predict_proba(x_pool[unl])
        picked = select(
            strategy,
            step,
            probs=probs,
            embeddings=x_pool[unl],
            seed=rng,
            **({"labeled_embeddings": x_pool[labeled]} if strategy == "kcenter" else {}),
        )
        labeled.extend(unl[picked].tolist())
    return np.array(sizes), np.array(accs)


def curves(x, y, seeds, start, step, stop, plot_path, strategies=STRATEGIES):
    results = {s: [] for s in strategies}
    full = []
    t0 = time.perf_counter()
    for seed in range(seeds):
        idx_pool, idx_test = train_test_split(
            np.arange(len(y)), test_size=0.3, stratify=y, random_state=seed
        )
        xp, yp, xt, yt = x[idx_pool], y[idx_pool], x[idx_test], y[idx_test]
        full.append(float((model().fit(xp, yp).predict(xt) == yt).mean()))
        for s in strategies:
            sizes, accs = run_curve(s, xp, yp, xt, yt, seed, start, step, stop)
            results[s].append(accs)
    elapsed = time.perf_counter() - t0
    full_acc = float(np.mean(full))
    goal = 0.95 * full_acc
    rows = []
    for s in strategies:
        acc = np.vstack(results[s])
        mean = acc.mean(axis=0)
        auc = float(np.trapezoid(mean, sizes) / (sizes[-1] - sizes[0]))
        reached = np.flatnonzero(mean >= goal)
        # per-seed labels to goal, to show the spread
        per_seed = [
            int(sizes[np.flatnonzero(a >= goal)[0]]) if (a >= goal).any() else None for a in acc
        ]
        span = sizes[-1] - sizes[0]
        rows.append(
            {
                "strategy": s,
                "auc": auc,
                # each seed's own, for paired comparisons (the same splits and
                # seed sets with other embeddings)
                "auc_per_seed": [float(np.trapezoid(a, sizes) / span) for a in acc],
                "labels_to_95pct": int(sizes[reached[0]]) if reached.size else None,
                "labels_to_95pct_per_seed": per_seed,
                "acc_at": {int(n): float(m) for n, m in zip(sizes, mean, strict=True)},
                "acc_sd_at": {
                    int(n): float(v) for n, v in zip(sizes, acc.std(axis=0), strict=True)
                },
            }
        )
    print(f"\n## Learning curves: {seeds} seeds, pool {len(idx_pool)}, test {len(idx_test)}")
    print(f"full-pool accuracy {full_acc:.4f} (sd {np.std(full):.4f}); 95% of it = {goal:.4f}")
    marks = sorted({n for n in (20, 50, 100, 200, stop) if n in set(sizes.tolist())})
    head = "| strategy | AUC | labels to 95% | " + " | ".join(f"acc@{n}" for n in marks) + " |"
    print(head)
    print("|" + "---|" * (3 + len(marks)))
    for r in rows:
        accs = " | ".join(f"{r['acc_at'][n]:.4f}" for n in marks)
        print(f"| {r['strategy']} | {r['auc']:.4f} | {r['labels_to_95pct']} | {accs} |")
    print(f"(curves took {elapsed:.0f} s)")
    if plot_path:
        plot(rows, full_acc, len(idx_pool), plot_path, seeds)
    return {
        "full_accuracy": full_acc,
        "goal": goal,
        "strategies": rows,
        "seconds": elapsed,
        "seeds": seeds,
        "pool": len(idx_pool),
    }


def plot(rows, full_acc, n_pool, path, seeds):
    """Mean curve and a +-1 sd band per strategy, from the summary rows."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
        return
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for r in rows:
        sizes = np.array([int(n) for n in r["acc_at"]])
        mean = np.array(list(r["acc_at"].values()))
        sd = np.array(list(r["acc_sd_at"].values()))
        lw = 2 if r["strategy"] in ("random", "margin") else 1.3
        ax.plot(sizes, mean, label=r["strategy"], lw=lw)
        ax.fill_between(sizes, mean - sd, mean + sd, alpha=0.08)
    ax.axhline(full_acc, color="k", ls="--", lw=1, label=f"all {n_pool:,} pool labels")
    ax.axhline(0.95 * full_acc, color="grey", ls=":", lw=1, label="95% of that")
    ax.set_xlabel("labels")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"YouTube spam, MiniLM + logistic regression, mean of {seeds} seeds (band: ±1 sd)")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    print(f"plot saved to {path}")


def prelabel(x, y, seeds, n_train=300, n_cal=300, target=0.98):
    """Calibrate on n_cal labels, choose thresholds, measure on the held-out rest."""
    rows: dict[str, list[float]] = {}

    def add(key, value):
        rows.setdefault(key, []).append(float(value))

    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(y))
        tr, cal, held = order[:n_train], order[n_train : n_train + n_cal], order[n_train + n_cal :]
        clf = model().fit(x[tr], y[tr])

        def logits(idx, clf=clf):
            return np.column_stack([np.zeros(len(idx)), clf.decision_function(x[idx])])

        ts = TemperatureScaling().fit(logits(cal), y[cal])
        p_before = clf.predict_proba(x[held])
        p_after = ts.predict_proba(logits(held))
        correct = p_after.argmax(1) == y[held]
        add("accuracy (held-out)", correct.mean())
        add("temperature", ts.temperature_)
        add("ECE before", expected_calibration_error(p_before, y[held]))
        add("ECE after", expected_calibration_error(p_after, y[held]))
        p_cal = ts.predict_proba(logits(cal))
        conf_cal, ok_cal = p_cal.max(1), p_cal.argmax(1) == y[cal]
        policies = {"fixed 0.85": RoutingPolicy()}
        for name, level in (("target 98%, CP 95% bound", 0.95), ("target 98%, point", None)):
            choice = threshold_for_precision(conf_cal, ok_cal, target=target, level=level)
            add(f"{name}: threshold reachable", choice.achievable)
            if choice.achievable:
                add(f"{name}: threshold (where reachable)", choice.threshold)
            policies[name] = RoutingPolicy(approve_threshold=max(choice.threshold, 0.5))
        for name, policy in policies.items():
            d = route(p_after.max(1), policy, seed=seed)
            auto = d.routes == "auto_approve"
            add(f"{name}: auto-approved share", auto.mean())
            if auto.any():
                add(f"{name}: auto-approved precision", correct[auto].mean())
            add(f"{name}: share skipping people", d.skip_share)
    summary = {k: (float(np.mean(v)), float(np.std(v)), len(v)) for k, v in rows.items()}
    print(
        f"\n## Pre-labeling: {seeds} seeds; model on {n_train} random labels, "
        f"{n_cal} calibration labels, {len(y) - n_train - n_cal} held-out items"
    )
    print("| measure | mean | sd | seeds |\n|---|---|---|---|")
    for k, (m, sd, n) in summary.items():
        print(f"| {k} | {m:.4f} | {sd:.4f} | {n} |")
    return {"per_seed": rows, "summary": summary, "target": target}


def throughput(texts, embedder_model):
    emb = SentenceEmbedder(model=embedder_model, cache=EmbeddingCache())
    t0 = time.perf_counter()
    emb.embed(texts)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    emb.embed(texts)
    warm = time.perf_counter() - t0
    print(
        f"\n## Embedding throughput ({len(texts)} comments, CPU, torch threads "
        f"{__import__('torch').get_num_threads()})"
    )
    print(
        f"cold: {len(texts) / cold:.1f} items/s ({cold:.1f} s); "
        f"cached: {len(texts) / warm:.0f} items/s"
    )
    return {
        "items": len(texts),
        "cold_items_per_s": len(texts) / cold,
        "cached_items_per_s": len(texts) / warm,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=["curves", "prelabel", "throughput"])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--start", type=int, default=10)
    ap.add_argument("--step", type=int, default=10)
    ap.add_argument("--stop", type=int, default=200)
    ap.add_argument("--plot", default=str(ROOT / "docs" / "img" / "learning_curves.png"))
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "labelwell-embed-cache"))
    ap.add_argument("--json")
    ap.add_argument(
        "--backend",
        default="torch",
        help="embedding backend for the curves: torch (sentence-transformers), onnx, onnx-int8",
    )
    ap.add_argument("--strategies", default=",".join(STRATEGIES), help="comma-separated")
    ap.add_argument("--replot", help="redraw the plot from a --json file of an earlier run")
    args = ap.parse_args()
    if args.replot:
        c = json.loads(Path(args.replot).read_text())["curves"]
        pool = c.get("pool", 1369)  # 70% of the 1,956 comments
        plot(c["strategies"], c["full_accuracy"], pool, args.plot, c.get("seeds", args.seeds))
        return

    df = load_comments()
    texts, y = df["text"].astype(str).tolist(), df["label"].to_numpy()
    print(
        f"{len(texts)} comments, {int(y.sum())} spam; CPU cores {os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.1f} (shared machine)"
    )
    from labelwell.assist.embeddings import load_minilm

    m = load_minilm("cpu")
    report = {}
    if "throughput" in args.only:
        report["throughput"] = throughput(texts, m)
    if args.backend == "torch":
        embedder = SentenceEmbedder(model=m, cache=EmbeddingCache(args.cache))
    else:  # each backend's own vectors, not the torch ones from the cache
        embedder = SentenceEmbedder(backend=args.backend, cache=EmbeddingCache())
    x = embedder.embed(texts)
    print(f"embeddings: {args.backend}")
    if "curves" in args.only:
        chosen = [s for s in args.strategies.split(",") if s]
        report["curves"] = curves(
            x, y, args.seeds, args.start, args.step, args.stop, args.plot, chosen
        )
    if "prelabel" in args.only:
        report["prelabel"] = prelabel(x, y, args.seeds)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
