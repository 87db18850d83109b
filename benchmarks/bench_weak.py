"""Weak supervision: labelwell.weak beside Snorkel 0.10, side by side in one run.

Sections (``--only`` picks some):

* ``accuracy``: test accuracy of label models on WRENCH YouTube (fit on train,
  random tie-break) and on two synthetic problems, for labelwell's LabelModel,
  majority vote, Snorkel's LabelModel and three other algorithms written here
  for the comparison (full-confusion Dawid-Skene with abstain as an answer,
  a FlyingSquid-style triplet method, and one-coin EM with a learned class
  balance).
* ``speed``: LabelModel fit and predict on 1,000,000 x 20 LFs (70% abstains)
  and fit on a semeval-shaped problem (1,749 x 164 LFs, 9 classes; synthetic,
  since WRENCH semeval is not on disk), labelwell vs Snorkel, as ratios.
* ``apply``: in-process applier throughput for 10 keyword/regex LFs on the UCI
  YouTube spam comments replicated, beside Snorkel's PandasLFApplier; the Dask
  applier with 1 and 2 workers.
* ``memory``: peak RSS of a fresh process that builds a 10M x 20 ``L`` with 70%
  abstains, fits the label model and predicts.

Run with the peers' environment: ``bash benchmarks/peers.sh`` then
``benchmarks/.venv-peers/bin/python benchmarks/bench_weak.py [--json out.json]``.
Data under ``../shared/datasets`` is read in place; sections needing it are
skipped with a message when it is missing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labelwell.weak import (
    LabelModel,
    LFApplier,
    MajorityLabelVoter,
    keyword_lf,
    probs_to_preds,
    regex_lf,
)

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


# ------------------------------------------------------------------ data
def one_coin_L(n: int, m: int, *, k: int = 2, coverage: float = 0.3, seed: int = 0):
    """Bipolar LFs: fire with ``coverage``, right with accuracy U(0.55, 0.95)."""
    rng = np.random.default_rng(seed)
    acc = rng.uniform(0.55, 0.95, m)
    y = rng.integers(0, k, n)
    L = np.full((n, m), -1, dtype=np.int8)
    step = 1 << 18
    for s in range(0, n, step):
        yb = y[s : s + step, None]
        shape = (yb.shape[0], m)
        wrong = (yb + rng.integers(1, k, shape)) % k
        votes = np.where(rng.random(shape) < acc, yb, wrong)
        L[s : s + step] = np.where(rng.random(shape) < coverage, votes, -1)
    return L, y, acc


def one_sided_L(n: int, m: int, *, k: int = 2, seed: int = 0, coverage=(0.05, 0.3)):
    """One-sided LFs as in WRENCH: LF j only votes class ``j % k``, fires more on
    that class (rate r) than on the others (rate r * (1 - precision-ish))."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    target = np.arange(m) % k
    rate = rng.uniform(*coverage, m)
    leak = rng.uniform(0.05, 0.5, m)  # firing rate on other classes, relative
    p_fire = np.where(y[:, None] == target, rate, rate * leak)
    L = np.where(rng.random((n, m)) < p_fire, target, -1).astype(np.int8)
    return L, y


def load_wrench(split: str):
    rows = json.loads((DATASETS / "weak" / "youtube" / f"{split}.json").read_text()).values()
    L = np.array([r["weak_labels"] for r in rows])
    y = np.array([r["label"] for r in rows])
    return L, y


# ------------------------------------------------- other algorithms, for accuracy
def full_dawid_skene(L_fit: np.ndarray, k: int, iters: int = 100):
    """Dawid and Skene (1979) with a full confusion matrix per LF and abstain as a
    (k+1)-th answer; EM from majority vote. Returns a predict_proba function."""

    def onehot(L):
        return np.stack([(v == L) for v in range(-1, k)], axis=2).astype(float)

    def posterior(oh, conf, prior):
        lp = np.log(prior) + np.einsum("nml,mcl->nc", oh, np.log(conf))
        lp -= lp.max(axis=1, keepdims=True)
        p = np.exp(lp)
        return p / p.sum(axis=1, keepdims=True)

    oh = onehot(L_fit)
    votes = oh[:, :, 1:].sum(axis=1)
    total = votes.sum(axis=1, keepdims=True)
    post = np.where(total > 0, votes / np.maximum(total, 1), 1.0 / k)
    for _ in range(iters):
        conf = np.einsum("nc,nml->mcl", post, oh) + 0.01
        conf /= conf.sum(axis=2, keepdims=True)
        prior = post.mean(axis=0)
        post = posterior(oh, conf, prior)
    return lambda L: posterior(onehot(L), conf, prior)


