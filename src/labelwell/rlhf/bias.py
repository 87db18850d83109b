"""Bias audit: do annotator groups (locale, language, expertise) judge differently?

The tests are written out on arrays here (only the chi-square and normal tail
probabilities come from scipy) and checked against scipy's own in the tests:

* Preferences: Pearson's chi-square test of independence between group and
  outcome, ``X2 = sum (O - E)^2 / E`` with ``E_ij = R_i C_j / N`` and
  ``(r - 1)(c - 1)`` degrees of freedom (Agresti, *Categorical Data Analysis*,
  3rd ed., sec. 3.2.1, eq. 3.10), as ``scipy.stats.chi2_contingency(...,
  correction=False)``; effect size Cramér's V ``sqrt(X2 / (N (min(r, c) - 1)))``
  (Cramér 1946, sec. 21.9). The approximation wants expected counts of 5 or
  more (Cochran 1954); ``min_expected`` reports the smallest.
* Ratings, any number of groups: Kruskal-Wallis H on mid-ranks with the tie
  correction ``1 - sum(t^3 - t) / (N^3 - N)`` (Kruskal and Wallis 1952, eqs. 1.1
  and 1.2), as ``scipy.stats.kruskal``; effect size epsilon-squared
  ``H / (N - 1)`` (Tomczak and Tomczak 2014, eq. 3).
* Ratings, two groups: Mann-Whitney U (Mann and Whitney 1947) with the normal
  approximation, tie-corrected variance and continuity correction, as
  ``scipy.stats.mannwhitneyu(..., method="asymptotic")``; effect size the
  rank-biserial correlation ``2 U / (n1 n2) - 1`` (Kerby 2014, "simple
  difference formula"), positive when the first group rates higher.
* Several audits at once: Holm's step-down adjustment of the p-values (Holm
  1979), as ``statsmodels.stats.multitest.multipletests(method="holm")``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm, rankdata

from labelwell.errors import InvalidInput

RATING_TESTS = ("kruskal", "mannwhitney", "auto")


@dataclass(frozen=True, slots=True)
class TestResult:
    statistic: float
    p_value: float
    dof: int
    effect_size: float


@dataclass(frozen=True, slots=True)
class AuditResult:
    """``table``: counts (preferences) or summary statistics (ratings) by group;
    ``test``: which test; ``significant``: ``p_value < alpha``."""

    group: str
    table: pd.DataFrame
    test: str
    statistic: float
    p_value: float
    dof: int
    effect_size: float
    alpha: float
    min_expected: float | None = None

    @property
    def significant(self) -> bool:
        return bool(self.p_value < self.alpha)


def chi_square_independence(table: np.ndarray) -> TestResult:
    """Pearson's chi-square test on an ``r x c`` table of counts (no empty row or
    column); effect size Cramér's V."""
    observed = np.asarray(table, dtype=float)
    if observed.ndim != 2 or min(observed.shape) < 2:
        raise InvalidInput("a contingency table needs at least 2 rows and 2 columns")
    rows, cols = observed.sum(axis=1), observed.sum(axis=0)
    if (rows == 0).any() or (cols == 0).any():
        raise InvalidInput("a contingency table cannot have an empty row or column")
    n = observed.sum()
    expected = np.outer(rows, cols) / n
    stat = float(((observed - expected) ** 2 / expected).sum())
    dof = (observed.shape[0] - 1) * (observed.shape[1] - 1)
    v = float(np.sqrt(stat / (n * (min(observed.shape) - 1))))
    return TestResult(stat, float(chi2.sf(stat, dof)), dof, v)


def _tie_sum(values: np.ndarray) -> float:
    _, counts = np.unique(values, return_counts=True)
    t = counts.astype(float)
    return float((t**3 - t).sum())


def kruskal_wallis(values: np.ndarray, groups: np.ndarray) -> TestResult:
    """Kruskal-Wallis H of ``values`` split by ``groups`` (labels, one per value)."""
    x = np.asarray(values, dtype=float)
    _, g = np.unique(np.asarray(groups), return_inverse=True)
    n, k = len(x), int(g.max()) + 1 if len(g) else 0
    if k < 2:
        raise InvalidInput("Kruskal-Wallis needs at least two groups")
    ranks = rankdata(x)
    sizes = np.bincount(g, minlength=k).astype(float)
    rank_sums = np.bincount(g, weights=ranks, minlength=k)
    h = 12.0 / (n * (n + 1)) * float((rank_sums**2 / sizes).sum()) - 3.0 * (n + 1)
    ties = 1.0 - _tie_sum(x) / (n**3 - n)
    if ties == 0:
        raise InvalidInput("all values are equal; nothing to test")
    h /= ties
    return TestResult(h, float(chi2.sf(h, k - 1)), k - 1, h / (n - 1))


