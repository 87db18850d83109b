import numpy as np
import pytest
from snorkel.labeling.model import MajorityLabelVoter as SnorkelMajority

from labelwell.errors import InvalidInput
from labelwell.weak import LFAnalysis, MajorityLabelVoter, WeightedMajorityVoter, to_sparse
from weak.weak_data import load_youtube, one_coin_L


@pytest.mark.parametrize("k", [2, 3, 5])
def test_majority_vote_equals_snorkel(k):
    rng = np.random.default_rng(k)
    L = np.where(rng.random((500, 6)) < 0.6, -1, rng.integers(0, k, (500, 6)))
    theirs = SnorkelMajority(cardinality=k)
    ours = MajorityLabelVoter(cardinality=k).fit(L)
    np.testing.assert_allclose(ours.predict_proba(L), theirs.predict_proba(L))
    np.testing.assert_array_equal(
        ours.predict(L, "abstain"), theirs.predict(L, tie_break_policy="abstain")
    )
    np.testing.assert_allclose(ours.predict_proba(to_sparse(L)), ours.predict_proba(L))


def test_weighted_vote_uses_empirical_accuracies():
    acc = np.array([0.6, 0.7, 0.95])
    L, y = one_coin_L(20_000, acc, coverage=0.7, seed=8)
    voter = WeightedMajorityVoter(2).fit(L, y)
    emp = LFAnalysis(L).lf_empirical_accuracies(y)
    np.testing.assert_allclose(voter.accuracies_, emp, atol=1e-3)
    # the best LF outweighs the other two together, unlike in a plain majority
    row = np.array([[0, 0, 1]])
    assert voter.predict(row)[0] == 1
    assert MajorityLabelVoter(2).predict(row)[0] == 0
    assert voter.score(L, y) > MajorityLabelVoter(2).score(L, y)


def test_weighted_vote_with_given_accuracies_and_errors():
    equal = WeightedMajorityVoter(3).fit(np.zeros((1, 4), int), accuracies=np.full(4, 0.8))
    L = np.array([[0, 0, 1, -1], [2, -1, -1, -1], [0, 1, -1, -1]])
    np.testing.assert_array_equal(equal.predict(L), MajorityLabelVoter(3).predict(L))
    with pytest.raises(InvalidInput):
        WeightedMajorityVoter(2).fit(L)
    with pytest.raises(InvalidInput, match="not fitted"):
        WeightedMajorityVoter(2).predict(L)


def test_weighted_vote_on_youtube_with_dev_labels():
    L_valid, y_valid = load_youtube("valid")
    L_test, y_test = load_youtube("test")
    voter = WeightedMajorityVoter(2).fit(L_valid, y_valid)
    assert voter.score(L_test, y_test) >= MajorityLabelVoter(2).score(L_test, y_test) - 0.05