def triplet(L_fit: np.ndarray):
    """FlyingSquid-style triplets (Fu et al. 2020, eq. 2), binary: with votes in
    {-1, +1}, E[l_i l_j] = a_i a_j for conditionally independent LFs, so
    |a_i| = sqrt(|M_ij M_ik / M_jk|); median over triplets, accuracy (1 + a)/2."""
    S = np.where(L_fit == -1, 0.0, 2.0 * L_fit - 1.0)
    F = (L_fit != -1).astype(float)
    both = F.T @ F
    M = np.divide(S.T @ S, both, out=np.zeros_like(both), where=both > 20)
    m = L_fit.shape[1]
    a = np.full(m, 0.4)
    for i in range(m):
        est = [
            np.sqrt(abs(M[i, j] * M[i, q] / M[j, q]))
            for j in range(m)
            for q in range(j + 1, m)
            if i not in (j, q) and abs(M[j, q]) > 1e-3 and M[i, j] and M[i, q]
        ]
        if est:
            a[i] = np.median(est)
    acc = np.clip((1 + a) / 2, 0.5 + 1e-3, 1 - 1e-3)
    w = np.log(acc / (1 - acc))

    def predict_proba(L):
        s = np.where(L == -1, 0.0, 2.0 * L - 1.0) @ w
        p1 = 1 / (1 + np.exp(-s))
        return np.stack([1 - p1, p1], axis=1)

    return predict_proba


def snorkel_model(L_fit: np.ndarray, k: int):
    from snorkel.labeling.model import LabelModel as SnorkelLabelModel

    model = SnorkelLabelModel(cardinality=k, verbose=False)
    model.fit(L_fit, seed=123, progress_bar=False)
    return model


def label_models(
    L_fit: np.ndarray, L_eval: np.ndarray, k: int
) -> dict[str, Callable[[], np.ndarray]]:
    """Each method fitted on ``L_fit``, giving probabilities on ``L_eval``."""
    return {
        "labelwell LabelModel (one-coin EM)": lambda: (
            LabelModel(k).fit(L_fit).predict_proba(L_eval)
        ),
        "labelwell majority vote": lambda: MajorityLabelVoter(k).predict_proba(L_eval),
        "snorkel LabelModel": lambda: snorkel_model(L_fit, k).predict_proba(L_eval),
        "one-coin EM, learned balance": lambda: (
            LabelModel(k).fit(L_fit, class_balance="learn").predict_proba(L_eval)
        ),
        "full-confusion Dawid-Skene": lambda: full_dawid_skene(L_fit, k)(L_eval),
        "triplet (FlyingSquid-style)": lambda: triplet(L_fit)(L_eval),
    }


def accuracy_rows() -> list[dict[str, Any]]:
    problems = {}
    if (DATASETS / "weak" / "youtube").exists():
        L_tr, _ = load_wrench("train")
        L_te, y_te = load_wrench("test")
        problems["WRENCH YouTube (test)"] = (L_tr, L_te, y_te, 2)
    else:
        print(f"skipping WRENCH YouTube: {DATASETS / 'weak' / 'youtube'} not found")
    L, y, _ = one_coin_L(100_000, 10, seed=1)
    problems["synthetic one-coin 100k x 10"] = (L, L, y, 2)
    L, y = one_sided_L(100_000, 10, seed=2)
    problems["synthetic one-sided 100k x 10"] = (L, L, y, 2)

    def acc(probs: np.ndarray, y: np.ndarray) -> float:
        return float((probs_to_preds(probs, "random") == y).mean())

    rows = []
    for name, (L_fit, L_eval, y_eval, k) in problems.items():
        for method, run in label_models(L_fit, L_eval, k).items():
            rows.append({"problem": name, "method": method, "accuracy": acc(run(), y_eval)})
    return rows


