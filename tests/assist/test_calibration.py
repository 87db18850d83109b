import numpy as np
import pytest
import statsmodels.api as sm
from scipy.special import softmax
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression

from labelwell.assist.calibration import (
    TemperatureScaling,
    expected_calibration_error,
    negative_log_likelihood,
)
from labelwell.errors import InvalidInput


def _overconfident(n, k=4, sharpen=3.0, seed=0):
    """Labels drawn from softmax(z); the 'model' reports softmax(sharpen * z)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, k)) * 1.5
    true_p = softmax(z, axis=1)
    y = (rng.random(n)[:, None] > np.cumsum(true_p, axis=1)).sum(axis=1)
    return sharpen * z, y


def test_ece_by_hand():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.25, 0.75], [0.45, 0.55]])
    y = np.array([0, 1, 1, 0])
    # bins of width 1/15: (0.8667, 0.9333] holds .9 (correct); (0.7333, 0.8] holds
    # .8 (wrong) and .75 (correct); (0.5333, 0.6] holds .55 (wrong)
    expected = (abs(1 - 0.9) + abs(1 - (0.8 + 0.75)) + abs(0 - 0.55)) / 4
    assert expected_calibration_error(probs, y) == pytest.approx(expected)


def test_ece_matches_sklearn_calibration_curve():
    logits, y = _overconfident(3000, seed=1)
    p = softmax(logits, axis=1)
    conf, correct = p.max(axis=1), (p.argmax(axis=1) == y).astype(int)
    prob_true, prob_pred = calibration_curve(correct, conf, n_bins=15, strategy="uniform")
    ids = np.searchsorted(np.linspace(0, 1, 16)[1:-1], conf)
    counts = np.bincount(ids, minlength=15)
    counts = counts[counts > 0]
    reference = float((counts * np.abs(prob_true - prob_pred)).sum() / counts.sum())
    assert expected_calibration_error(p, y) == pytest.approx(reference, abs=1e-12)


def test_temperature_scaling_fixes_overconfidence():
    logits, y = _overconfident(4000, sharpen=3.0, seed=2)
    cal, held = slice(0, 2000), slice(2000, None)
    ts = TemperatureScaling().fit(logits[cal], y[cal])
    assert ts.temperature_ == pytest.approx(3.0, rel=0.15)
    assert ts.nll_after_ < ts.nll_before_
    before = softmax(logits[held], axis=1)
    after = ts.predict_proba(logits[held])
    assert negative_log_likelihood(after, y[held]) < negative_log_likelihood(before, y[held])
    ece_before = expected_calibration_error(before, y[held])
    ece_after = expected_calibration_error(after, y[held])
    assert ece_after < ece_before / 2
    # temperature never changes the predicted class
    assert np.array_equal(after.argmax(axis=1), before.argmax(axis=1))


def test_temperature_from_probabilities_equals_from_logits():
    logits, y = _overconfident(1000, seed=3)
    a = TemperatureScaling().fit(logits, y).temperature_
    b = TemperatureScaling().fit(softmax(logits, axis=1), y, from_probs=True).temperature_
    assert a == pytest.approx(b, rel=1e-3)


def test_binary_temperature_matches_logistic_regression_without_intercept():
    # binary: softmax([0, z] / T) = sigmoid(z / T), a logistic regression on z
    # with no intercept and coefficient 1 / T
    rng = np.random.default_rng(4)
    z = rng.standard_normal(3000) * 4
    y = (rng.random(3000) < 1 / (1 + np.exp(-z / 2.5))).astype(int)
    ts = TemperatureScaling().fit(np.column_stack([np.zeros_like(z), z]), y)
    coef = LogisticRegression(penalty=None, fit_intercept=False).fit(z[:, None], y).coef_[0, 0]
    sm_coef = sm.Logit(y, z[:, None]).fit(disp=0).params[0]
    assert 1 / ts.temperature_ == pytest.approx(coef, rel=1e-4)
    assert 1 / ts.temperature_ == pytest.approx(sm_coef, rel=1e-4)


def test_inputs_are_checked():
    with pytest.raises(InvalidInput):
        expected_calibration_error(np.array([[0.5, 0.5]]), np.array([2]))
    with pytest.raises(InvalidInput, match="call fit"):
        TemperatureScaling().predict_proba(np.zeros((1, 2)))


def test_uninformative_scores_push_temperature_to_its_bound():
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((500, 3)) * 4
    y = rng.integers(3, size=500)
    ts = TemperatureScaling(bounds=(0.05, 20.0)).fit(logits, y)
    # labels ignore the scores: the flattest allowed distribution is best
    assert ts.temperature_ == pytest.approx(20.0)
    assert ts.nll_after_ < ts.nll_before_


def test_ece_bootstrap_is_bounded_and_matches_the_point_estimate():
    from labelwell.assist.calibration import ece_bootstrap

    rng = np.random.default_rng(0)
    probs = softmax(rng.normal(size=(400, 3)) * 2, axis=1)
    labels = rng.integers(0, 3, 400)
    low, high, reps = ece_bootstrap(probs, labels, n_boot=500, seed=1)
    assert reps.shape == (500,) and 0.0 <= low < high <= 1.0
    assert low <= expected_calibration_error(probs, labels) <= high
    idx = np.random.default_rng(1).integers(0, 400, size=(500, 400))[7]
    assert reps[7] == pytest.approx(expected_calibration_error(probs[idx], labels[idx]))


def test_calibration_on_one_item_warns():
    from assist.test_platform_assist import BagOfWords
    from labelwell.work.assist.training import fit_calibrated

    texts = ["spam buy now", "hello friend", "buy cheap", "see you soon", "cheap pills"]
    labels = ["spam", "ham", "spam", "ham", "spam"]
    report = fit_calibrated(BagOfWords(), texts, labels, heldout=0.2, seed=0)
    assert report.n_heldout == 1
    assert report.ece_unstable and 0.0 <= report.ece_ci_low <= report.ece_ci_high <= 1.0
    (small, unstable) = report.warnings
    assert small.kind == "small_sample" and small.n == 1 and small.minimum == 100
    assert "calibration error (ECE) from 1 held-out items (fewer than 100)" in small.message
    assert unstable.kind == "unstable_interval" and "few_resamples" in unstable.reasons
