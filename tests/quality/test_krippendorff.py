import krippendorff
import numpy as np
import pandas as pd
import pytest

from labelwell.errors import InvalidInput
from labelwell.quality import krippendorff as kmod
from labelwell.quality.krippendorff import krippendorff_alpha

NAN = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# 4 observers x 12 units with missing values.
RELIABILITY = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)
PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


def long_frame(reliability: np.ndarray) -> pd.DataFrame:
    raters, units = np.nonzero(pd.notna(reliability))
    return pd.DataFrame(
        {"task": units, "worker": [f"r{r}" for r in raters], "label": reliability[raters, units]}
    )


@pytest.mark.parametrize("level", list(PUBLISHED))
def test_published_worked_example(level):
    assert round(krippendorff_alpha(RELIABILITY, level), 3) == PUBLISHED[level]
    assert round(krippendorff_alpha(long_frame(RELIABILITY), level), 3) == PUBLISHED[level]


@pytest.mark.parametrize("level", list(PUBLISHED))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_krippendorff_package_with_missing(level, seed):
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 8, 250)
    data = np.where(rng.random((6, 250)) < 0.7, truth, rng.integers(1, 8, (6, 250))).astype(float)
    data[rng.random(data.shape) < 0.35] = NAN
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert krippendorff_alpha(data, level) == pytest.approx(expected, abs=1e-9)
    assert krippendorff_alpha(long_frame(data), level) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("level", ["interval", "ordinal"])
def test_moment_path_for_many_values_equals_matrix_path(level, monkeypatch):
    rng = np.random.default_rng(5)
    truth = rng.normal(size=50)
    data = truth + rng.normal(scale=0.5, size=(4, 50))
    data[rng.random(data.shape) < 0.2] = NAN
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    monkeypatch.setattr(kmod, "_MATRIX_VALUES", 10)
    assert krippendorff_alpha(data, level) == pytest.approx(expected, abs=1e-9)


def test_sparse_counts_path(monkeypatch):
    expected = krippendorff_alpha(RELIABILITY, "ordinal")
    monkeypatch.setattr(kmod, "_DENSE_CELLS", 1)
    assert krippendorff_alpha(RELIABILITY, "ordinal") == pytest.approx(expected, abs=1e-12)


def test_string_labels_nominal_and_errors():
    words = np.array(["a", "b", "c", "d", "e"], dtype=object)
    data = np.full(RELIABILITY.shape, None, dtype=object)
    present = ~np.isnan(RELIABILITY)
    data[present] = words[RELIABILITY[present].astype(int) - 1]
    assert round(krippendorff_alpha(data, "nominal"), 3) == 0.743
    # ordinal on strings uses their sorted order, which here matches 1..5
    assert round(krippendorff_alpha(data, "ordinal"), 3) == 0.815
    with pytest.raises(InvalidInput, match="numeric"):
        krippendorff_alpha(data, "interval")
    with pytest.raises(InvalidInput, match="level"):
        krippendorff_alpha(RELIABILITY, "cardinal")


def test_undefined_cases_are_nan():
    assert np.isnan(krippendorff_alpha(np.array([[1.0, 1.0], [1.0, 1.0]])))
    assert np.isnan(krippendorff_alpha(np.array([[1.0, NAN], [NAN, 2.0]])))
    perfect = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    assert krippendorff_alpha(perfect, "interval") == 1.0


@pytest.mark.parametrize("values", [[1, 3, 10], [1, 3, 10, 2_000_000_000], [0.5, 1.5, 4.0]])
@pytest.mark.parametrize("level", list(PUBLISHED))
def test_value_domains_with_gaps_wide_ranges_and_fractions(values, level):
    rng = np.random.default_rng(len(values))
    data = rng.choice(values, size=(5, 80)).astype(float)
    data[:, ::3] = data[0, ::3]  # some agreement
    as_int = data.astype(np.int64)
    data[rng.random(data.shape) < 0.2] = NAN
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert krippendorff_alpha(data, level) == pytest.approx(expected, abs=1e-9)
    if values[0] == 1:  # integer dtype, no missing values
        expected = krippendorff.alpha(reliability_data=as_int, level_of_measurement=level)
        assert krippendorff_alpha(as_int, level) == pytest.approx(expected, abs=1e-9)
