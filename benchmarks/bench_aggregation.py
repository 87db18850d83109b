"""Aggregation methods: labelwell beside crowd-kit 1.4.2, side by side in one run.

For each dataset of ``../shared/datasets/crowd`` (D_Product, RTE, Bluebirds) and
each method (MV, Dawid-Skene, one-coin DS, GLAD, MACE) it fits labelwell
(best of ``--repeat``) and crowd-kit (once: crowd-kit's GLAD and MACE take
minutes) on the same answers, and prints time, accuracy against the truth and
the speed-up (crowd-kit time / labelwell time). ``--synthetic`` adds Dawid-Skene
on generated answers: 20 EM iterations on 500k answers beside crowd-kit, and
5,000,000 answers (1M tasks, 5,000 workers, 5 classes) to convergence, run in a
fresh subprocess that reports its peak resident memory.

Needs the peer environment: ``bash benchmarks/peers.sh`` then
``benchmarks/.venv-peers/bin/python benchmarks/bench_aggregation.py --synthetic``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

CROWD = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "crowd"
DATASETS = ("product", "rte", "bluebird")
METHODS = ("mv", "ds", "onecoin", "glad", "mace")


def ours(method: str):
    from labelwell.quality.registry import AGGREGATORS

    return AGGREGATORS[method]() if method != "mv" else AGGREGATORS["mv"](tie="first")


def theirs(method: str):
    import crowdkit.aggregation as ck

    return {
        "mv": ck.MajorityVote,
        "ds": ck.DawidSkene,
        "onecoin": ck.OneCoinDawidSkene,
        "glad": ck.GLAD,
        "mace": ck.MACE,
    }[method]()


def timed(fit: Callable[[], pd.Series], repeat: int) -> tuple[float, pd.Series]:
    best, labels = float("inf"), pd.Series(dtype=object)
    for _ in range(repeat):
        start = time.perf_counter()
        labels = fit()
        best = min(best, time.perf_counter() - start)
    return best, labels


def accuracy(labels: pd.Series, truth: pd.Series) -> float:
    return float((labels.reindex(truth.index) == truth).mean())


def run_real(datasets: list[str], methods: list[str], repeat: int) -> list[dict]:
    import crowdkit.aggregation  # noqa: F401  (imports stay out of the timings)

    import labelwell.quality.registry  # noqa: F401

    rows = []
    for name in datasets:
        answers = pd.read_csv(CROWD / name / "answers.csv", dtype=str)
        truth = pd.read_csv(CROWD / name / "truth.csv", dtype=str).set_index("task")["label"]
        for method in methods:
            t_ours, l_ours = timed(lambda m=method, a=answers: ours(m).fit_predict(a), repeat)
            t_ck, l_ck = timed(lambda m=method, a=answers: theirs(m).fit_predict(a), 1)
            row = {
                "dataset": name,
                "method": method,
                "answers": len(answers),
                "labelwell_s": t_ours,
                "crowdkit_s": t_ck,
                "speedup": t_ck / t_ours,
                "labelwell_acc": accuracy(l_ours, truth),
                "crowdkit_acc": accuracy(l_ck, truth),
            }
            rows.append(row)
            print(
                f"{name:9s} {method:8s} {row['answers']:>9,d}  labelwell {t_ours:8.3f} s "
                f"acc {row['labelwell_acc']:.4f} | crowd-kit {t_ck:8.3f} s "
                f"acc {row['crowdkit_acc']:.4f} | x{row['speedup']:.1f}",
                flush=True,
            )
    return rows


def synthetic(n_tasks: int, n_workers: int, n_classes: int, per_task: int, seed: int = 0):
    """Answers from a one-coin model: worker accuracy uniform in [0.5, 0.95]."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n_tasks)
    task = np.repeat(np.arange(n_tasks), per_task)
    worker = rng.integers(0, n_workers, n_tasks * per_task)
    skill = rng.uniform(0.5, 0.95, n_workers)
    right = rng.random(len(task)) < skill[worker]
    wrong = (truth[task] + rng.integers(1, n_classes, len(task))) % n_classes
    label = np.where(right, truth[task], wrong)
    return pd.DataFrame({"task": task, "worker": worker, "label": label}), truth


