"""Inter-annotator agreement: percent agreement, Cohen's and Fleiss' kappa,
Krippendorff's alpha, Landis-Koch interpretation, bootstrap intervals and
per-label agreement.

Input is a long ``task, worker, label`` frame (labels strings or ints) or, where
natural, reliability data (``raters x units`` array with ``NaN`` for missing).
Every statistic is computed from the unit-by-label count matrix with
``np.bincount``; no Python loop runs over units or ratings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput
from labelwell.quality.krippendorff import (
    alpha_from_counts,
    encode_ratings,
    krippendorff_alpha,
    rating_counts,
)
from labelwell.quality.sample import (
    SampleWarning,
    bootstrap_instability,
    check_sample,
    unstable_warning,
)

__all__ = [
    "AgreementReport",
    "agreement_report",
    "bootstrap_ci",
    "bootstrap_replicates",
    "n_pairable",
    "cohen_kappa",
    "fleiss_kappa",
    "interpret",
    "krippendorff_alpha",
    "per_label_agreement",
    "percent_agreement",
]

Weights = Literal["linear", "quadratic"] | None

# Landis, J. R. & Koch, G. G. (1977). The measurement of observer agreement for
# categorical data. Biometrics 33(1), 159-174, table on p. 165.
_BANDS: tuple[tuple[float, str], ...] = (
    (0.20, "slight"),
    (0.40, "fair"),
    (0.60, "moderate"),
    (0.80, "substantial"),
)


def interpret(value: float) -> str:
    """Landis & Koch (1977) band: poor (< 0), slight (0-.20), fair (.21-.40),
    moderate (.41-.60), substantial (.61-.80), almost perfect (.81-1)."""
    if value is None or not np.isfinite(value):
        return "undefined"
    if value < 0:
        return "poor"
    value = round(float(value), 2)
    for upper, name in _BANDS:
        if value <= upper:
            return name
    return "almost perfect"


def _pairable_counts(data: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts ``n_uj``, totals ``m_u`` of the units with at least two ratings, and
    the labels ``j``."""
    counts, labels = rating_counts(data)
    return (*_pairable(counts), labels)


def _pairable(counts: Any) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(counts.sum(axis=1)).ravel()
    keep = m >= 2
    counts = counts[keep]
    return (counts if isinstance(counts, np.ndarray) else counts.toarray()), m[keep]