# ------------------------------------------------------------------ speed
def best_of(fn: Callable[[], Any], repeat: int) -> float:
    return timed(fn, repeat)[0]


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time of this process over ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def speed_rows(repeat: int, n: int) -> list[dict[str, Any]]:
    from snorkel.labeling.model import LabelModel as SnorkelLabelModel

    rows = []
    L, _, _ = one_coin_L(n, 20, seed=3)
    ours = LabelModel(2)
    theirs = SnorkelLabelModel(cardinality=2, verbose=False)
    fit_ours = best_of(lambda: ours.fit(L), repeat)
    fit_theirs = best_of(lambda: theirs.fit(L, seed=123, progress_bar=False), repeat)
    pred_ours = best_of(lambda: ours.predict(L, "random"), repeat)
    pred_theirs = best_of(lambda: theirs.predict(L, tie_break_policy="random"), repeat)
    shape = f"{n:,} x 20, k=2"
    rows.append(_speed("LabelModel.fit", shape, fit_ours, fit_theirs))
    rows.append(_speed("LabelModel.predict", shape, pred_ours, pred_theirs))

    # semeval-shaped: 1,749 items, 164 one-sided LFs, 9 classes (synthetic)
    # (one timing each: Snorkel takes tens of seconds here)
    Ls, _ = one_sided_L(1_749, 164, k=9, seed=4, coverage=(0.01, 0.08))
    fit_ours = best_of(lambda: LabelModel(9).fit(Ls), 1)
    fit_theirs = best_of(
        lambda: SnorkelLabelModel(cardinality=9, verbose=False).fit(
            Ls, seed=123, progress_bar=False
        ),
        1,
    )
    rows.append(_speed("LabelModel.fit", "1,749 x 164, k=9 (semeval-shaped)", fit_ours, fit_theirs))
    return rows


def _speed(task: str, shape: str, ours: float, theirs: float) -> dict[str, Any]:
    return {
        "task": task,
        "data": shape,
        "labelwell_s": ours,
        "snorkel_s": theirs,
        "speedup": theirs / ours,
    }


# ------------------------------------------------------------------ appliers
SPAM_LFS = [
    keyword_lf("check_out", ["check out"], 1),
    keyword_lf("subscribe", ["subscribe", "sub to"], 1),
    keyword_lf("my_channel", ["my channel", "my vid"], 1),
    keyword_lf("money", ["money", "earn", "cash", "$"], 1),
    regex_lf("link", r"https?://|www\.|\.com\b", 1),
    regex_lf("please", r"\bplease\b|\bplz\b", 1),
    keyword_lf("love", ["love", "beautiful", "amazing"], 0),
    keyword_lf("song", ["song", "music", "voice"], 0),
    regex_lf("short", r"^.{0,25}$", 0),
    regex_lf("year", r"\b20[01]\d\b", 0),
]


def youtube_comments() -> pd.DataFrame | None:
    folder = DATASETS / "text" / "youtube_spam"
    if not folder.exists():
        print(f"skipping appliers: {folder} not found")
        return None
    frames = [pd.read_csv(p) for p in sorted(folder.glob("*.csv"))]
    return pd.concat(frames, ignore_index=True).rename(columns={"CONTENT": "text"})[["text"]]


