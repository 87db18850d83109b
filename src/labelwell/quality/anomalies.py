"""Annotator anomaly rules: too fast, one label for everything, far from consensus,
runs of gold failures. Each flag carries the numbers that triggered it.

The rules are the screening heuristics used in crowdsourcing quality control
(speed and straight-lining: Kittur, Chi & Suh 2008, "Crowdsourcing user studies
with Mechanical Turk", CHI, sec. 4; agreement with the aggregate: Ipeirotis,
Provost & Wang 2010, "Quality management on Amazon Mechanical Turk", HCOMP).
All of them run on column arithmetic and group-bys, without a loop over answers.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput
from labelwell.quality._frame import check_frame, encode
from labelwell.quality.gold import gold_correct


@dataclass(frozen=True)
class AnomalyFlag:
    """One anomaly: who, which rule (``speed``, ``pattern``, ``low_agreement``,
    ``gold_failures``), the evidence (numbers) and a message for a person."""

    annotator: Hashable
    kind: str
    evidence: dict[str, float | int | str] = field(default_factory=dict)
    message: str = ""


def speed_flags(
    frame: pd.DataFrame,
    fast_ratio: float = 0.30,
    max_fast_share: float = 0.20,
    *,
    duration: str = "duration",
    min_tasks: int = 5,
) -> list[AnomalyFlag]:
    """Flag annotators with more than ``max_fast_share`` of their answers faster
    than ``fast_ratio`` x the project's median time (``duration`` column, seconds).
    Annotators with fewer than ``min_tasks`` timed answers are skipped."""
    check_frame(frame, ("worker", duration))
    seconds = frame[duration].astype(float)
    median = float(seconds.median())
    limit = fast_ratio * median
    fast = (seconds < limit).groupby(frame["worker"], sort=True)
    n_tasks, n_fast = fast.size(), fast.sum()
    share = n_fast / n_tasks
    hit = (share > max_fast_share) & (n_tasks >= min_tasks)
    return [
        AnomalyFlag(
            annotator=worker,
            kind="speed",
            evidence={
                "n_tasks": int(n_tasks[worker]),
                "n_fast": int(n_fast[worker]),
                "fast_share": float(share[worker]),
                "median_seconds": median,
                "fast_under_seconds": limit,
            },
            message=(
                f"{worker}: {share[worker]:.0%} of {int(n_tasks[worker])} answers took under "
                f"{limit:.1f}s ({fast_ratio:.0%} of the {median:.1f}s median); "
                f"limit is {max_fast_share:.0%}"
            ),
        )
        for worker in share.index[hit.to_numpy()]
    ]


def pattern_flags(
    frame: pd.DataFrame, max_same_share: float = 0.85, *, min_tasks: int = 10
) -> list[AnomalyFlag]:
    """Flag annotators who gave one label to more than ``max_same_share`` of their
    answers (at least ``min_tasks`` answers). The evidence shows that label's
    share in the whole project for comparison."""
    check_frame(frame)
    counts = frame.groupby(["worker", "label"], sort=True).size()
    per_worker = counts.groupby(level="worker")
    n_tasks = per_worker.sum()
    top = counts.loc[per_worker.idxmax().to_numpy()]
    top.index = top.index.get_level_values("worker")
    share = top / n_tasks
    top_label = per_worker.idxmax().map(lambda key: key[1])
    project_share = frame["label"].value_counts(normalize=True)
    hit = (share > max_same_share) & (n_tasks >= min_tasks)
    flags = []
    for worker in share.index[hit.to_numpy()]:
        label = top_label[worker]
        flags.append(
            AnomalyFlag(
                annotator=worker,
                kind="pattern",
                evidence={
                    "label": str(label),
                    "n_tasks": int(n_tasks[worker]),
                    "same_share": float(share[worker]),
                    "project_share": float(project_share[label]),
                },
                message=(
                    f"{worker}: {share[worker]:.0%} of {int(n_tasks[worker])} answers are "
                    f"{label!r} (project-wide {project_share[label]:.0%}); "
                    f"limit is {max_same_share:.0%}"
                ),
            )
        )
    return flags


def consensus_agreement(
    frame: pd.DataFrame, consensus: pd.Series | Mapping[Any, Any] | None = None
) -> pd.DataFrame:
    """Per annotator: share of answers equal to the consensus label.

    With ``consensus`` (task -> label, e.g. Dawid-Skene ``labels_``) answers are
    compared to it. Without, each answer is compared to the majority of the
    *other* answers on its task (leave-one-out, so an annotator does not vote for
    themselves); a tie among ``t`` labels including the answer scores ``1/t``.
    Returns ``n_tasks, agreement`` indexed by worker.
    """
    check_frame(frame)
    if consensus is not None:
        truth = consensus if isinstance(consensus, pd.Series) else pd.Series(dict(consensus))
        expected = frame["task"].map(truth)
        known = expected.notna().to_numpy()
        score = (frame["label"] == expected).to_numpy(dtype=float)[known]
        workers = frame["worker"].to_numpy()[known]
    else:
        enc = encode(frame)
        flat = enc.task_idx * enc.n_labels + enc.label_idx
        counts = np.bincount(flat, minlength=enc.n_tasks * enc.n_labels)
        counts = counts.reshape(enc.n_tasks, enc.n_labels)
        others = counts[enc.task_idx].astype(float)
        others[np.arange(enc.n_answers), enc.label_idx] -= 1.0
        best = others.max(axis=1)
        known = best > 0
        is_top = others == best[:, None]
        own_top = is_top[np.arange(enc.n_answers), enc.label_idx]
        score = (own_top / is_top.sum(axis=1))[known]
        workers = enc.workers[enc.worker_idx[known]]
    grouped = pd.Series(score, index=pd.Index(workers, name="worker")).groupby(level=0)
    return pd.DataFrame({"n_tasks": grouped.size(), "agreement": grouped.mean()})


def _median_of_others(values: np.ndarray) -> np.ndarray:
    """For each element, the median of all the other elements."""
    n = len(values)
    if n < 2:
        return np.full(n, np.nan)
    order = np.argsort(values, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    s = values[order]

    def kth_without(k: np.ndarray) -> np.ndarray:  # k-th smallest once ``rank`` is removed
        return s[np.where(k < rank, k, k + 1)]

    lo, hi = (n - 2) // 2, (n - 1) // 2
    median: np.ndarray = (kth_without(np.full(n, lo)) + kth_without(np.full(n, hi))) / 2.0
    return median


def low_agreement_flags(
    frame: pd.DataFrame,
    consensus: pd.Series | Mapping[Any, Any] | None = None,
    max_gap: float = 0.20,
    *,
    min_tasks: int = 5,
) -> list[AnomalyFlag]:
    """Flag annotators whose agreement with the consensus label is more than
    ``max_gap`` under the median agreement of the other annotators (each with at
    least ``min_tasks`` compared answers)."""
    table = consensus_agreement(frame, consensus)
    table = table[table["n_tasks"] >= min_tasks]
    others = _median_of_others(table["agreement"].to_numpy())
    gap = others - table["agreement"].to_numpy()
    flags = []
    for i in np.flatnonzero(gap > max_gap):
        worker = table.index[int(i)]
        agreement = float(table["agreement"].iloc[i])
        flags.append(
            AnomalyFlag(
                annotator=worker,
                kind="low_agreement",
                evidence={
                    "n_tasks": int(table["n_tasks"].iloc[i]),
                    "agreement": agreement,
                    "others_median": float(others[i]),
                    "gap": float(gap[i]),
                },
                message=(
                    f"{worker}: agrees with consensus on {agreement:.0%} of "
                    f"{int(table['n_tasks'].iloc[i])} tasks against a median of "
                    f"{others[i]:.0%} for the others"
                ),
            )
        )
    return flags


def gold_failure_flags(
    frame: pd.DataFrame,
    gold: pd.Series | Mapping[Any, Any],
    k: int = 3,
    *,
    order_by: str | None = None,
) -> list[AnomalyFlag]:
    """Flag annotators who failed ``k`` or more gold items in a row, in the order
    of ``order_by`` (e.g. a submission time column) or else of the frame."""
    if k < 1:
        raise InvalidInput(f"k must be at least 1, got {k}")
    answers = gold_correct(frame, gold)
    if order_by is not None:
        answers = answers.sort_values(order_by, kind="stable")
    answers = answers.sort_values("worker", kind="stable")
    worker = answers["worker"].to_numpy()
    failed = ~answers["correct"].to_numpy(dtype=bool)
    if len(worker) == 0:
        return []
    new_run = np.ones(len(worker), dtype=bool)
    new_run[1:] = (worker[1:] != worker[:-1]) | (failed[1:] != failed[:-1])
    run_id = np.cumsum(new_run) - 1
    run_length = np.bincount(run_id)
    run_start = np.flatnonzero(new_run)
    long_fail = failed[run_start] & (run_length >= k)
    runs = pd.DataFrame({"worker": worker[run_start], "length": run_length, "start": run_start})[
        long_fail
    ]
    per_worker = answers.groupby("worker", sort=False)["correct"]
    n_gold_of, n_correct_of = per_worker.size().to_dict(), per_worker.sum().to_dict()
    tasks = answers["task"].to_numpy()
    flags = []
    for worker_id, worker_runs in runs.groupby("worker", sort=True):
        longest = worker_runs.iloc[int(worker_runs["length"].to_numpy().argmax())]
        start, length = int(longest["start"]), int(longest["length"])
        n_gold = int(n_gold_of[worker_id])
        flags.append(
            AnomalyFlag(
                annotator=worker_id,
                kind="gold_failures",
                evidence={
                    "longest_run": length,
                    "n_runs": len(worker_runs),
                    "n_gold": n_gold,
                    "n_failed": n_gold - int(n_correct_of[worker_id]),
                    "first_task": str(tasks[start]),
                    "last_task": str(tasks[start + length - 1]),
                },
                message=(
                    f"{worker_id}: failed {length} gold items in a row "
                    f"({tasks[start]} to {tasks[start + length - 1]}); limit is {k}"
                ),
            )
        )
    return flags


def detect_anomalies(
    frame: pd.DataFrame,
    gold: pd.Series | Mapping[Any, Any] | None = None,
    consensus: pd.Series | Mapping[Any, Any] | None = None,
    *,
    duration: str = "duration",
    order_by: str | None = None,
) -> list[AnomalyFlag]:
    """Every rule that the data allows, with default thresholds: speed when a
    ``duration`` column exists, gold runs when ``gold`` is given, pattern and
    low agreement always."""
    flags: list[AnomalyFlag] = []
    if duration in frame.columns:
        flags += speed_flags(frame, duration=duration)
    flags += pattern_flags(frame)
    flags += low_agreement_flags(frame, consensus)
    if gold is not None:
        flags += gold_failure_flags(frame, gold, order_by=order_by)
    return flags