def _observed_agreement(counts: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``P_u = sum_j n_uj (n_uj - 1) / (m_u (m_u - 1))`` (Fleiss 1971, eq. 2)."""
    agreement: np.ndarray = (counts * (counts - 1.0)).sum(axis=1) / (m * (m - 1.0))
    return agreement


def percent_agreement(data: pd.DataFrame | np.ndarray | list[Any]) -> float:
    """Mean over units of the share of agreeing rater pairs (Fleiss 1971, eq. 2-3).

    With two raters this is the share of units they label alike. Units with fewer
    than two ratings are skipped; ``nan`` if none is left.
    """
    return _percent_from_counts(rating_counts(data)[0])


def _percent_from_counts(counts: Any, labels: Any = None) -> float:
    counts, m = _pairable(counts)
    if len(m) == 0:
        return float("nan")
    return float(_observed_agreement(counts, m).mean())


def fleiss_kappa(data: pd.DataFrame | np.ndarray | list[Any]) -> float:
    """Fleiss' kappa, ``(P_bar - P_e) / (1 - P_e)`` (Fleiss 1971, eq. 2-7).

    ``P_bar`` is the mean of the per-unit agreement ``P_u`` and ``P_e = sum_j p_j^2``
    with ``p_j`` the share of all ratings in category ``j``. With a varying number
    of ratings per unit, ``P_u`` uses each unit's own ``m_u`` and ``p_j`` pools the
    ratings of the units with ``m_u >= 2``; with a constant number this is exactly
    Fleiss' statistic.
    """
    return _fleiss_from_counts(rating_counts(data)[0])


def _fleiss_from_counts(counts: Any, labels: Any = None) -> float:
    counts, m = _pairable(counts)
    if len(m) == 0:
        return float("nan")
    p_bar = float(_observed_agreement(counts, m).mean())
    p_j = counts.sum(axis=0) / m.sum()
    p_e = float((p_j * p_j).sum())
    if p_e >= 1.0:
        return float("nan")
    return (p_bar - p_e) / (1.0 - p_e)


def per_label_agreement(data: pd.DataFrame | np.ndarray | list[Any]) -> pd.DataFrame:
    """Agreement per label: Fleiss' kappa for each category (Fleiss 1971, eq. 9).

    ``kappa_j = 1 - sum_u n_uj (m_u - n_uj) / (m_u - 1) / (sum_u m_u * p_j q_j)``,
    which for a constant ``m`` is Fleiss' ``1 - sum n_ij (m - n_ij) /
    (N m (m - 1) p_j q_j)``. The overall kappa is the ``p_j q_j``-weighted mean of
    these. Columns: ``label, kappa, prevalence, n_ratings, interpretation``.
    """
    counts, m, labels = _pairable_counts(data)
    total = m.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        p_j = counts.sum(axis=0) / total if total else np.zeros(len(labels))
        disagreement = (counts * (m[:, None] - counts) / (m[:, None] - 1.0)).sum(axis=0)
        spread = total * p_j * (1.0 - p_j)
        kappa = np.where(spread > 0, 1.0 - disagreement / np.where(spread > 0, spread, 1), np.nan)
    return pd.DataFrame(
        {
            "label": labels,
            "kappa": kappa,
            "prevalence": p_j,
            "n_ratings": counts.sum(axis=0).astype(int),
            "interpretation": [interpret(k) for k in kappa],
        }
    )


def _present(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "f":
        present: np.ndarray = ~np.isnan(values)
        return present
    if values.dtype.kind in "iub":
        return np.ones(values.shape, dtype=bool)
    return np.asarray(pd.notna(values))


def _two_raters(data: Any, other: Any, raters: tuple[Any, Any] | None) -> tuple[Any, Any]:
    """The paired labels of two raters from a frame, reliability data or two arrays."""
    if other is not None:
        a, b = np.asarray(data), np.asarray(other)
        if a.shape != b.shape or a.ndim != 1:
            raise InvalidInput(
                f"expected two 1-D arrays of one length, got {a.shape} and {b.shape}"
            )
        both = _present(a) & _present(b)
        return (a, b) if both.all() else (a[both], b[both])
    enc = encode_ratings(data)
    if raters is None:
        if enc.n_workers != 2:
            raise InvalidInput(
                f"Cohen's kappa compares two raters; the data has {enc.n_workers} "
                "(pass raters=(a, b) to choose two)"
            )
        first, second = 0, 1
    else:
        index = pd.Index(enc.workers)
        first, second = (int(index.get_loc(r)) for r in raters)
    pick = [enc.worker_idx == first, enc.worker_idx == second]
    by_task = []
    for mask in pick:
        tasks = enc.task_idx[mask]
        if len(np.unique(tasks)) != len(tasks):
            raise InvalidInput("a rater labels the same task more than once", field="task")
        label = np.full(enc.n_tasks, -1, dtype=np.int64)
        label[tasks] = enc.label_idx[mask]
        by_task.append(label)
    both = (by_task[0] >= 0) & (by_task[1] >= 0)
    return enc.labels[by_task[0][both]], enc.labels[by_task[1][both]]


def cohen_kappa(
    data: pd.DataFrame | np.ndarray | list[Any],
    other: np.ndarray | list[Any] | None = None,
    *,
    weights: Weights = None,
    raters: tuple[Any, Any] | None = None,
    labels: list[Any] | np.ndarray | None = None,
) -> float:
    """Cohen's kappa for two raters, unweighted or weighted.

    ``kappa = 1 - sum w_ij O_ij / sum w_ij E_ij`` with ``O`` the observed
    confusion matrix and ``E = row x col / n`` (Cohen 1960, eq. 1; weighted form
    Cohen 1968, eq. 6), ``w_ij`` = ``[i != j]``, ``|i - j|`` (linear) or
    ``(i - j)^2`` (quadratic) on the positions of the sorted labels, as in
    scikit-learn's ``cohen_kappa_score``.

    Call as ``cohen_kappa(frame)`` (exactly two workers, or ``raters=(a, b)``),
    ``cohen_kappa(reliability_data)`` (two rows) or ``cohen_kappa(y1, y2)``. Only
    units rated by both count. ``labels`` fixes the label set and order.
    """
    if weights not in (None, "linear", "quadratic"):
        raise InvalidInput(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    a, b = _two_raters(data, other, raters)
    if labels is None:
        codes, uniques = _factorize(np.concatenate([a, b]))
    else:
        uniques = np.asarray(labels, dtype=object)
        codes = pd.Index(uniques).get_indexer(np.concatenate([a, b]))
        keep = (codes[: len(a)] >= 0) & (codes[len(a) :] >= 0)
        codes = np.concatenate([codes[: len(a)][keep], codes[len(a) :][keep]])
    n_pairs = len(codes) // 2
    if n_pairs == 0:
        return float("nan")
    k = len(uniques)
    confusion = np.bincount(codes[:n_pairs] * k + codes[n_pairs:], minlength=k * k).reshape(k, k)
    return _kappa_from_confusion(confusion.astype(float), weights)


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:
        codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64), np.asarray(uniques)


def _kappa_from_confusion(confusion: np.ndarray, weights: Weights) -> float:
    k = confusion.shape[0]
    n = confusion.sum()
    expected = np.outer(confusion.sum(axis=1), confusion.sum(axis=0)) / n
    if weights is None:
        w = 1.0 - np.eye(k)
    else:
        pos = np.arange(k, dtype=float)
        dist = np.abs(pos[:, None] - pos[None, :])
        w = dist if weights == "linear" else dist**2
    denominator = float((w * expected).sum())
    if denominator == 0:
        return float("nan")
    return 1.0 - float((w * confusion).sum()) / denominator


def bootstrap_ci(
    metric: Callable[..., float],
    frame: pd.DataFrame,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int | None = None,
    unit: Literal["task", "worker"] = "task",
    **metric_kwargs: Any,
) -> tuple[float, float]:
    """Percentile bootstrap interval ``(low, high)`` of ``metric(frame)``; see
    :func:`bootstrap_replicates` for the resampling."""
    if not 0 < alpha < 1:
        raise InvalidInput(f"alpha must be in (0, 1), got {alpha}")
    stats = bootstrap_replicates(metric, frame, n_boot, seed, unit, **metric_kwargs)
    return _percentile_interval(stats, alpha)


def bootstrap_replicates(
    metric: Callable[..., float],
    frame: pd.DataFrame,
    n_boot: int = 1000,
    seed: int | None = None,
    unit: Literal["task", "worker"] = "task",
    **metric_kwargs: Any,
) -> np.ndarray:
    """The ``n_boot`` bootstrap replicates of ``metric(frame)`` (empty without units).

    Resamples whole units (``task``, or ``worker``) with replacement, each drawn
    copy becoming a distinct unit, as in Efron & Tibshirani (1993), ch. 13, and
    the unit bootstrap for agreement of Hayes & Krippendorff (2007). ``nan``
    replicates (undefined statistic) are ignored. For ``percent_agreement``,
    ``fleiss_kappa`` and ``krippendorff_alpha``, which depend only on the
    unit-by-label counts, task resampling draws rows of that matrix directly
    (same draws, same result, no frame rebuilt per replicate).
    """
    if unit not in ("task", "worker"):
        raise InvalidInput(f"unit must be 'task' or 'worker', got {unit!r}")
    if metric is cohen_kappa and unit == "task" and set(metric_kwargs) <= {"weights"}:
        return _cohen_replicates(frame, n_boot, seed, metric_kwargs.get("weights"))
    from_counts = _FROM_COUNTS.get(metric)
    counts, labels = rating_counts(frame) if unit == "task" and from_counts else (None, None)
    if (
        counts is not None
        and labels is not None
        and from_counts is not None
        and len(labels) <= _COUNTS_MAX_LABELS
    ):
        n_units = counts.shape[0]
        if n_units == 0:
            return np.empty(0)
        rng = np.random.default_rng(seed)
        return np.array(
            [
                from_counts(
                    # scipy-stubs has no csr_matrix row indexing by an integer array
                    counts[rng.integers(0, n_units, n_units)],  # type: ignore[call-overload]
                    labels,
                    **metric_kwargs,
                )
                for _ in range(n_boot)
            ],
            dtype=float,
        )
    enc = encode_ratings(frame)
    group, other, other_values = (
        (enc.task_idx, enc.worker_idx, enc.workers)
        if unit == "task"
        else (enc.worker_idx, enc.task_idx, enc.tasks)
    )
    n_groups = int(group.max()) + 1 if len(group) else 0
    if n_groups == 0:
        return np.empty(0)
    order = np.argsort(group, kind="stable")
    sizes = np.bincount(group, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rng = np.random.default_rng(seed)
    keep_col = "worker" if unit == "task" else "task"
    stats = np.empty(n_boot)
    for b in range(n_boot):
        draw = rng.integers(0, n_groups, n_groups)
        lens = sizes[draw]
        out_start = np.cumsum(lens) - lens
        rows = order[np.arange(lens.sum()) - np.repeat(out_start - starts[draw], lens)]
        sample = pd.DataFrame(
            {
                unit: np.repeat(np.arange(n_groups), lens),
                keep_col: other_values[other[rows]],
                "label": enc.labels[enc.label_idx[rows]],
            }
        )
        stats[b] = metric(sample[["task", "worker", "label"]], **metric_kwargs)
    return stats


def _cohen_replicates(
    frame: pd.DataFrame, n_boot: int, seed: int | None, weights: Weights
) -> np.ndarray:
    """Cohen's kappa over task resamples from the two raters' label codes per task,
    with the draws of the general path (same seed, same replicates): each round's
    confusion matrix is one ``np.bincount``, restricted to the labels present as
    ``cohen_kappa`` would factorise them."""
    cohen_kappa(frame, weights=weights)  # the same checks (two raters, one answer each)
    enc = encode_ratings(frame)
    n_tasks = enc.n_tasks
    if n_tasks == 0:
        return np.empty(0)
    codes, uniques = _factorize(enc.labels)
    k = len(uniques)
    rater = [np.full(n_tasks, -1, dtype=np.int64) for _ in range(2)]
    for w in range(2):
        mask = enc.worker_idx == w
        rater[w][enc.task_idx[mask]] = codes[enc.label_idx[mask]]
    rng = np.random.default_rng(seed)
    stats = np.empty(n_boot)
    for r in range(n_boot):
        draw = rng.integers(0, n_tasks, n_tasks)
        a, b = rater[0][draw], rater[1][draw]
        both = (a >= 0) & (b >= 0)
        confusion = np.bincount(a[both] * k + b[both], minlength=k * k).reshape(k, k)
        present = (confusion.sum(axis=0) + confusion.sum(axis=1)) > 0
        confusion = confusion[present][:, present]
        stats[r] = (
            _kappa_from_confusion(confusion.astype(float), weights)
            if confusion.sum()
            else float("nan")
        )
    return stats


def _percentile_interval(stats: np.ndarray, alpha: float) -> tuple[float, float]:
    finite = stats[np.isfinite(stats)]
    if len(finite) == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(finite, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(low), float(high)


_COUNTS_MAX_LABELS = 2_048
# Metrics that are functions of the unit-by-label counts alone: resampling units
# is resampling rows of that matrix, so the bootstrap skips rebuilding frames.
_FROM_COUNTS: dict[Callable[..., float], Callable[..., float]] = {
    percent_agreement: _percent_from_counts,
    fleiss_kappa: _fleiss_from_counts,
    krippendorff_alpha: alpha_from_counts,
}


_RANGES: dict[str, tuple[float, float]] = {
    "percent": (0.0, 1.0),
    "cohen": (-1.0, 1.0),
    "fleiss": (-1.0, 1.0),
    "krippendorff": (-1.0, 1.0),
}


@dataclass(frozen=True)
class AgreementReport:
    """One agreement figure with its Landis-Koch band and bootstrap interval.

    ``n_pairable``: items with two or more answers (for Cohen's kappa, items both
    raters answered), the sample the figure rests on. ``unstable`` with its
    ``instability`` reasons and the ``warnings`` come from
    :mod:`labelwell.quality.sample`."""

    metric: str
    value: float
    interpretation: str
    ci_low: float
    ci_high: float
    n_units: int
    n_raters: int
    n_pairable: int = 0
    unstable: bool = False
    instability: list[str] = field(default_factory=list)
    warnings: list[SampleWarning] = field(default_factory=list)


_METRICS: dict[str, Callable[..., float]] = {
    "percent": percent_agreement,
    "cohen": cohen_kappa,
    "fleiss": fleiss_kappa,
    "krippendorff": krippendorff_alpha,
}


def n_pairable(frame: pd.DataFrame, metric: str = "krippendorff") -> int:
    """Items with two or more answers (Cohen: items both of the two raters answered)."""
    per_task = frame.groupby("task", sort=False)["worker"].nunique()
    if metric == "cohen":
        return int((per_task >= 2).sum()) if frame["worker"].nunique() == 2 else 0
    return int((per_task >= 2).sum())


def agreement_report(
    frame: pd.DataFrame,
    metric: Literal["percent", "cohen", "fleiss", "krippendorff"] = "krippendorff",
    *,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int | None = None,
    subject: str | None = None,
    **metric_kwargs: Any,
) -> AgreementReport:
    """Compute ``metric`` on ``frame`` with a bootstrap interval over tasks, the
    number of items it rests on, and the small-sample and stability warnings.

    ``metric_kwargs`` go to the metric (``level=`` for Krippendorff, ``weights=``
    for Cohen). ``n_boot=0`` skips the interval (``nan`` bounds). ``subject``
    (a control's name) prefixes the warnings.
    """
    if metric not in _METRICS:
        raise InvalidInput(f"unknown metric {metric!r}; choose one of {', '.join(_METRICS)}")
    if not 0 < alpha < 1:
        raise InvalidInput(f"alpha must be in (0, 1), got {alpha}")
    fn = _METRICS[metric]
    enc = encode_ratings(frame)
    value = fn(frame, **metric_kwargs)
    pairable = n_pairable(frame, metric)
    low, high = float("nan"), float("nan")
    reasons: list[str] = []
    if n_boot > 0:
        stats = bootstrap_replicates(fn, frame, n_boot=n_boot, seed=seed, **metric_kwargs)
        low, high = _percentile_interval(stats, alpha)
        reasons = bootstrap_instability(stats, pairable, low, high, value_range=_RANGES[metric])
    warnings = [
        w
        for w in (
            check_sample("agreement", pairable, subject),
            unstable_warning("agreement", pairable, reasons, subject),
        )
        if w is not None
    ]
    return AgreementReport(
        metric=metric,
        value=float(value),
        interpretation=interpret(value),
        ci_low=low,
        ci_high=high,
        n_units=enc.n_tasks,
        n_raters=enc.n_workers,
        n_pairable=pairable,
        unstable=bool(reasons),
        instability=reasons,
        warnings=warnings,
    )
