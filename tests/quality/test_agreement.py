import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from labelwell.errors import InvalidInput
from labelwell.quality.agreement import (
    AgreementReport,
    agreement_report,
    bootstrap_ci,
    cohen_kappa,
    fleiss_kappa,
    interpret,
    krippendorff_alpha,
    per_label_agreement,
    percent_agreement,
)
from quality.crowd_data import CROWD

# Fleiss (1971), Table 1 as raw ratings: 30 patients, 6 psychiatrists, 5 diagnoses
# (the `diagnoses` data of R's irr package). Published kappa: .430.
DIAGNOSES = np.array(
    [
        [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
    ]
)  # fmt: skip


def long_frame(matrix: np.ndarray) -> pd.DataFrame:
    """``units x raters`` matrix (NaN = missing) -> long ``task, worker, label`` frame."""
    units, raters = np.nonzero(pd.notna(matrix))
    return pd.DataFrame(
        {"task": units, "worker": [f"w{r}" for r in raters], "label": matrix[units, raters]}
    )


def test_fleiss_1971_worked_example():
    frame = long_frame(DIAGNOSES)
    assert round(fleiss_kappa(frame), 3) == 0.430
    assert fleiss_kappa(frame) == pytest.approx(0.4302445, abs=1e-7)
    assert fleiss_kappa(DIAGNOSES.T) == pytest.approx(fleiss_kappa(frame), abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fleiss_equals_statsmodels(seed):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 4 + seed, size=(150, 5 + seed))
    agree = rng.random(150) < 0.5
    data[agree] = data[agree][:, :1]  # some units with full agreement
    table, _ = aggregate_raters(data)
    expected = sm_fleiss_kappa(table, method="fleiss")
    assert fleiss_kappa(long_frame(data)) == pytest.approx(expected, abs=1e-9)


def test_fleiss_string_labels_and_per_label_weighted_mean():
    names = np.array(["depression", "personality", "schizophrenia", "neurosis", "other"])
    frame = long_frame(names[DIAGNOSES - 1])
    assert fleiss_kappa(frame) == pytest.approx(0.4302445, abs=1e-7)
    table = per_label_agreement(frame)
    assert set(table["label"]) == set(names)
    pq = table["prevalence"] * (1 - table["prevalence"])
    assert (pq * table["kappa"]).sum() / pq.sum() == pytest.approx(fleiss_kappa(frame), abs=1e-12)
    # Fleiss (1971), per-category kappas: .245, .245, .520, .471, .566
    published = {"depression": 0.245, "personality": 0.245, "schizophrenia": 0.520}
    published |= {"neurosis": 0.471, "other": 0.566}
    got = table.set_index("label")["kappa"]
    for label, kappa in published.items():
        assert got[label] == pytest.approx(kappa, abs=5e-4)


def test_fleiss_with_missing_ratings_skips_single_rated_units():
    frame = pd.DataFrame(
        {
            "task": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4],
            "worker": ["a", "b", "c"] * 3 + ["a"],
            "label": ["x", "x", "y", "y", "y", "y", "x", "y", "x", "y"],
        }
    )
    full = fleiss_kappa(frame[frame["task"] != 4])
    assert fleiss_kappa(frame) == pytest.approx(full)
    assert percent_agreement(frame) == pytest.approx((1 / 3 + 1 + 1 / 3) / 3)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_cohen_equals_sklearn(weights, seed):
    rng = np.random.default_rng(seed)
    y1 = rng.integers(0, 5, 300)
    y2 = np.where(rng.random(300) < 0.6, y1, rng.integers(0, 5, 300))
    expected = cohen_kappa_score(y1, y2, weights=weights)
    assert cohen_kappa(y1, y2, weights=weights) == pytest.approx(expected, abs=1e-9)
    frame = long_frame(np.column_stack([y1, y2]).astype(float))
    assert cohen_kappa(frame, weights=weights) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_with_missing_uses_units_rated_by_both(weights):
    rng = np.random.default_rng(7)
    y = rng.integers(1, 6, size=(400, 3)).astype(float)
    y[rng.random((400, 3)) < 0.25] = np.nan
    frame = long_frame(y)
    both = ~np.isnan(y[:, 0]) & ~np.isnan(y[:, 2])
    expected = cohen_kappa_score(y[both, 0], y[both, 2], weights=weights)
    got = cohen_kappa(frame, weights=weights, raters=("w0", "w2"))
    assert got == pytest.approx(expected, abs=1e-9)
    assert cohen_kappa(y[:, 0], y[:, 2], weights=weights) == pytest.approx(expected, abs=1e-9)


def test_cohen_string_labels_and_errors():
    a = ["cat", "dog", "dog", "cat", "bird", "dog"]
    b = ["cat", "dog", "cat", "cat", "bird", "bird"]
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    with pytest.raises(InvalidInput, match="two raters"):
        cohen_kappa(long_frame(DIAGNOSES))
    with pytest.raises(InvalidInput, match="weights"):
        cohen_kappa(a, b, weights="cubic")


