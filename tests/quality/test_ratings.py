import numpy as np
import pandas as pd
import pytest

from labelwell.errors import InvalidInput
from labelwell.quality.ratings import (
    BiasCorrectedMean,
    bias_corrected_mean,
    mean_rating,
    median_rating,
)

RATINGS = pd.DataFrame(
    {
        "task": ["t1", "t1", "t1", "t2", "t2"],
        "worker": ["a", "b", "c", "a", "b"],
        "label": [4, 2, 3, 5, 1],
    }
)


def test_mean_and_median():
    assert mean_rating(RATINGS).to_dict() == {"t1": 3.0, "t2": 3.0}
    assert median_rating(RATINGS).to_dict() == {"t1": 3.0, "t2": 3.0}
    strings = RATINGS.assign(label=RATINGS["label"].astype(str))
    assert mean_rating(strings)["t1"] == 3.0
    with pytest.raises(InvalidInput, match="row 1"):
        mean_rating(RATINGS.assign(label=["4", "good", "3", "5", "1"]))


def test_bias_correction_recovers_true_scores():
    rng = np.random.default_rng(0)
    quality = rng.uniform(1, 5, 60)
    bias = {"lenient": 1.0, "harsh": -1.0, "fair": 0.0}
    rows = []
    for t, q in enumerate(quality):
        # the lenient annotator sees only the first half, the harsh one the second
        for w in ("fair", "lenient" if t < 30 else "harsh"):
            rows.append((t, w, q + bias[w] + rng.normal(0, 0.05)))
    data = pd.DataFrame(rows, columns=["task", "worker", "label"])
    plain = mean_rating(data).to_numpy()
    model = BiasCorrectedMean(shrinkage=0.0).fit(data)
    corrected = model.ratings_.to_numpy()
    assert np.abs(corrected - quality).mean() < np.abs(plain - quality).mean() / 5
    assert model.biases_["lenient"] - model.biases_["harsh"] == pytest.approx(2.0, abs=0.05)
    assert model.biases_.sum() == pytest.approx(0.0, abs=1e-9)


def test_shrinkage_pulls_sparse_biases_to_zero():
    plain = bias_corrected_mean(RATINGS, shrinkage=0.0)
    assert plain.to_dict() == pytest.approx(mean_rating(RATINGS).to_dict())
    strong = BiasCorrectedMean(shrinkage=1e6).fit(RATINGS)
    assert np.abs(strong.biases_).max() < 1e-5
    with pytest.raises(InvalidInput):
        bias_corrected_mean(RATINGS, shrinkage=-1)