def mann_whitney(x: np.ndarray, y: np.ndarray) -> TestResult:
    """Two-sided Mann-Whitney U of ``x`` against ``y`` (normal approximation);
    ``statistic`` is ``U`` of ``x``, ``dof`` is 1 by convention."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n1, n2 = len(a), len(b)
    if not n1 or not n2:
        raise InvalidInput("Mann-Whitney needs values in both groups")
    both = np.concatenate([a, b])
    n = n1 + n2
    u1 = float(rankdata(both)[:n1].sum()) - n1 * (n1 + 1) / 2
    mean = n1 * n2 / 2
    var = n1 * n2 / 12 * ((n + 1) - _tie_sum(both) / (n * (n - 1)))
    if var <= 0:
        raise InvalidInput("all values are equal; nothing to test")
    z = (max(u1, n1 * n2 - u1) - mean - 0.5) / np.sqrt(var)
    p = float(np.clip(2 * norm.sf(z), 0.0, 1.0))
    return TestResult(u1, p, 1, 2 * u1 / (n1 * n2) - 1)


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values, in the input order."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out


def _check(frame: pd.DataFrame, group: str, value: str) -> pd.DataFrame:
    missing = {group, value} - set(frame.columns)
    if missing:
        raise InvalidInput(f"audit frame lacks columns: {sorted(missing)}")
    data = frame[[group, value]].dropna()
    if data[group].nunique() < 2:
        raise InvalidInput(f"need at least two {group} groups to compare", field=group)
    return data


def audit_preferences(
    judgments: pd.DataFrame, group: str, *, outcome: str = "outcome", alpha: float = 0.05
) -> AuditResult:
    """Outcome distribution (``a``/``b``/``tie``/``both_bad`` or any categories) by
    annotator ``group``, tested with the chi-square test of independence."""
    data = _check(judgments, group, outcome)
    table = pd.crosstab(data[group], data[outcome])
    if table.shape[1] < 2:
        raise InvalidInput("all judgments have one outcome; nothing to test", field=outcome)
    res = chi_square_independence(table.to_numpy())
    counts = table.to_numpy(dtype=float)
    min_expected = float((np.outer(counts.sum(1), counts.sum(0)) / counts.sum()).min())
    return AuditResult(
        group, table, "chi2", res.statistic, res.p_value, res.dof, res.effect_size, alpha,
        min_expected,
    )  # fmt: skip


def audit_ratings(
    ratings: pd.DataFrame,
    group: str,
    *,
    rating: str = "rating",
    alpha: float = 0.05,
    method: str = "kruskal",
) -> AuditResult:
    """Rating distribution by annotator ``group``, tested with Kruskal-Wallis H, or
    Mann-Whitney U between exactly two groups (``method="auto"`` picks it when
    there are two)."""
    if method not in RATING_TESTS:
        raise InvalidInput(f"method: one of {', '.join(RATING_TESTS)}", field="method")
    data = _check(ratings, group, rating)
    if np.unique(data[rating]).size < 2:
        raise InvalidInput("all ratings are equal; nothing to test", field=rating)
    table = data.groupby(group, sort=True)[rating].agg(["count", "mean", "median", "std"])
    if method == "auto":
        method = "mannwhitney" if len(table) == 2 else "kruskal"
    values = data[rating].to_numpy(dtype=float)
    labels = data[group].to_numpy()
    if method == "mannwhitney":
        if len(table) != 2:
            raise InvalidInput(
                f"method: Mann-Whitney compares two groups, found {len(table)}", field="method"
            )
        first = labels == table.index[0]
        res = mann_whitney(values[first], values[~first])
    else:
        res = kruskal_wallis(values, labels)
    return AuditResult(
        group, table, method, res.statistic, res.p_value, res.dof, res.effect_size, alpha
    )