def run_500k(repeat: int) -> dict:
    from crowdkit.aggregation import DawidSkene as CKDawidSkene

    from labelwell.quality import DawidSkene

    data, truth = synthetic(100_000, 1_000, 5, 5, seed=1)
    # 20 iterations each, and the same model: crowd-kit's is the maximum-likelihood fit
    same = DawidSkene(n_iter=20, min_iter=20, tol=0.0, confusion_prior=(1.0, 1.0))
    t_ours, l_ours = timed(lambda: same.fit_predict(data), repeat)
    t_ck, l_ck = timed(lambda: CKDawidSkene(n_iter=20, tol=-np.inf).fit_predict(data), 1)
    truth_s = pd.Series(truth)
    row = {
        "dataset": "synthetic-500k",
        "method": "ds (20 iterations)",
        "answers": len(data),
        "labelwell_s": t_ours,
        "crowdkit_s": t_ck,
        "speedup": t_ck / t_ours,
        "labelwell_acc": accuracy(l_ours, truth_s),
        "crowdkit_acc": accuracy(l_ck, truth_s),
    }
    print(
        f"synthetic 500k answers, DS 20 iterations: labelwell {t_ours:.3f} s acc "
        f"{row['labelwell_acc']:.4f} | crowd-kit {t_ck:.3f} s acc {row['crowdkit_acc']:.4f} "
        f"| x{row['speedup']:.1f}",
        flush=True,
    )
    return row


def child_5m() -> None:
    """Runs in a fresh process: DS to convergence on 5M answers, prints JSON."""
    from labelwell.quality import DawidSkene

    data, truth = synthetic(1_000_000, 5_000, 5, 5)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    model = DawidSkene().fit(data)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    predicted = model.labels_.to_numpy()
    acc = float((predicted == truth[model.labels_.index.to_numpy()]).mean())
    print(
        json.dumps(
            {
                "answers": len(data),
                "seconds": seconds,
                "iterations": model.n_iter_,
                "accuracy": acc,
                "peak_rss_mib": peak / 1024,
                "rss_before_fit_mib": before / 1024,
            }
        )
    )


def run_5m() -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child-5m"], check=True, capture_output=True, text=True
    )
    row = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"synthetic 5M answers (1M tasks, 5,000 workers, 5 classes), DS to convergence: "
        f"{row['seconds']:.2f} s, {row['iterations']} iterations, accuracy {row['accuracy']:.4f}, "
        f"peak RSS {row['peak_rss_mib']:.0f} MiB (data alone {row['rss_before_fit_mib']:.0f} MiB)",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--repeat", type=int, default=3, help="labelwell runs (best kept)")
    parser.add_argument("--synthetic", action="store_true", help="add the 500k and 5M runs")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child-5m", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_5m:
        child_5m()
        return
    from importlib.metadata import version

    print(
        f"python {platform.python_version()}, crowd-kit {version('crowd-kit')}, "
        f"numpy {np.__version__}, pandas {pd.__version__}; one run on a shared machine, "
        "compare the ratios",
        flush=True,
    )
    results: dict[str, object] = {"real": [], "synthetic": {}}
    datasets = [d for d in args.datasets.split(",") if d]
    if datasets and not CROWD.is_dir():
        print(f"skipping real data: {CROWD} is missing")
        datasets = []
    if datasets:
        results["real"] = run_real(datasets, args.methods.split(","), args.repeat)
    if args.synthetic:
        results["synthetic"] = {"ds_500k": run_500k(args.repeat), "ds_5m": run_5m()}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