def test_percent_agreement_two_raters_is_share_of_equal_labels():
    a = np.array([1, 2, 3, 1, 2])
    b = np.array([1, 2, 1, 1, 3])
    assert percent_agreement(np.vstack([a, b])) == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (-0.1, "poor"),
        (0.0, "slight"),
        (0.2, "slight"),
        (0.21, "fair"),
        (0.40, "fair"),
        (0.5, "moderate"),
        (0.61, "substantial"),
        (0.80, "substantial"),
        (0.81, "almost perfect"),
        (1.0, "almost perfect"),
        (float("nan"), "undefined"),
    ],
)
def test_interpret_landis_koch(value, band):
    assert interpret(value) == band


def test_bootstrap_ci_brackets_value_and_is_seeded():
    frame = long_frame(DIAGNOSES)
    low, high = bootstrap_ci(fleiss_kappa, frame, n_boot=300, seed=1)
    assert low < fleiss_kappa(frame) < high
    assert (low, high) == bootstrap_ci(fleiss_kappa, frame, n_boot=300, seed=1)
    wide = bootstrap_ci(fleiss_kappa, frame, n_boot=300, alpha=0.01, seed=1)
    assert wide[0] <= low and wide[1] >= high
    by_worker = bootstrap_ci(fleiss_kappa, frame, n_boot=100, seed=1, unit="worker")
    assert by_worker[0] <= by_worker[1]


def test_bootstrap_resampled_units_stay_distinct():
    # perfect agreement on every unit: every replicate must be exactly 1
    frame = long_frame(np.repeat(np.arange(20)[:, None] % 3, 4, axis=1).astype(float))
    assert bootstrap_ci(percent_agreement, frame, n_boot=50, seed=0) == (1.0, 1.0)


def test_agreement_report():
    frame = long_frame(DIAGNOSES)
    report = agreement_report(frame, "fleiss", n_boot=200, seed=3)
    assert isinstance(report, AgreementReport)
    assert report.value == pytest.approx(0.4302445, abs=1e-7)
    assert report.interpretation == "moderate"
    assert report.ci_low < report.value < report.ci_high
    assert (report.n_units, report.n_raters) == (30, 6)
    ordinal = agreement_report(frame, "krippendorff", n_boot=0, level="ordinal")
    assert np.isnan(ordinal.ci_low) and np.isnan(ordinal.ci_high)
    assert ordinal.value == pytest.approx(
        krippendorff.alpha(DIAGNOSES.T, level_of_measurement="ordinal")
    )


@pytest.mark.parametrize(
    ("metric", "kwargs"),
    [
        (fleiss_kappa, {}),
        (percent_agreement, {}),
        (krippendorff_alpha, {"level": "ordinal"}),
    ],
)
def test_bootstrap_count_path_equals_frame_path(metric, kwargs):
    rng = np.random.default_rng(4)
    data = rng.integers(1, 5, size=(40, 4)).astype(float)
    data[rng.random(data.shape) < 0.2] = np.nan
    frame = long_frame(data)
    fast = bootstrap_ci(metric, frame, n_boot=60, seed=9, **kwargs)
    generic = bootstrap_ci(lambda f, **kw: metric(f, **kw), frame, n_boot=60, seed=9, **kwargs)
    assert fast == pytest.approx(generic, abs=1e-12)


@pytest.mark.skipif(not CROWD.is_dir(), reason=f"real crowd datasets not found at {CROWD}")
@pytest.mark.parametrize("name", ["bluebird", "rte"])
def test_real_crowd_data_equals_references(name):
    answers = pd.read_csv(CROWD / name / "answers.csv", dtype=str)
    matrix = answers.pivot(index="worker", columns="task", values="label")
    reliability = matrix.to_numpy(dtype=float)  # labels are "0"/"1"
    for level in ("nominal", "interval"):
        expected = krippendorff.alpha(reliability_data=reliability, level_of_measurement=level)
        got = krippendorff_alpha(answers.assign(label=answers["label"].astype(float)), level)
        assert got == pytest.approx(expected, abs=1e-9)
    if name == "bluebird":  # every worker labelled every task
        table, _ = aggregate_raters(reliability.T.astype(int))
        assert fleiss_kappa(answers) == pytest.approx(sm_fleiss_kappa(table), abs=1e-9)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_explicit_label_order_equals_sklearn(weights):
    rng = np.random.default_rng(11)
    y1 = rng.choice(["low", "mid", "high", "n/a"], 200)
    y2 = np.where(rng.random(200) < 0.5, y1, rng.choice(["low", "mid", "high"], 200))
    order = ["low", "mid", "high"]  # "n/a" answers drop out
    expected = cohen_kappa_score(y1, y2, labels=order, weights=weights)
    assert cohen_kappa(y1, y2, labels=order, weights=weights) == pytest.approx(expected, abs=1e-9)
