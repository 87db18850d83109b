import numpy as np
import pandas as pd
import pytest
from snorkel.labeling import LFAnalysis as SnorkelLFAnalysis

from labelwell.errors import InvalidInput
from labelwell.weak import LFAnalysis, labeling_function, to_sparse

# Snorkel 0.10's docstring example
L_DOC = np.array([[-1, 0, 0], [-1, -1, -1], [1, 0, -1], [-1, 0, -1], [0, 0, 0]])


def test_snorkel_docstring_example():
    a = LFAnalysis(L_DOC)
    assert a.label_coverage() == pytest.approx(0.8)
    assert a.label_overlap() == pytest.approx(0.6)
    assert a.label_conflict() == pytest.approx(0.2)
    np.testing.assert_allclose(a.lf_coverages(), [0.4, 0.8, 0.4])
    assert a.lf_polarities() == [[0, 1], [0], [0]]
    np.testing.assert_allclose(a.lf_overlaps(), [0.4, 0.6, 0.4])
    np.testing.assert_allclose(a.lf_overlaps(normalize_by_coverage=True), [1, 0.75, 1])
    np.testing.assert_allclose(a.lf_conflicts(), [0.2, 0.2, 0])
    np.testing.assert_allclose(a.lf_conflicts(normalize_by_overlaps=True), [0.5, 1 / 3, 0])


def assert_same_summary(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    assert list(ours.columns) == list(theirs.columns)
    assert list(ours.index) == list(theirs.index)
    for col in ours.columns:
        if col == "Polarity":
            assert [list(p) for p in ours[col]] == [list(p) for p in theirs[col]]
        else:
            np.testing.assert_allclose(
                ours[col].to_numpy(float), theirs[col].to_numpy(float), err_msg=col
            )


@pytest.mark.parametrize("seed", range(8))
def test_lf_summary_equals_snorkel_on_random_L(seed):
    rng = np.random.default_rng(seed)
    n, m, k = int(rng.integers(20, 400)), int(rng.integers(1, 12)), int(rng.integers(2, 6))
    abstain = rng.uniform(0.2, 0.95)
    L = np.where(rng.random((n, m)) < abstain, -1, rng.integers(0, k, (n, m)))
    L[:, 0] = -1  # an LF that never votes
    Y = rng.integers(0, k, n)
    Y[rng.random(n) < 0.1] = -1  # some gold unknown
    weights = rng.random(m)
    theirs = SnorkelLFAnalysis(L).lf_summary(Y=Y, est_weights=weights)
    assert_same_summary(LFAnalysis(L).lf_summary(Y=Y, est_weights=weights), theirs)
    assert_same_summary(LFAnalysis(to_sparse(L)).lf_summary(Y=Y, est_weights=weights), theirs)
    plain = SnorkelLFAnalysis(L)
    ours = LFAnalysis(L)
    assert ours.label_coverage() == pytest.approx(plain.label_coverage())
    assert ours.label_overlap() == pytest.approx(plain.label_overlap())
    assert ours.label_conflict() == pytest.approx(plain.label_conflict())
    assert_same_summary(ours.lf_summary(), plain.lf_summary())


@labeling_function()
def says_ham(x):
    return 0


def test_summary_named_by_lfs_and_printed(capsys):
    names = [says_ham, "second", "third"]
    a = LFAnalysis(L_DOC, lfs=names)
    df = a.lf_summary(Y=np.array([0, 1, 1, 0, 0]))
    assert list(df.index) == ["says_ham", "second", "third"]
    assert df["j"].tolist() == [0, 1, 2]
    assert df["Correct"].tolist() == [2, 3, 2] and df["Incorrect"].tolist() == [0, 1, 0]
    np.testing.assert_allclose(df["Emp. Acc."], [1.0, 0.75, 1.0])
    a.print_summary()
    out = capsys.readouterr().out
    assert "says_ham" in out and "coverage 0.800, overlap 0.600, conflict 0.200" in out


def test_rejects_mismatched_inputs():
    with pytest.raises(InvalidInput, match="Number of LFs"):
        LFAnalysis(L_DOC, lfs=["a", "b"])
    with pytest.raises(InvalidInput):
        LFAnalysis(L_DOC).lf_summary(Y=np.zeros(4, int))
    with pytest.raises(InvalidInput):
        LFAnalysis(L_DOC).lf_summary(est_weights=np.ones(2))


def test_accuracy_carries_n_and_a_wilson_interval_with_a_warning_under_the_minimum():
    from statsmodels.stats.proportion import proportion_confint

    from labelwell.weak.analysis import MIN_ACCURACY_VOTES

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    many = np.where(rng.random(400) < 0.8, y, 1 - y)  # votes on every item
    few = np.full(400, -1)
    few[:10] = y[:10]  # 10 votes, all right
    L = np.column_stack([many, few, np.full(400, -1)])
    Y = y.copy()
    Y[-100:] = -1  # 300 labelled items
    ci = LFAnalysis(L, lfs=["many", "few", "silent"]).lf_accuracy_intervals(Y)
    assert ci["n"].tolist() == [300, 10, 0]
    correct = int((many[:300] == y[:300]).sum())
    low, high = proportion_confint(correct, 300, method="wilson")
    assert ci.loc["many", "accuracy"] == pytest.approx(correct / 300)
    assert ci.loc["many", "low"] == pytest.approx(low) and ci.loc["many", "high"] == pytest.approx(
        high
    )
    low, high = proportion_confint(10, 10, method="wilson")
    assert ci.loc["few", "low"] == pytest.approx(low) and ci.loc["few", "high"] == pytest.approx(
        1.0
    )
    assert np.isnan(ci.loc["silent", "accuracy"])
    assert (ci.loc["silent", "low"], ci.loc["silent", "high"]) == (0.0, 1.0)
    assert ci["few_votes"].tolist() == [False, True, True]
    assert MIN_ACCURACY_VOTES == 30
    text = LFAnalysis(L, lfs=["many", "few", "silent"]).summary_table(Y)
    assert f"{low:.3f}-1.000 *" in text
    assert "* fewer than 30 votes on labelled items" in text
    assert "*" not in LFAnalysis(L).summary_table()


def test_lf_accuracy_minimum_is_the_one_of_the_small_sample_rules():
    """The library, the project summary and docs/quality.md use one minimum for an
    LF's accuracy, and its warning is worded in English and Korean."""
    from labelwell.quality.sample import MINIMUMS
    from labelwell.weak.analysis import MIN_ACCURACY_VOTES

    assert MINIMUMS["lf_accuracy"].n == MIN_ACCURACY_VOTES
    y = np.arange(100) % 2
    many = y.copy()
    few = np.full(100, -1)
    few[:12] = y[:12]
    warnings = LFAnalysis(np.column_stack([many, few]), lfs=["many", "few"]).accuracy_warnings(y)
    assert [(w.subject, w.n, w.minimum) for w in warnings] == [("few", 12, MIN_ACCURACY_VOTES)]
    assert warnings[0].message.startswith("few: labeling function accuracy from 12")
    assert "라벨링 함수 정확도" in warnings[0].message_ko
