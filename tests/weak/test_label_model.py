import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import OneCoinDawidSkene
from snorkel.labeling.model import LabelModel as SnorkelLabelModel
from snorkel.labeling.model import MajorityLabelVoter as SnorkelMajority

from labelwell.errors import InvalidInput
from labelwell.weak import LabelModel, MajorityLabelVoter, to_sparse
from weak.weak_data import load_youtube, one_coin_L

TRUE_ACC = np.array([0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.97])


def test_learns_known_accuracies_on_100k_items():
    L, y = one_coin_L(100_000, TRUE_ACC, coverage=0.3, seed=1)
    model = LabelModel(cardinality=2).fit(L)
    assert np.abs(model.accuracies_ - TRUE_ACC).max() < 0.02
    assert model.n_iter_ < model.max_iter
    covered = (L != -1).any(axis=1)
    # the posterior beats majority vote where there are votes to weigh
    ours = (model.predict(L, "random")[covered] == y[covered]).mean()
    mv = (MajorityLabelVoter(2).predict(L, "random")[covered] == y[covered]).mean()
    assert ours > mv + 0.01


def test_learns_accuracies_and_class_balance_with_four_classes():
    balance = np.array([0.1, 0.2, 0.3, 0.4])
    L, _ = one_coin_L(60_000, TRUE_ACC[::2], coverage=0.5, k=4, balance=balance, seed=2)
    model = LabelModel(cardinality=4).fit(L, class_balance="learn")
    assert np.abs(model.accuracies_ - TRUE_ACC[::2]).max() < 0.02
    assert np.abs(model.class_balance_ - balance).max() < 0.02


def test_matches_crowd_kit_one_coin_dawid_skene():
    L, _ = one_coin_L(3_000, TRUE_ACC[:6], coverage=0.6, seed=3)
    rows, lfs = np.nonzero(L != -1)
    frame = pd.DataFrame({"task": rows, "worker": lfs, "label": L[rows, lfs]})
    theirs = OneCoinDawidSkene(n_iter=200, tol=1e-9).fit(frame)
    ours = LabelModel(2, prior_strength=0.0, tol=1e-9, max_iter=500).fit(L, class_balance="learn")
    np.testing.assert_allclose(ours.accuracies_, theirs.skills_.sort_index(), atol=2e-3)
    proba = ours.predict_proba(L)[theirs.probas_.index]
    np.testing.assert_allclose(proba, theirs.probas_[[0, 1]].to_numpy(), atol=5e-3)


def test_youtube_at_least_as_accurate_as_majority_vote_and_snorkel():
    L_train, _ = load_youtube("train")
    L_test, y_test = load_youtube("test")
    ours = LabelModel(cardinality=2).fit(L_train).score(L_test, y_test, tie_break="random")
    snorkel = SnorkelLabelModel(cardinality=2, verbose=False)
    snorkel.fit(L_train, seed=123, progress_bar=False)
    snorkel_acc = (snorkel.predict(L_test, tie_break_policy="random") == y_test).mean()
    mv_acc = (SnorkelMajority(2).predict(L_test, tie_break_policy="random") == y_test).mean()
    assert ours >= snorkel_acc and ours >= mv_acc
    assert ours >= 0.84


def test_never_contradicts_unanimous_votes():
    L, _ = one_coin_L(5_000, TRUE_ACC[:5], coverage=0.25, k=3, seed=4)
    # a class balance that a single weak vote could not overturn in plain Bayes
    model = LabelModel(3).fit(L, class_balance=np.array([0.98, 0.01, 0.01]))
    preds = model.predict(L)
    voted = np.where(L != -1, L, 99).min(axis=1)
    unanimous = (L != -1).any(axis=1) & (np.where(L != -1, L, -99).max(axis=1) == voted)
    assert unanimous.sum() > 1000
    np.testing.assert_array_equal(preds[unanimous], voted[unanimous])


