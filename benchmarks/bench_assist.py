"""Speed of labelwell.assist's selection and calibration, beside plain baselines in one run.

No library in the peers' environment (crowd-kit, snorkel, krippendorff,
statsmodels) does active learning, so each figure is paired with the direct
numpy formulation measured in the same process, as a ratio:

* ``margin``: 1,000,000 x 10 probabilities, labelwell (``np.partition``) vs
  sorting every row; 1,000 picks.
* ``kcenter``: 1,000 picks from 100,000 x 384 unit vectors, labelwell (greedy
  with triangle-inequality pruning) vs the textbook greedy loop (one full
  distance update per pick), on uniform random vectors (no structure, the
  worst case for pruning) and on clustered vectors (500 clusters, like
  sentence embeddings). Both return the same picks.
* ``badge``: the same pools with 10-class probabilities, labelwell (implicit
  gradient embeddings, pruned k-means++) for 1,000 picks; the baseline builds
  the 100,000 x 3,840 gradient matrix and runs k-means++ on it, timed per pick
  over 50 picks.
* ``calibration``: temperature scaling fit and 15-bin ECE on 1,000,000 x 10.

Run: ``.venv/bin/python benchmarks/bench_assist.py [--only margin kcenter ...]
[--json out.json]``. Figures on the shared 2-core machine move with the load
of whoever else is running; the load average is printed, and ratios measured
in the same run are the numbers to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from labelwell.assist.calibration import TemperatureScaling, expected_calibration_error
from labelwell.assist.select import _badge_scale, select


def timed(fn, repeat=1):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def pools(seed=0, n=100_000, d=384):
    rng = np.random.default_rng(seed)
    uniform = unit(rng.standard_normal((n, d)).astype(np.float32))
    centres = rng.standard_normal((500, d)).astype(np.float32)
    noise = 0.5 * rng.standard_normal((n, d)).astype(np.float32)
    clustered = unit(centres[rng.integers(500, size=n)] + noise)
    return {"uniform": uniform, "clustered": clustered}


def bench_margin(rows):
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(10), size=1_000_000)

    def by_sort():
        s = np.sort(probs, axis=1)
        return np.argsort(s[:, -1] - s[:, -2], kind="stable")[:1000]

    t_ours, ours = timed(lambda: select("margin", 1000, probs=probs), repeat=3)
    t_base, base = timed(by_sort, repeat=3)
    assert set(ours.tolist()) == set(base.tolist())
    rows.append(("margin, 1,000 of 1,000,000 x 10", t_ours, t_base, "full row sort"))
    t_ent, _ = timed(lambda: select("entropy", 1000, probs=probs), repeat=3)
    rows.append(("entropy, 1,000 of 1,000,000 x 10", t_ent, None, ""))


def greedy_kcenter(x, first, n):
    norms = np.einsum("ij,ij->i", x, x)
    min_d2 = np.full(x.shape[0], np.inf, dtype=np.float32)
    picked = [first]
    for _ in range(n - 1):
        np.minimum(min_d2, norms + norms[picked[-1]] - 2 * (x @ x[picked[-1]]), out=min_d2)
        min_d2[picked] = -np.inf
        picked.append(int(np.argmax(min_d2)))
    return np.array(picked)


def bench_kcenter(rows, data):
    for name, x in data.items():
        t_ours, ours = timed(lambda x=x: select("kcenter", 1000, embeddings=x, seed=0))
        t_base, base = timed(lambda x=x, f=int(ours[0]): greedy_kcenter(x, f, 1000))
        same = np.array_equal(ours, base)
        rows.append(
            (
                f"kcenter, 1,000 of 100,000 x 384 ({name})",
                t_ours,
                t_base,
                f"plain greedy; same={same}",
            )
        )


def kmeanspp_materialised(g, first, n, rng):
    sq = np.einsum("ij,ij->i", g, g)
    min_d2 = np.full(g.shape[0], np.inf)
    picked = [first]
    for _ in range(n - 1):
        c = picked[-1]
        np.minimum(min_d2, np.clip(sq + sq[c] - 2 * (g @ g[c]), 0, None), out=min_d2)
        min_d2[picked] = 0
        cdf = np.cumsum(min_d2)
        picked.append(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")))
    return picked


def bench_badge(rows, data):
    probs = np.random.default_rng(2).dirichlet(np.ones(10) * 0.3, size=100_000)
    for name, x in data.items():
        t_ours, ours = timed(lambda x=x: select("badge", 1000, probs=probs, embeddings=x, seed=0))
        t50, _ = timed(lambda x=x: select("badge", 50, probs=probs, embeddings=x, seed=0))
        a = _badge_scale(probs).astype(np.float32)
        t_build, g = timed(lambda x=x, a=a: (a[:, :, None] * x[:, None, :]).reshape(len(x), -1))
        first = int(ours[0])
        t_loop, _ = timed(
            lambda g=g, f=first: kmeanspp_materialised(g, f, 50, np.random.default_rng(0))
        )
        del g
        rows.append((f"badge, 1,000 of 100,000 x 384, 10 classes ({name})", t_ours, None, ""))
        rows.append(
            (
                f"badge, 50 picks ({name})",
                t50,
                t_build + t_loop,
                f"materialised 100,000 x 3,840 (build {t_build:.1f} s)",
            )
        )


def bench_calibration(rows):
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((1_000_000, 10)) * 3
    # labels drawn from softmax(logits / 2): an over-confident model, T near 2
    p_true = np.exp(logits / 2 - logits.max(axis=1, keepdims=True) / 2)
    p_true /= p_true.sum(axis=1, keepdims=True)
    y = (rng.random(1_000_000)[:, None] > np.cumsum(p_true, axis=1)).sum(axis=1).clip(0, 9)
    t_fit, ts = timed(lambda: TemperatureScaling().fit(logits, y))
    p = ts.predict_proba(logits)
    t_ece, _ = timed(lambda: expected_calibration_error(p, y), repeat=3)
    rows.append(
        ("temperature scaling fit, 1,000,000 x 10", t_fit, None, f"T = {ts.temperature_:.3f}")
    )
    rows.append(("ECE (15 bins), 1,000,000 x 10", t_ece, None, ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=["margin", "kcenter", "badge", "calibration"])
    ap.add_argument("--json")
    args = ap.parse_args()
    print(f"CPU cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (shared machine)")
    rows: list[tuple[str, float, float | None, str]] = []
    data = pools() if {"kcenter", "badge"} & set(args.only) else {}
    if "margin" in args.only:
        bench_margin(rows)
    if "kcenter" in args.only:
        bench_kcenter(rows, data)
    if "badge" in args.only:
        bench_badge(rows, data)
    if "calibration" in args.only:
        bench_calibration(rows)
    print("| task | labelwell s | baseline s | speed-up | baseline |")
    print("|---|---|---|---|---|")
    for task, ours, base, note in rows:
        ratio = f"{base / ours:.1f}x" if base else ""
        base_s = f"{base:.3f}" if base else ""
        print(f"| {task} | {ours:.3f} | {base_s} | {ratio} | {note} |")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                [dict(zip(("task", "s", "baseline_s", "note"), r, strict=True)) for r in rows]
            )
        )


if __name__ == "__main__":
    main()
