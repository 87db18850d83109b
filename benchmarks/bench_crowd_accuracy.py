"""Accuracy of every aggregation method on every crowd set here and on simulated
sets with known truth, beside crowd-kit 1.4.2 in the same run, and the evidence
for the defaults (each variant's mean accuracy over all sets).

Sets: ``../shared/datasets/crowd/*`` (skipped with a message when missing) and a
grid of simulated crowds (:func:`labelwell.quality.simulate.simulate_crowd`):
class balance (uniform, 85/15), worker accuracy (.55-.75, .70-.95), redundancy
(3, 7), one-coin or per-class workers, plus two 3-class sets. Prints a Markdown
table (``--json`` for one JSON object) and, beside crowd-kit, the cells where a
labelwell method is more than 0.005 below crowd-kit's same method. Run:
``benchmarks/.venv-peers/bin/python benchmarks/bench_crowd_accuracy.py --quick``
(the real sets and the 10 simulated sets with redundancy 3 or 3 classes; each
crowd-kit fit in a child process stopped after ``--peer-timeout`` seconds, shown
as a missing cell), or ``--no-peers`` for labelwell alone on every set.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import multiprocessing as mp
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

CROWD = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "crowd"


def real_sets() -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    found = {}
    if not CROWD.is_dir():
        print(f"# {CROWD} is missing: simulated sets only")
        return found
    for folder in sorted(p for p in CROWD.iterdir() if (p / "answers.csv").is_file()):
        answers = pd.read_csv(folder / "answers.csv", dtype=str)
        truth = pd.read_csv(folder / "truth.csv", dtype=str).set_index("task")["label"]
        found[folder.name] = (answers, truth)
    return found


def simulated_sets() -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    from labelwell.quality.simulate import simulate_crowd

    sets = {}
    grid = itertools.product(
        (None, (0.85, 0.15)), ((0.55, 0.75), (0.70, 0.95)), (3, 7), (False, True)
    )
    for i, (balance, acc, redundancy, per_class) in enumerate(grid):
        name = (
            f"sim{'-skew' if balance else ''}-acc{acc[0]:.2f}-r{redundancy}"
            f"{'-2coin' if per_class else ''}"
        )
        sets[name] = simulate_crowd(
            600,
            30,
            redundancy,
            2,
            class_balance=balance,
            accuracy=acc,
            per_class=per_class,
            seed=100 + i,
        )
    for i, balance in enumerate(((1 / 3, 1 / 3, 1 / 3), (0.6, 0.3, 0.1))):
        sets[f"sim-3class-{i}"] = simulate_crowd(
            600,
            30,
            5,
            3,
            class_balance=balance,
            accuracy=(0.5, 0.9),
            per_class=True,
            seed=200 + i,
        )
    return sets


class Auto:
    """``method="auto"`` without gold (model evidence), as an estimator."""

    def fit(self, answers: pd.DataFrame) -> Auto:
        from labelwell.quality.auto import choose_method
        from labelwell.quality.registry import AGGREGATORS

        self.choice_ = choose_method(answers)
        self.labels_ = AGGREGATORS[self.choice_.method]().fit(answers).labels_
        return self


class MacePriorByEvidence:
    """MACE with its class prior learned or uniform, whichever an information
    criterion prefers (a candidate for the default, not a labelwell method).

    Both fits run; the learned prior has ``K - 1`` free parameters more, so it is
    kept when ``information_criterion`` (AIC, or BIC with ``N`` tasks, the units
    a class prior is estimated from; Schwarz 1978) is lower for it."""

    def __init__(self, criterion: str) -> None:
        self.criterion = criterion

    def fit(self, answers: pd.DataFrame) -> MacePriorByEvidence:
        from labelwell.quality import MACE
        from labelwell.quality.auto import information_criterion

        learned, uniform = MACE().fit(answers), MACE(learn_priors=False).fit(answers)
        n_tasks, extra = answers["task"].nunique(), len(learned.priors_) - 1
        scores = [
            information_criterion(fit.log_marginal_likelihood_, n, n_tasks, self.criterion)
            for fit, n in ((learned, extra), (uniform, 0))
        ]
        self.learned_ = scores[0] < scores[1]
        self.labels_ = (learned if self.learned_ else uniform).labels_
        return self


def our_methods() -> dict[str, Callable[[], object]]:
    from labelwell.quality import (
        BWA,
        EBCC,
        GLAD,
        MACE,
        DawidSkene,
        MajorityVote,
        OneCoinDawidSkene,
        Wawa,
    )

    return {
        "mv": MajorityVote,
        "wawa": Wawa,
        "ds": DawidSkene,
        "onecoin": OneCoinDawidSkene,
        "glad": GLAD,
        "mace": MACE,
        "mace (uniform prior)": lambda: MACE(learn_priors=False),
        "bwa": BWA,
        "ebcc": EBCC,
        "auto": Auto,
    }


def default_candidates() -> dict[str, dict[str, Callable[[], object]]]:
    """For each default: the candidates it was chosen from, listed from the
    published setting outward (nearest first).

    Each default is the candidate with the highest mean accuracy over all sets
    (the real crowd sets and every simulated crowd); means less than one task
    apart (see :func:`choose`) are a tie, which goes to the candidate listed
    first, the nearer to the published setting. ``--defaults`` prints the tables
    (docs/benchmarks.md, "The defaults, each from a table of candidates")."""
    from labelwell.quality import GLAD, MACE, DawidSkene, MajorityVote

    def glad(sd_a: float, sd_b: float) -> Callable[[], object]:
        return lambda: GLAD(alphas_priors_sd=sd_a, betas_priors_sd=sd_b)

    def ds(a: float, b: float) -> Callable[[], object]:
        return lambda: DawidSkene(confusion_prior=(a, b))

    def mace(**kw: object) -> Callable[[], object]:
        return lambda: MACE(**kw)  # type: ignore[arg-type]

    return {
        "mv tie": {
            "random (seeded draw)": lambda: MajorityVote(tie="random"),
            "prior (answer share, then seeded draw)": lambda: MajorityVote(tie="prior"),
        },
        "ds confusion_prior (a, b)": {
            f"({a:g}, {b:g})" + note: ds(a, b)
            for a, b, note in (
                (1, 1, ", maximum likelihood (the paper's)"),
                (2, 1, ""),
                (2, 2, ", add-one"),
                (3, 1, ""),
                (4, 1, ", EBCC's"),
                (4, 2, ""),
                (6, 2, ""),
                (6, 3, ""),
                (8, 2, ""),
                (10, 2, ""),
            )
        },
        "glad prior sd (alpha, b)": {
            f"({sd_a:g}, {sd_b:g})" + (", the paper's" if sd_a == sd_b == 1 else ""): glad(
                sd_a, sd_b
            )
            for sd_a, sd_b in sorted(
                itertools.product((1.0, 0.5, 0.3, 0.2, 0.1), (1.0, 0.3)),
                key=lambda sd: abs(math.log(sd[0])) + abs(math.log(sd[1])),
            )
        },
        "mace class prior (em, smoothing 2)": {
            "uniform (the paper's)": mace(learn_priors=False),
            "learned or uniform, by BIC (N tasks)": lambda: MacePriorByEvidence("bic"),
            "learned or uniform, by AIC": lambda: MacePriorByEvidence("aic"),
            "learned (mean posterior, Dawid and Skene's)": mace(learn_priors=True),
        },
        "mace method and smoothing": {
            "vb, Beta(0.5, 0.5) (the paper's)": mace(method="vb", alpha=0.5, beta=0.5),
            "vb, Beta(1, 1)": mace(method="vb", alpha=1.0, beta=1.0),
            "vb, Beta(2, 2)": mace(method="vb", alpha=2.0, beta=2.0),
            "em, smoothing 0.01/K (crowd-kit's)": mace(method="em", smoothing=None),
            **{
                f"em, smoothing {v:g}": mace(method="em", smoothing=v)
                for v in (0.1, 0.5, 1.0, 2.0, 3.0, 5.0)
            },
        },
    }


def choose(means: dict[str, float], tie: float) -> str:
    """The candidate with the highest mean; candidates within ``tie`` of it count
    as equal, and the first of them in ``means`` (the nearest to the published
    setting) is chosen."""
    best = max(means.values())
    return next(c for c, m in means.items() if m >= best - tie)


def print_defaults(sets: dict[str, tuple[pd.DataFrame, pd.Series]]) -> None:
    """One table per default: each candidate's accuracy on the real sets and its
    mean over the simulated ones and over all sets; the highest mean is marked."""
    real = [s for s in sets if not s.startswith("sim")]
    sims = [s for s in sets if s.startswith("sim")]
    # one task of a set of the median size moves the mean over all sets by this
    sizes = sorted(len(truth) for _, truth in sets.values())
    tie = 1.0 / (len(sets) * sizes[len(sizes) // 2])
    print(f"means within {tie:.6f} (one task of a {sizes[len(sizes) // 2]}-task set) are a tie")
    for default, candidates in default_candidates().items():
        rows = {}
        for label, make in candidates.items():
            start = time.perf_counter()
            acc = {name: accuracy(make().fit(a).labels_, t) for name, (a, t) in sets.items()}
            row = {name: acc[name] for name in real}
            row["mean (simulated)"] = sum(acc[n] for n in sims) / max(len(sims), 1)
            row["mean (all sets)"] = sum(acc.values()) / len(acc)
            row["seconds"] = time.perf_counter() - start
            rows[label] = row
        best = choose({c: r["mean (all sets)"] for c, r in rows.items()}, tie)
        columns = list(next(iter(rows.values())))
        print(f"\n{default} (highest mean over all {len(sets)} sets, ties to the first: {best})\n")
        print("| candidate | " + " | ".join(columns) + " |")
        print("|---|" + "---:|" * len(columns))
        for label, row in rows.items():
            cells = [f"{row[c]:.2f}" if c == "seconds" else f"{row[c]:.4f}" for c in columns]
            name = f"**{label}**" if label == best else label
            print(f"| {name} | " + " | ".join(cells) + " |")


def peer_methods() -> dict[str, Callable[[pd.DataFrame], pd.Series]]:
    import crowdkit.aggregation as ck
    from crowdkit.aggregation.utils import get_accuracy

    def wawa(answers: pd.DataFrame) -> pd.Series:
        first = ck.MajorityVote().fit(answers)
        skills = get_accuracy(answers, true_labels=first.labels_, by="worker")
        return ck.MajorityVote().fit(answers, skills=skills).labels_

    return {
        "mv": lambda a: ck.MajorityVote().fit(a).labels_,
        "wawa": wawa,
        "ds": lambda a: ck.DawidSkene(n_iter=100).fit(a).labels_,
        "onecoin": lambda a: ck.OneCoinDawidSkene(n_iter=100).fit(a).labels_,
        "glad": lambda a: ck.GLAD().fit(a).labels_,
        "mace": lambda a: ck.MACE().fit(a).labels_,
    }


def accuracy(labels: pd.Series, truth: pd.Series) -> float:
    return float((labels.reindex(truth.index) == truth).mean())


def mcnemar(ours: pd.Series, theirs: pd.Series, truth: pd.Series) -> tuple[int, int, float]:
    """Tasks only ``ours`` gets right, tasks only ``theirs`` gets right, and the
    two-sided exact McNemar p-value (binomial on the discordant tasks; McNemar
    1947): whether a gap is more than the luck of a few tasks."""
    from scipy.stats import binomtest

    right = ours.reindex(truth.index) == truth
    their_right = theirs.reindex(truth.index) == truth
    a, b = int((right & ~their_right).sum()), int((~right & their_right).sum())
    return a, b, float(binomtest(a, a + b, 0.5).pvalue) if a + b else 1.0


def _child(fit: Callable[[pd.DataFrame], pd.Series], answers: pd.DataFrame, out: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out.send(fit(answers))  # type: ignore[attr-defined]


def run_bounded(
    fit: Callable[[pd.DataFrame], pd.Series], answers: pd.DataFrame, timeout: float
) -> pd.Series | None:
    """``fit(answers)`` in a forked child, stopped after ``timeout`` seconds (None)."""
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(fit, answers, send))
    child.start()
    send.close()
    labels = receive.recv() if receive.poll(timeout) else None
    child.join(1.0 if labels is None else None)
    if child.is_alive():
        child.terminate()
        child.join()
    return labels


QUICK_SIMULATED = ("-r3", "3class")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-peers", action="store_true", help="leave crowd-kit out")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="print the table of candidates each default was chosen from (labelwell only)",
    )
    parser.add_argument(
        "--peer-slow-max",
        type=int,
        default=10_000,
        help="run crowd-kit's GLAD and MACE only on sets with at most this many answers "
        "(on D_Product they take minutes; their figures there are in docs/benchmarks.md)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the real sets and the simulated sets with redundancy 3 or 3 classes only",
    )
    parser.add_argument(
        "--peer-timeout",
        type=float,
        default=300.0,
        help="stop a crowd-kit fit after this many seconds (its cell is left empty)",
    )
    args = parser.parse_args()
    sims = simulated_sets()
    if args.quick:
        sims = {k: v for k, v in sims.items() if any(q in k for q in QUICK_SIMULATED)}
    sets = {**real_sets(), **sims}
    if args.defaults:
        print_defaults(sets)
        return
    started_all = time.perf_counter()
    load = os.getloadavg()[0]
    rows = []
    predicted: dict[tuple[str, str, str], pd.Series] = {}
    for name, (answers, truth) in sets.items():
        for method, make in our_methods().items():
            start = time.perf_counter()
            labels = make().fit(answers).labels_
            predicted[name, method, "labelwell"] = labels
            rows.append(
                (name, method, "labelwell", accuracy(labels, truth), time.perf_counter() - start)
            )
        if args.no_peers:
            continue
        for method, fit in peer_methods().items():
            if method in ("glad", "mace") and len(answers) > args.peer_slow_max:
                continue
            start = time.perf_counter()
            labels = run_bounded(fit, answers, args.peer_timeout)
            if labels is not None:
                predicted[name, method, "crowd-kit"] = labels
            score = float("nan") if labels is None else accuracy(labels, truth)
            rows.append((name, method, "crowd-kit", score, time.perf_counter() - start))
    table = pd.DataFrame(rows, columns=["set", "method", "library", "accuracy", "seconds"])
    if args.json:
        print(table.to_json(orient="records"))
        return
    wide = table.pivot_table(index="set", columns=["library", "method"], values="accuracy")
    wide = wide.reindex(list(sets))
    mean_row = wide.mean().to_frame("mean (all sets)").T
    real = [s for s in sets if not s.startswith("sim")]
    if real:
        mean_row.loc["mean (real sets)"] = wide.loc[real].mean()
    mean_row.loc["mean (simulated)"] = wide.loc[[s for s in sets if s.startswith("sim")]].mean()
    out = pd.concat([wide, mean_row])
    out.columns = [f"{m} ({'ck' if lib == 'crowd-kit' else 'lw'})" for lib, m in out.columns]
    print("| set | " + " | ".join(out.columns) + " |")
    print("|---|" + "---:|" * len(out.columns))
    for name, row in out.iterrows():
        print(f"| {name} | " + " | ".join("" if v != v else f"{v:.4f}" for v in row) + " |")
    if not args.no_peers:
        ours = wide.xs("labelwell", axis=1, level="library").loc[list(sets)]
        theirs = wide.xs("crowd-kit", axis=1, level="library").loc[list(sets)]
        gap = (ours[theirs.columns] - theirs).stack()
        short = gap[gap < -0.005 - 1e-9]  # more than 0.005 under (3 tasks of 600 is not)
        print()
        print(
            f"target (labelwell >= crowd-kit - 0.005): {int(gap.notna().sum())} cells compared, "
            f"{len(short)} short"
        )
        for (name, method), g in short.items():
            a, b, p = mcnemar(
                predicted[name, method, "labelwell"],
                predicted[name, method, "crowd-kit"],
                sets[name][1],
            )
            print(
                f"  {name} {method} {g:+.4f}: labelwell alone right on {a} tasks, "
                f"crowd-kit alone on {b}; exact McNemar p = {p:.3f}"
            )
    print(
        f"{time.perf_counter() - started_all:.0f} s in all; load average "
        f"{load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    seconds = table.pivot_table(index="set", columns=["library", "method"], values="seconds")
    print()
    print("seconds, summed over all sets:")
    print(json.dumps({f"{m} ({lib})": round(v, 2) for (lib, m), v in seconds.sum().items()}))


if __name__ == "__main__":
    main()
