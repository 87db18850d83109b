"""Small samples: minimums, warnings in both languages, and unstable bootstraps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelwell.quality.agreement import agreement_report
from labelwell.quality.gold import gold_accuracy
from labelwell.quality.sample import (
    MINIMUMS,
    bootstrap_instability,
    check_sample,
    distinct_resamples,
    unstable_warning,
)


def test_every_statistic_has_a_documented_minimum():
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "quality.md").read_text()
    section = doc[doc.index("## Small samples") :]
    for name, rule in MINIMUMS.items():
        assert f"`{name}`" in section and f"| {rule.n} |" in section


def test_warning_under_the_minimum_only_in_english_and_korean():
    assert check_sample("gold_accuracy", 10, "ann") is None
    w = check_sample("gold_accuracy", 2, "ann")
    assert w is not None and w.kind == "small_sample" and (w.n, w.minimum) == (2, 10)
    assert w.message.startswith("ann: gold accuracy from 2 gold items (fewer than 10)")
    assert "골드" in w.message_ko and "2" in w.message_ko
    assert unstable_warning("agreement", 5, []) is None
    u = unstable_warning("agreement", 5, ["few_resamples"])
    assert u is not None and u.reasons == ["few_resamples"] and "unstable" in u.message


def test_distinct_resamples():
    assert [distinct_resamples(n) for n in (1, 2, 3, 5, 10)] == [1, 3, 10, 126, 92378]


def test_bootstrap_instability_reasons():
    rng = np.random.default_rng(0)
    assert (
        bootstrap_instability(rng.normal(0.5, 0.05, 1000), 200, 0.4, 0.6, value_range=(0, 1)) == []
    )
    assert bootstrap_instability(rng.normal(0.5, 0.05, 1000), 5, 0.4, 0.6) == ["few_resamples"]
    assert "degenerate" in bootstrap_instability(np.ones(1000), 200, 1.0, 1.0)
    half_nan = np.where(np.arange(1000) % 2 == 0, np.nan, rng.random(1000))
    assert "degenerate" in bootstrap_instability(half_nan, 200, 0.1, 0.9)
    assert bootstrap_instability(rng.random(1000), 200, 0.0, 0.9, value_range=(0, 1)) == [
        "too_wide"
    ]
    assert bootstrap_instability(rng.random(50), 200, 0.4, 0.6) == ["few_rounds"]


@pytest.mark.parametrize("metric", ["percent", "cohen", "fleiss", "krippendorff"])
def test_agreement_on_three_items_warns_and_stays_in_range(metric):
    frame = pd.DataFrame(
        {
            "task": [1, 1, 2, 2, 3, 3],
            "worker": ["a", "b"] * 3,
            "label": ["x", "x", "y", "x", "y", "y"],
        }
    )
    found = agreement_report(frame, metric, n_boot=500, seed=0, subject="sentiment")
    assert found.n_pairable == 3
    kinds = {w.kind for w in found.warnings}
    assert kinds == {"small_sample", "unstable_interval"}
    assert found.unstable and "few_resamples" in found.instability
    assert all(w.subject == "sentiment" for w in found.warnings)
    assert np.isfinite([found.ci_low, found.ci_high]).all()
    assert -1.0 <= found.ci_low <= found.ci_high <= 1.0


def test_agreement_on_enough_items_is_quiet():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 3, 300)
    rows = []
    for t, z in enumerate(truth):
        for w in range(3):
            rows.append((t, w, int(z) if rng.random() < 0.8 else int(rng.integers(0, 3))))
    frame = pd.DataFrame(rows, columns=["task", "worker", "label"])
    found = agreement_report(frame, "krippendorff", n_boot=300, seed=0)
    assert found.n_pairable == 300 and found.warnings == [] and not found.unstable
    assert found.ci_low < found.value < found.ci_high


def test_gold_accuracy_on_two_items_is_flagged_small_and_bounded():
    frame = pd.DataFrame({"task": [1, 2], "worker": ["a", "a"], "label": ["x", "x"]})
    table = gold_accuracy(frame, {1: "x", 2: "x"})
    row = table.loc["a"]
    assert row.n_gold == 2 and bool(row.small_sample)
    assert 0.0 <= row.ci_low <= row.accuracy <= row.ci_high <= 1.0
    assert row.ci_low == pytest.approx(2 / (2 + 1.959963984540054**2))


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_bootstrap_fast_path_equals_resampling_frames(weights):
    from labelwell.quality.agreement import bootstrap_replicates, cohen_kappa

    rng = np.random.default_rng(3)
    n = 40
    first = rng.choice([1, 2, 3, 4, 5], n, p=[0.4, 0.3, 0.2, 0.07, 0.03])
    second = np.where(rng.random(n) < 0.7, first, rng.integers(1, 6, n))
    frame = pd.DataFrame(
        {
            "task": np.concatenate([np.arange(n), np.arange(n)]),
            "worker": ["a"] * n + ["b"] * n,
            "label": np.concatenate([first, second]),
        }
    ).iloc[:-3]  # three tasks rated by one rater only

    def by_frames(f, **kw):
        return cohen_kappa(f, **kw)

    fast = bootstrap_replicates(cohen_kappa, frame, 200, 5, weights=weights)
    slow = bootstrap_replicates(by_frames, frame, 200, 5, weights=weights)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=0, equal_nan=True)
