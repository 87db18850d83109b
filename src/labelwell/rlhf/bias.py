"""Bias audit: do annotator groups (locale, language, expertise) judge differently?

* Preferences: Pearson's chi-square test of independence between group and
  outcome on the contingency table (Agresti, *Categorical Data Analysis*, 3rd ed.,
  sec. 3.2.1, eq. 3.10), via :func:`scipy.stats.chi2_contingency`, with
  Cramér's V as the effect size (``sqrt(chi2 / (n * (min(r, c) - 1)))``).
* Ratings: Kruskal-Wallis H test of equal distributions across groups
  (Kruskal and Wallis 1952, eq. 1.1, tie-corrected), via
  :func:`scipy.stats.kruskal`, with epsilon-squared ``H / (n - 1)`` as effect size
  (Tomczak and Tomczak 2014, eq. 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, kruskal

from labelwell.errors import InvalidInput


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

    @property
    def significant(self) -> bool:
        return bool(self.p_value < self.alpha)


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
    table = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        raise InvalidInput("all judgments have one outcome; nothing to test", field=outcome)
    chi2, p, dof, _ = chi2_contingency(table.to_numpy(), correction=False)
    n = table.to_numpy().sum()
    v = float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))
    return AuditResult(group, table, "chi2", float(chi2), float(p), int(dof), v, alpha)


def audit_ratings(
    ratings: pd.DataFrame, group: str, *, rating: str = "rating", alpha: float = 0.05
) -> AuditResult:
    """Rating distribution by annotator ``group``, tested with Kruskal-Wallis H."""
    data = _check(ratings, group, rating)
    samples = [g[rating].to_numpy(dtype=float) for _, g in data.groupby(group, sort=True)]
    if np.unique(data[rating]).size < 2:
        raise InvalidInput("all ratings are equal; nothing to test", field=rating)
    h, p = kruskal(*samples)
    table = data.groupby(group, sort=True)[rating].agg(["count", "mean", "median", "std"])
    n = len(data)
    return AuditResult(
        group, table, "kruskal", float(h), float(p), len(samples) - 1, float(h / (n - 1)), alpha
    )
