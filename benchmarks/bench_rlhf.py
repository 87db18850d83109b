"""Benchmarks for labelwell.rlhf.

    benchmarks/.venv-peers/bin/python benchmarks/bench_rlhf.py [--json OUT] [--only bt,rm,rm-demo]

* ``bt``: Bradley-Terry on 1,000,000 simulated battles among 100 models with 100
  bootstrap rounds (labelwell), side by side with the Chatbot Arena notebook's
  method (pivot tables + scikit-learn ``LogisticRegression``, bootstrap by
  resampling battle rows) timed on the same data in the same run.
* ``rm``: reward-model training on 10,000 pairs of cached (random) embeddings.
* ``rm-demo``: held-out pairwise accuracy of the reward model on
  ``../shared/datasets/rlhf/dpo_en_demo.json`` (seeded 80/20 split); embeddings
  are cached under ``--cache`` (outside the repository).

Figures depend on the machine; they were taken on a shared, loaded 2-core box,
so compare the ratios measured in one run rather than absolute seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "rlhf"


def simulate_battles(n: int, m: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    strength = rng.normal(0, 1, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    p = 1 / (1 + np.exp(-(strength[a] - strength[b])))
    u = rng.random(n)
    winner = np.where(
        u < 0.08,
        "tie",
        np.where(u < 0.12, "tie (bothbad)", np.where(rng.random(n) < p, "model_a", "model_b")),
    )
    names = np.array([f"model-{i:03d}" for i in range(m)])
    return pd.DataFrame({"model_a": names[a], "model_b": names[b], "winner": winner})


def arena_notebook_mle(df: pd.DataFrame, scale: float = 400, base: float = 10) -> pd.Series:
    """``compute_mle_elo`` of the Chatbot Arena notebook (pivot tables, then an
    unpenalised ``LogisticRegression`` on +/- log(base) rows with counts as weights)."""
    from sklearn.linear_model import LogisticRegression

    a_win = pd.pivot_table(
        df[df.winner == "model_a"], index="model_a", columns="model_b", aggfunc="size", fill_value=0
    )
    tie = pd.pivot_table(
        df[df.winner.isin(["tie", "tie (bothbad)"])],
        index="model_a",
        columns="model_b",
        aggfunc="size",
        fill_value=0,
    )
    b_win = pd.pivot_table(
        df[df.winner == "model_b"], index="model_a", columns="model_b", aggfunc="size", fill_value=0
    )
    models = sorted(set(df.model_a) | set(df.model_b))
    idx = pd.Index(models)

    def full(t: pd.DataFrame) -> pd.DataFrame:
        return t.reindex(index=models, columns=models, fill_value=0)

    tie_ = full(tie)
    win = full(a_win) * 2 + full(b_win).T * 2 + tie_ + tie_.T
    rows, ys, ws = [], [], []
    for ma in models:
        for mb in models:
            if ma == mb:
                continue
            x = np.zeros(len(models))
            x[idx.get_loc(ma)], x[idx.get_loc(mb)] = math.log(base), -math.log(base)
            rows += [x, x]
            ys += [1, 0]
            ws += [win.loc[ma, mb], win.loc[mb, ma]]
    lr = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-6, max_iter=1000)
    lr.fit(np.array(rows), np.array(ys), sample_weight=np.array(ws, dtype=float))
    coef = lr.coef_[0] - lr.coef_[0].mean()
    return pd.Series(1000 + scale * coef, index=idx)


def bench_bt(n_battles: int, n_models: int, rounds: int, peer_rounds: int) -> dict:
    from threadpoolctl import threadpool_limits

    from labelwell.rlhf.bradley_terry import BradleyTerry

    df = simulate_battles(n_battles, n_models)
    t0 = time.perf_counter()
    bt = BradleyTerry(n_bootstrap=rounds, random_state=0).fit(df)
    ours_total = time.perf_counter() - t0
    t0 = time.perf_counter()
    BradleyTerry(n_bootstrap=0).fit(df)
    ours_point = time.perf_counter() - t0
    # the peer gets the same single-threaded BLAS as labelwell's fit, for fairness
    with threadpool_limits(limits=1, user_api="blas"):
        t0 = time.perf_counter()
        ref = arena_notebook_mle(df)
        peer_point = time.perf_counter() - t0
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        for _ in range(peer_rounds):
            arena_notebook_mle(df.iloc[rng.integers(0, len(df), len(df))])
        peer_round = (time.perf_counter() - t0) / max(peer_rounds, 1)
    diff = float(np.abs(bt.ratings_[ref.index].to_numpy() - ref.to_numpy()).max())
    ours_round = (ours_total - ours_point) / max(rounds, 1)
    return {
        "battles": n_battles,
        "models": n_models,
        "bootstrap_rounds": rounds,
        "labelwell_total_s": ours_total,
        "labelwell_point_fit_s": ours_point,
        "labelwell_per_round_s": ours_round,
        "arena_notebook_point_fit_s": peer_point,
        "arena_notebook_per_round_s": peer_round,
        "arena_notebook_rounds_timed": peer_rounds,
        "point_fit_speedup": peer_point / ours_point,
        "per_round_speedup": peer_round / ours_round,
        "max_rating_diff_vs_arena_notebook": diff,
    }


def bench_rm(n_pairs: int, threads: int | None, dim: int = 384, n_test: int = 2000) -> dict:
    from labelwell.rlhf.reward_model import RewardModel, pair_features

    rng = np.random.default_rng(0)
    n = n_pairs + n_test
    prompts = rng.normal(size=(n, dim)).astype(np.float32)
    w = rng.normal(size=dim)
    resp = rng.normal(size=(2, n, dim)).astype(np.float32)
    better = (resp[0] @ w) >= (resp[1] @ w)
    chosen = np.where(better[:, None], resp[0], resp[1])
    rejected = np.where(better[:, None], resp[1], resp[0])
    xc, xr = pair_features(prompts, chosen), pair_features(prompts, rejected)
    t0 = time.perf_counter()
    model = RewardModel(n_threads=threads).fit(xc[:n_pairs], xr[:n_pairs])
    fit_s = time.perf_counter() - t0
    return {
        "pairs": n_pairs,
        "features": xc.shape[1],
        "epochs": model.epochs,
        "hidden": model.hidden,
        "batch_size": model.batch_size,
        "torch_threads": threads or "default",
        "fit_s": fit_s,
        "final_loss": model.losses_[-1],
        "synthetic_heldout_accuracy": model.pairwise_accuracy(xc[n_pairs:], xr[n_pairs:]),
    }


def bench_rm_demo(cache: Path, seed: int = 0, threads: int | None = None) -> dict:
    from labelwell.rlhf.imports import read_sharegpt_pairs
    from labelwell.rlhf.records import prompt_text
    from labelwell.rlhf.reward_model import RewardModel, SentenceEncoder, pair_features

    path = DATA / "dpo_en_demo.json"
    if not path.exists():
        return {"skipped": f"{path} not found"}
    pairs = read_sharegpt_pairs(path)
    cache.mkdir(parents=True, exist_ok=True)
    emb_file = cache / "dpo_en_demo.minilm.npz"
    t0 = time.perf_counter()
    if emb_file.exists():
        z = np.load(emb_file)
        e_p, e_c, e_r = z["prompt"], z["chosen"], z["rejected"]
    else:
        enc = SentenceEncoder()
        e_p = enc.encode([prompt_text(p.prompt) for p in pairs])
        e_c = enc.encode([p.chosen for p in pairs])
        e_r = enc.encode([p.rejected for p in pairs])
        np.savez(emb_file, prompt=e_p, chosen=e_c, rejected=e_r)
    embed_s = time.perf_counter() - t0
    xc, xr = pair_features(e_p, e_c), pair_features(e_p, e_r)
    order = np.random.default_rng(seed).permutation(len(pairs))
    cut = int(0.8 * len(pairs))
    train, test = order[:cut], order[cut:]
    t0 = time.perf_counter()
    model = RewardModel(random_state=seed, n_threads=threads)
    model.fit(xc[train], xr[train])
    fit_s = time.perf_counter() - t0
    return {
        "pairs": len(pairs),
        "train": len(train),
        "test": len(test),
        "seed": seed,
        "embed_or_cache_s": embed_s,
        "fit_s": fit_s,
        "train_accuracy": model.pairwise_accuracy(xc[train], xr[train]),
        "heldout_accuracy": model.pairwise_accuracy(xc[test], xr[test]),
        "longer_wins_heldout_accuracy": float(
            np.mean([len(pairs[i].chosen) > len(pairs[i].rejected) for i in test])
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--only", default="bt,rm,rm-demo")
    ap.add_argument("--battles", type=int, default=1_000_000)
    ap.add_argument("--models", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--peer-rounds", type=int, default=3)
    ap.add_argument("--pairs", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=1, help="torch threads for reward fits")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/labelwell-bench-cache"))
    args = ap.parse_args()
    parts = set(args.only.split(","))
    results: dict[str, dict] = {}
    if "bt" in parts:
        results["bt"] = bench_bt(args.battles, args.models, args.rounds, args.peer_rounds)
    if "rm" in parts:
        results["rm"] = bench_rm(args.pairs, args.threads)
    if "rm-demo" in parts:
        for seed in (0, 1, 2):
            results[f"rm-demo-seed{seed}"] = bench_rm_demo(args.cache, seed, args.threads)
    for name, res in results.items():
        print(f"== {name}")
        for k, v in res.items():
            print(f"  {k:<36} {v:.4g}" if isinstance(v, float) else f"  {k:<36} {v}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
