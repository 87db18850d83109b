import numpy as np
import pytest

from labelwell.errors import InvalidInput
from labelwell.weak import ClassConditionalLabelModel, LabelModel, MajorityLabelVoter, to_sparse
from weak.weak_data import one_sided_L

BALANCE = np.array([0.1, 0.2, 0.3, 0.4])


def test_recovers_known_firing_rates_and_class_balance():
    L, y, alpha, beta = one_sided_L(80_000, 4, 12, balance=BALANCE, seed=1)
    model = ClassConditionalLabelModel(4).fit(L)
    target = np.arange(12) % 4
    rows = np.arange(12)
    assert np.abs(model.alpha_[rows, target] - alpha).max() < 0.02
    assert np.abs(model.beta_[rows, target] - beta).max() < 0.01
    assert np.abs(model.class_balance_ - BALANCE).max() < 0.02
    # a class an LF never votes has no parameter
    assert np.isnan(model.alpha_[0, 1]) and np.isnan(model.beta_[0, 1])
    # the true model's posterior beats majority vote and the one-coin model here
    ours = model.score(L, y)
    assert ours > MajorityLabelVoter(4).score(L, y) + 0.02
    assert ours > LabelModel(4).fit(L).score(L, y) + 0.02


def test_accuracies_are_the_precision_of_each_vote():
    L, y, _, _ = one_sided_L(60_000, 3, 9, balance=np.array([0.5, 0.3, 0.2]), seed=2)
    model = ClassConditionalLabelModel(3).fit(L)
    voted = L != -1
    empirical = [(L[voted[:, j], j] == y[voted[:, j]]).mean() for j in range(9)]
    np.testing.assert_allclose(model.accuracies_, empirical, atol=0.02)


@pytest.mark.parametrize("balance", [None, BALANCE])
def test_em_history_never_decreases_and_stops_only_when_the_gain_to_come_is_below_tol(
    balance,
):
    """The stopping rule of labelwell.quality._em: stop once Aitken's estimate of the
    gain still to come is under tol (after min_iter), not at the first small gain."""
    from labelwell.quality._em import remaining_gain

    L, _, _, _ = one_sided_L(20_000, 4, 8, balance=BALANCE, seed=3)
    tol = 1e-6
    model = ClassConditionalLabelModel(4, tol=tol, min_iter=5).fit(L, class_balance=balance)
    history = list(model.history_)
    gains = np.diff(history)
    assert np.all(gains >= -1e-12)
    assert model.converged_ and model.n_iter_ == len(history) < model.max_iter
    left = [float(remaining_gain(history[t - 2 : t + 1])) for t in range(2, len(history))]
    assert gains[-1] <= left[-1] < tol
    assert all(v >= tol for v in left[2:-1])  # after min_iter it stopped at the first
    more = ClassConditionalLabelModel(4, tol=0.0, max_iter=model.n_iter_ + 100).fit(
        L, class_balance=balance
    )
    assert more.history_[-1] - history[-1] < 2 * tol


def test_min_iter_is_respected_and_max_iter_caps():
    L, _, _, _ = one_sided_L(5_000, 3, 6, seed=4)
    assert ClassConditionalLabelModel(3, tol=1e9, min_iter=7).fit(L).n_iter_ == 7
    capped = ClassConditionalLabelModel(3, tol=0.0, max_iter=4).fit(L)
    assert capped.n_iter_ == 4 and not capped.converged_


def test_given_class_balance_is_kept():
    L, _, _, _ = one_sided_L(5_000, 4, 8, balance=BALANCE, seed=5)
    model = ClassConditionalLabelModel(4).fit(L, class_balance=BALANCE)
    np.testing.assert_allclose(model.class_balance_, BALANCE)
    # uncovered items get the balance itself
    empty = np.full((1, 8), -1)
    np.testing.assert_allclose(model.predict_proba(empty)[0].argmax(), 3)


def test_sparse_L_gives_the_same_model():
    L, _, _, _ = one_sided_L(4_000, 3, 6, seed=6)
    dense = ClassConditionalLabelModel(3).fit(L)
    sparse = ClassConditionalLabelModel(3).fit(to_sparse(L))
    np.testing.assert_allclose(dense.alpha_, sparse.alpha_)
    np.testing.assert_allclose(dense.predict_proba(L), sparse.predict_proba(to_sparse(L)))
    np.testing.assert_allclose(dense.predict_proba(L).sum(axis=1), 1.0)
    np.testing.assert_array_equal(dense.fit_predict(L), dense.predict(L))


def test_a_silent_lf_has_no_accuracy():
    L, _, _, _ = one_sided_L(3_000, 2, 4, seed=7)
    L = np.column_stack([L, np.full(3_000, -1)])
    model = ClassConditionalLabelModel(2).fit(L)
    assert np.all(np.isfinite(model.accuracies_[:4])) and np.isnan(model.accuracies_[4])
    assert np.all(np.isnan(model.alpha_[4]))


def test_rejects_bad_use():
    L = np.array([[0, 1, -1], [1, 1, 0]])
    with pytest.raises(InvalidInput, match="not fitted"):
        ClassConditionalLabelModel(2).predict(L)
    with pytest.raises(InvalidInput, match="cardinality"):
        ClassConditionalLabelModel(2).fit(np.array([[0, 2]]))
    with pytest.raises(InvalidInput, match="class_balance"):
        ClassConditionalLabelModel(2).fit(L, class_balance=np.array([0.7, 0.7]))
    with pytest.raises(InvalidInput, match="fitted on 3"):
        ClassConditionalLabelModel(2).fit(L).predict(L[:, :2])
    with pytest.raises(InvalidInput):
        ClassConditionalLabelModel(1)
    with pytest.raises(InvalidInput):
        ClassConditionalLabelModel(2, prior_strength=-1)
    with pytest.raises(InvalidInput):
        ClassConditionalLabelModel(2, min_iter=0)