def apply_rows(n: int, snorkel_n: int, dask_n: int) -> list[dict[str, Any]]:
    comments = youtube_comments()
    if comments is None:
        return []
    reps = -(-n // len(comments))
    items = pd.concat([comments] * reps, ignore_index=True).iloc[:n]
    applier = LFApplier(SPAM_LFS)
    rows = []

    def row(name: str, count: int, wall: float, cpu: float | None) -> dict[str, Any]:
        return {
            "applier": name,
            "items": count,
            "wall_s": wall,
            "items_per_s": count / wall,
            "cpu_s": cpu,
            "items_per_cpu_s": count / cpu if cpu else None,
        }

    wall, cpu = timed(lambda: applier.apply(items, batch_size=20_000, progress=False), 2)
    rows.append(row("labelwell in-process (frame)", n, wall, cpu))
    records = items.to_dict("records")
    wall, cpu = timed(lambda: applier.apply(records, batch_size=20_000, progress=False), 2)
    rows.append(row("labelwell in-process (dicts)", n, wall, cpu))

    from snorkel.labeling import PandasLFApplier
    from snorkel.labeling import labeling_function as snorkel_lf

    def as_snorkel(lf):
        vote = lf.f  # the same per-item rule, called by Snorkel on each row
        return snorkel_lf(name=lf.name)(lambda x: vote(x))

    small = items.iloc[:snorkel_n]
    theirs = PandasLFApplier([as_snorkel(lf) for lf in SPAM_LFS])
    start, cpu = time.perf_counter(), time.process_time()
    L_theirs = theirs.apply(small, progress_bar=False)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    L_ours = applier.apply(small, progress=False).L
    assert np.array_equal(L_ours, L_theirs), "snorkel and labelwell votes differ"
    rows.append(row("snorkel PandasLFApplier", snorkel_n, wall, cpu))

    from dask.distributed import Client, LocalCluster

    big = pd.concat([comments] * (-(-dask_n // len(comments))), ignore_index=True).iloc[:dask_n]
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            run = lambda: applier.apply(  # noqa: E731
                big, executor="dask", client=client, batch_size=25_000, progress=False
            )
            run()  # warm the workers (imports)
            t = best_of(run, 2)
        rows.append(row(f"labelwell Dask, {workers} worker(s)", dask_n, t, None))
    return rows


# ------------------------------------------------------------------ memory
def memory_child(n: int, m: int) -> None:
    start = time.perf_counter()
    L = np.full((n, m), -1, dtype=np.int8)
    rng = np.random.default_rng(5)
    step = 1 << 20
    for s in range(0, n, step):
        b = L[s : s + step]
        fire = rng.random(b.shape, dtype=np.float32) < 0.3
        b[fire] = rng.integers(0, 2, int(fire.sum()), dtype=np.int8)
    model = LabelModel(2).fit(L)
    proba = model.predict_proba(L)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "n": n,
                "m": m,
                "abstain": float((L == -1).mean()),
                "peak_rss_mb": peak_kb / 1024,
                "L_mb": L.nbytes / 2**20,
                "proba_mb": proba.nbytes / 2**20,
                "s": time.perf_counter() - start,
            }
        )
    )


def memory_row(n: int, m: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(n), str(m)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ main
def table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "(nothing measured)"
    frame = pd.DataFrame(rows)
    return frame.to_string(index=False, float_format=lambda v: f"{v:,.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=["accuracy", "speed", "apply", "memory"])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--n", type=int, default=1_000_000, help="items for fit/predict speed")
    parser.add_argument("--apply-n", type=int, default=200_000)
    parser.add_argument("--snorkel-apply-n", type=int, default=20_000)
    parser.add_argument("--dask-n", type=int, default=400_000)
    parser.add_argument("--memory-n", type=int, default=10_000_000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--memory-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return
    import snorkel

    print(f"labelwell.weak vs snorkel {snorkel.__version__}; shared, loaded 2-core machine")
    results: dict[str, Any] = {}
    if "accuracy" in args.only:
        results["accuracy"] = accuracy_rows()
        print("\n## accuracy (random tie-break)\n" + table(results["accuracy"]))
    if "speed" in args.only:
        results["speed"] = speed_rows(args.repeat, args.n)
        print(f"\n## speed (best of {args.repeat})\n" + table(results["speed"]))
    if "apply" in args.only:
        results["apply"] = apply_rows(args.apply_n, args.snorkel_apply_n, args.dask_n)
        print("\n## appliers (10 keyword/regex LFs, YouTube comments)\n" + table(results["apply"]))
    if "memory" in args.only:
        results["memory"] = [memory_row(args.memory_n, 20)]
        print(
            "\n## memory (fresh process: build L, fit, predict_proba)\n" + table(results["memory"])
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
