from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, kruskal

from labelwell.errors import InvalidInput
from labelwell.rlhf.bias import audit_preferences, audit_ratings


def test_preference_audit_detects_group_difference():
    rng = np.random.default_rng(0)
    en = rng.choice(["a", "b", "tie", "both_bad"], 300, p=[0.5, 0.3, 0.1, 0.1])
    de = rng.choice(["a", "b", "tie", "both_bad"], 300, p=[0.3, 0.5, 0.1, 0.1])
    df = pd.DataFrame({"locale": ["en"] * 300 + ["de"] * 300, "outcome": np.r_[en, de]})
    res = audit_preferences(df, "locale")
    ref = chi2_contingency(pd.crosstab(df.locale, df.outcome).to_numpy(), correction=False)
    assert res.statistic == pytest.approx(ref[0])
    assert res.p_value == pytest.approx(ref[1])
    assert res.dof == 3 and res.significant
    assert res.table.loc["en"].sum() == 300
    assert 0 < res.effect_size < 1


def test_preference_audit_same_distribution_not_significant():
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "expertise": rng.choice(["novice", "expert"], 400),
            "outcome": rng.choice(["a", "b", "tie"], 400),
        }
    )
    assert not audit_preferences(df, "expertise").significant


def test_rating_audit_matches_scipy():
    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {
            "language": np.repeat(["en", "fr", "ja"], 50),
            "rating": np.r_[rng.integers(1, 6, 50), rng.integers(2, 6, 50), rng.integers(1, 4, 50)],
        }
    )
    res = audit_ratings(df, "language")
    ref = kruskal(*[g.rating for _, g in df.groupby("language")])
    assert res.statistic == pytest.approx(ref.statistic)
    assert res.p_value == pytest.approx(ref.pvalue)
    assert res.dof == 2 and res.significant
    assert list(res.table.index) == ["en", "fr", "ja"]


def test_audit_needs_two_groups():
    with pytest.raises(InvalidInput, match="two"):
        audit_ratings(pd.DataFrame({"g": ["x", "x"], "rating": [1, 2]}), "g")