@pytest.mark.parametrize("m", [1, 2])
def test_works_with_one_or_two_lfs(m):
    L, _ = one_coin_L(2_000, TRUE_ACC[-m:], coverage=0.4, seed=5)
    model = LabelModel(2).fit(L)
    assert model.accuracies_.shape == (m,) and np.all(np.isfinite(model.accuracies_))
    preds = model.predict(L)
    agree = (L != -1).any(axis=1) & ((L == 0).any(axis=1) != (L == 1).any(axis=1))
    np.testing.assert_array_equal(preds[agree], L[agree].max(axis=1))
    assert np.all(preds[(L == -1).all(axis=1)] == -1)


def test_sparse_L_gives_the_same_model():
    L, _ = one_coin_L(4_000, TRUE_ACC[:4], coverage=0.3, k=3, seed=6)
    dense = LabelModel(3).fit(L)
    sparse = LabelModel(3).fit(to_sparse(L))
    np.testing.assert_allclose(dense.accuracies_, sparse.accuracies_)
    np.testing.assert_allclose(dense.predict_proba(L), sparse.predict_proba(to_sparse(L)))
    np.testing.assert_allclose(dense.predict_proba(L).sum(axis=1), 1.0)


def test_fit_predict_shortcuts_and_weights():
    L, _ = one_coin_L(1_000, TRUE_ACC[:4], coverage=0.5, seed=7)
    model = LabelModel(2)
    np.testing.assert_array_equal(model.fit_predict(L), LabelModel(2).fit(L).predict(L))
    assert model.fit_predict_proba(L).shape == (1_000, 2)
    np.testing.assert_allclose(model.weights_, np.log(model.accuracies_ / (1 - model.accuracies_)))
    np.testing.assert_allclose(model.class_balance_, [0.5, 0.5])


def test_rejects_bad_use():
    L = np.array([[0, 1, -1], [1, 1, 0]])
    with pytest.raises(InvalidInput, match="not fitted"):
        LabelModel(2).predict(L)
    with pytest.raises(InvalidInput, match="cardinality"):
        LabelModel(2).fit(np.array([[0, 2]]))
    with pytest.raises(InvalidInput, match="class_balance"):
        LabelModel(2).fit(L, class_balance=np.array([0.7, 0.7]))
    with pytest.raises(InvalidInput, match="class_balance"):
        LabelModel(2).fit(L, class_balance="guess")
    with pytest.raises(InvalidInput, match="fitted on 3"):
        LabelModel(2).fit(L).predict(L[:, :2])
    with pytest.raises(InvalidInput):
        LabelModel(1)


@pytest.mark.parametrize("balance", [None, "learn", np.array([0.6, 0.3, 0.1])])
def test_em_history_is_the_log_posterior_and_stops_only_when_the_gain_to_come_is_below_tol(
    balance,
):
    """The stopping rule of labelwell.quality._em, as for the class-conditional
    model: the recorded objective is the log posterior per item (checked by direct
    computation), it never falls, and the fit stops once Aitken's estimate of the
    gain still to come is under tol, not before."""
    from labelwell.quality._em import remaining_gain

    L, _ = one_coin_L(3_000, TRUE_ACC[:6], coverage=0.4, k=3, seed=5)
    tol = 1e-8
    model = LabelModel(3, tol=tol).fit(L, class_balance=balance)
    history = list(model.history_)
    assert np.all(np.diff(history) >= -1e-12)
    assert model.converged_ and model.n_iter_ == len(history) < model.max_iter
    left = [float(remaining_gain(history[t - 2 : t + 1])) for t in range(2, len(history))]
    assert left[-1] < tol and all(v >= tol for v in left[2:-1])
    # direct: sum_i log sum_c pi_c prod_j P(L_ij | c), plus the Beta and Dirichlet priors
    acc, pi = model.accuracies_, model.class_balance_
    like = np.ones((L.shape[0], 3)) * pi
    for j in range(L.shape[1]):
        voted = L[:, j] >= 0
        p = np.where(L[voted, j][:, None] == np.arange(3), acc[j], (1 - acc[j]) / 2)
        like[voted] *= p
    a = model.prior_strength * model.prior_accuracy
    b = model.prior_strength * (1 - model.prior_accuracy)
    direct = np.log(like.sum(axis=1)).sum() + (a * np.log(acc) + b * np.log(1 - acc)).sum()
    if isinstance(balance, str):
        direct += np.log(pi).sum()
    assert history[-1] * L.shape[0] == pytest.approx(direct, rel=1e-9)
