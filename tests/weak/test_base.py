"""What the label models share (labelwell.weak._base)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

from labelwell.errors import InvalidInput
from labelwell.weak import (
    ClassConditionalLabelModel,
    LabelModel,
    MajorityLabelVoter,
    WeightedMajorityVoter,
)
from labelwell.weak._base import normalize_columns

MODELS = (LabelModel, ClassConditionalLabelModel)


def votes(n: int = 400, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    right = rng.random((n, 4)) < np.array([0.9, 0.8, 0.7, 0.65])
    L = np.where(right, y[:, None], 1 - y[:, None])
    return np.where(rng.random((n, 4)) < 0.3, -1, L)


def test_normalize_columns_gives_posteriors_and_the_log_normaliser():
    scores = np.array([[0.0, -2.0, 700.0], [np.log(3.0), -2.0, 699.0]])
    expected = logsumexp(scores, axis=0)
    log_norm = normalize_columns(scores)
    np.testing.assert_allclose(log_norm, expected)
    np.testing.assert_allclose(scores[:, 0], [0.25, 0.75])
    np.testing.assert_allclose(scores[:, 1], [0.5, 0.5])
    np.testing.assert_allclose(scores.sum(axis=0), 1.0)


@pytest.mark.parametrize("model", MODELS)
def test_every_label_model_checks_its_input_the_same_way(model):
    L = votes()
    with pytest.raises(InvalidInput, match=f"{model.__name__} is not fitted"):
        model(2).predict_proba(L)
    with pytest.raises(InvalidInput, match="class_balance must be 2 positive numbers"):
        model(2).fit(L, class_balance=np.array([0.7, 0.7]))
    fitted = model(2).fit(L)
    with pytest.raises(InvalidInput, match="L has 3 LFs, the model was fitted on 4"):
        fitted.predict(L[:, :3])
    np.testing.assert_array_equal(model(2).fit_predict(L), fitted.predict(L))
    np.testing.assert_allclose(model(2).fit_predict_proba(L), fitted.predict_proba(L))


@pytest.mark.parametrize(
    "model", (LabelModel, ClassConditionalLabelModel, MajorityLabelVoter, WeightedMajorityVoter)
)
def test_every_model_over_L_checks_its_cardinality(model):
    with pytest.raises(InvalidInput, match="cardinality must be at least 2, got 1"):
        model(1)
    assert model(3).cardinality == 3
