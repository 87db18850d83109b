"""The bias audit's tests, written out on arrays, against scipy and statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from labelwell.errors import InvalidInput
from labelwell.rlhf.bias import (
    audit_preferences,
    audit_ratings,
    chi_square_independence,
    holm,
    kruskal_wallis,
    mann_whitney,
)


@pytest.mark.parametrize("seed", range(5))
def test_chi_square_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    table = rng.integers(1, 40, size=(int(rng.integers(2, 5)), int(rng.integers(2, 6))))
    ours = chi_square_independence(table)
    ref = stats.chi2_contingency(table, correction=False)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert ours.dof == ref.dof
    assert ours.effect_size == pytest.approx(
        stats.contingency.association(table, method="cramer", correction=False)
    )


@pytest.mark.parametrize("seed", range(5))
def test_kruskal_wallis_matches_scipy_with_ties(seed):
    rng = np.random.default_rng(seed)
    groups = rng.choice(["en", "de", "ja", "fr"][: int(rng.integers(2, 5))], 120)
    values = rng.integers(1, 6, 120)  # a 1-5 scale: many ties
    ours = kruskal_wallis(values, groups)
    ref = stats.kruskal(*[values[groups == g] for g in np.unique(groups)])
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_mann_whitney_matches_scipy_asymptotic(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.integers(1, 8, 37), rng.integers(2, 8, 23)
    ours = mann_whitney(x, y)
    ref = stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=True)
    assert ours.statistic == pytest.approx(ref.statistic)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    # rank-biserial: the share of (x, y) pairs where x wins, minus where y wins
    diff = np.sign(x[:, None] - y[None, :])
    assert ours.effect_size == pytest.approx(diff.mean())


def test_holm_matches_statsmodels():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.2, 0.04])
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1])


def test_rating_audit_picks_mann_whitney_for_two_groups():
    df = pd.DataFrame(
        {"locale": ["en"] * 6 + ["de"] * 6, "rating": [5, 5, 4, 5, 4, 5, 2, 3, 2, 1, 2, 3]}
    )
    res = audit_ratings(df, "locale", method="auto")
    assert res.test == "mannwhitney" and res.significant
    assert res.effect_size == pytest.approx(-1.0)  # "de" (first by name) always rates lower
    with pytest.raises(InvalidInput) as info:
        audit_ratings(df.assign(locale=["en", "de", "ja"] * 4), "locale", method="mannwhitney")
    assert info.value.field == "method"


def test_preference_audit_reports_the_smallest_expected_count():
    df = pd.DataFrame(
        {"g": ["x"] * 10 + ["y"] * 10, "outcome": ["a"] * 9 + ["b"] + ["a"] * 2 + ["b"] * 8}
    )
    res = audit_preferences(df, "g")
    assert res.min_expected == pytest.approx(4.5)
    assert res.significant


def test_constant_values_are_refused():
    with pytest.raises(InvalidInput, match="equal"):
        kruskal_wallis(np.ones(6), np.array(["a", "b"] * 3))
    with pytest.raises(InvalidInput, match="empty"):
        chi_square_independence(np.array([[1, 0], [2, 0]]))
