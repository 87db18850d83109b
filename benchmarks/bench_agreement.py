"""Agreement metrics: labelwell beside scikit-learn, statsmodels and krippendorff.

Runs each pair side by side in one process on the same synthetic reliability data
(``--raters`` x ``--units``, ``--classes`` categories, ``--missing`` share of
missing ratings for Krippendorff's alpha) and prints best-of-``--repeat`` times,
the speed-up (reference time / labelwell time) and the largest difference in
value; CPU-time ratios are printed too because shared machines are loaded.
Needs the peer environment: ``bash benchmarks/peers.sh`` then
``benchmarks/.venv-peers/bin/python benchmarks/bench_agreement.py``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from importlib.metadata import version

import krippendorff
import numpy as np
import pandas as pd
import sklearn
import statsmodels
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from labelwell.quality.agreement import cohen_kappa, fleiss_kappa
from labelwell.quality.krippendorff import krippendorff_alpha


def make_data(raters: int, units: int, classes: int, seed: int) -> np.ndarray:
    """``raters x units`` integer labels: each rater copies a unit's true label
    with probability 0.6, otherwise answers at random."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, classes + 1, units)
    noise = rng.integers(1, classes + 1, (raters, units))
    return np.where(rng.random((raters, units)) < 0.6, truth, noise)


def best_time(fn: Callable[[], float], repeat: int) -> tuple[float, float, float]:
    """Best wall time, best CPU time (this process) and the value."""
    wall, cpu, value = [], [], float("nan")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        value = fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu), float(value)


def long_frame(data: np.ndarray) -> pd.DataFrame:
    raters, units = np.nonzero(~np.isnan(data))
    return pd.DataFrame({"task": units, "worker": raters, "label": data[raters, units]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raters", type=int, default=20)
    parser.add_argument("--units", type=int, default=200_000)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--missing", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()

    data = make_data(args.raters, args.units, args.classes, args.seed)
    with_missing = data.astype(float)
    rng = np.random.default_rng(args.seed + 1)
    with_missing[rng.random(data.shape) < args.missing] = np.nan
    frame = long_frame(with_missing)
    full_frame = long_frame(data.astype(float))
    y1, y2 = data[0], data[1]

    cases: list[tuple[str, Callable[[], float], Callable[[], float]]] = []
    for weights in (None, "linear", "quadratic"):
        cases.append(
            (
                f"cohen_kappa weights={weights} (2 x {args.units:,})",
                lambda w=weights: cohen_kappa_score(y1, y2, weights=w),
                lambda w=weights: cohen_kappa(y1, y2, weights=w),
            )
        )
    cases.append(
        (
            f"fleiss_kappa ({args.raters} x {args.units:,})",
            lambda: sm_fleiss_kappa(aggregate_raters(data.T)[0], method="fleiss"),
            lambda: fleiss_kappa(data),
        )
    )
    for level in ("nominal", "ordinal", "interval", "ratio"):
        cases.append(
            (
                f"krippendorff {level} ({args.raters} x {args.units:,}, "
                f"{args.missing:.0%} missing)",
                lambda lv=level: krippendorff.alpha(
                    reliability_data=with_missing, level_of_measurement=lv
                ),
                lambda lv=level: krippendorff_alpha(with_missing, lv),
            )
        )
    frame_cases = [
        (
            f"fleiss_kappa from long frame ({len(full_frame):,} rows)",
            lambda: sm_fleiss_kappa(aggregate_raters(data.T)[0], method="fleiss"),
            lambda: fleiss_kappa(full_frame),
        ),
        (
            f"krippendorff nominal from long frame ({len(frame):,} rows)",
            lambda: krippendorff.alpha(
                reliability_data=with_missing, level_of_measurement="nominal"
            ),
            lambda: krippendorff_alpha(frame, "nominal"),
        ),
    ]

    rows = []
    header = (
        f"{'metric':<58} {'reference s':>11} {'labelwell s':>11} {'speed-up':>9} "
        f"{'cpu speed-up':>12} {'|diff|':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, reference, ours in cases + frame_cases:
        ref_s, ref_cpu, ref_v = best_time(reference, args.repeat)
        our_s, our_cpu, our_v = best_time(ours, args.repeat)
        row = {
            "metric": name,
            "reference_s": ref_s,
            "labelwell_s": our_s,
            "speedup": ref_s / our_s,
            "reference_cpu_s": ref_cpu,
            "labelwell_cpu_s": our_cpu,
            "cpu_speedup": ref_cpu / our_cpu,
            "reference_value": ref_v,
            "labelwell_value": our_v,
            "abs_diff": abs(ref_v - our_v),
        }
        rows.append(row)
        print(
            f"{name:<58} {ref_s:>11.4f} {our_s:>11.4f} {row['speedup']:>8.1f}x "
            f"{row['cpu_speedup']:>11.1f}x {row['abs_diff']:>9.1e}"
        )
    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "statsmodels": statsmodels.__version__,
        "krippendorff": version("krippendorff"),
    }
    print("versions:", versions)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), "versions": versions, "results": rows}, fh, indent=2)


if __name__ == "__main__":
    main()
