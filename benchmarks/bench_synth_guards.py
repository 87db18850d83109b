"""Time the synthetic-data guards (labelwell.synth.guards) on generated text and
vectors: MinHash near duplicates within and across sets, verbatim overlaps with
a reference corpus, the MMD permutation test and the classifier two-sample test.

    .venv/bin/python benchmarks/bench_synth_guards.py --texts 5000 --reference-chars 2000000
"""

from __future__ import annotations

import argparse
import json
import random
import time

import numpy as np

from labelwell.synth import guards

WORDS = [
    "the",
    "a",
    "review",
    "film",
    "story",
    "actor",
    "plot",
    "scene",
    "music",
    "good",
    "bad",
    "slow",
    "quick",
    "long",
    "short",
    "funny",
    "dark",
    "bright",
    "quiet",
    "loud",
    "ending",
    "start",
    "middle",
    "camera",
    "light",
    "sound",
    "voice",
    "cast",
    "role",
    "city",
    "night",
    "day",
    "love",
    "war",
    "friend",
    "family",
    "house",
    "road",
    "river",
    "sea",
    "town",
    "summer",
    "winter",
]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=5000, help="synthetic and real texts each")
    ap.add_argument("--reference-chars", type=int, default=2_000_000)
    ap.add_argument("--vectors", type=int, default=500, help="MMD / C2ST items per side")
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    rng = random.Random(0)
    real = [sentence(rng, rng.randint(8, 30)) for _ in range(a.texts)]
    synth = [sentence(rng, rng.randint(8, 30)) for _ in range(a.texts)]
    synth[::50] = [t + "." for t in real[: len(synth[::50])]]  # 2% near copies of real
    reference = sentence(rng, a.reference_chars // 5)[: a.reference_chars]
    for i in range(0, a.texts, 100):  # 1% copy 60 characters of the reference
        s = rng.randrange(0, len(reference) - 60)
        synth[i] = synth[i] + " " + reference[s : s + 60]
    within, t_within = timed(lambda: guards.minhash_duplicates(synth, threshold=0.8))
    across, t_across = timed(lambda: guards.minhash_duplicates(synth, real, threshold=0.8))
    index, t_index = timed(lambda: guards.ReferenceIndex([reference], 50))
    copies, t_scan = timed(lambda: [o for i, t in enumerate(synth) for o in index.overlaps(t, i)])
    vrng = np.random.default_rng(0)
    x = vrng.normal(size=(a.vectors, a.dim))
    y = vrng.normal(0.05, 1, size=(a.vectors, a.dim))
    mmd, t_mmd = timed(lambda: guards.mmd_test(x, y, n_permutations=200, max_n=a.vectors))
    auc, t_auc = timed(lambda: guards.c2st_auc(x, y))
    result = {
        "texts": a.texts,
        "reference_chars": len(reference),
        "minhash_within_s": round(t_within, 2),
        "minhash_within_pairs": len(within),
        "minhash_across_s": round(t_across, 2),
        "minhash_across_pairs": len(across),
        "reference_index_s": round(t_index, 2),
        "verbatim_scan_s": round(t_scan, 2),
        "verbatim_spans": len(copies),
        "vectors": a.vectors,
        "dim": a.dim,
        "mmd_200_permutations_s": round(t_mmd, 2),
        "mmd_p": round(mmd.p_value, 4),
        "c2st_s": round(t_auc, 2),
        "c2st_auc": round(auc, 3),
    }
    print(json.dumps(result, indent=2))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
