import numpy as np
import pytest
import scipy.sparse as sp

from labelwell.errors import InvalidInput
from labelwell.weak import matrix
from labelwell.weak.matrix import VoteMatrix, probs_to_preds, to_dense, to_sparse


def random_L(n=300, m=7, k=3, abstain=0.6, seed=0):
    rng = np.random.default_rng(seed)
    return np.where(rng.random((n, m)) < abstain, -1, rng.integers(0, k, (n, m)))


def test_sparse_round_trip_stores_vote_plus_one():
    L = np.array([[-1, 0, 2], [1, -1, -1]])
    S = to_sparse(L)
    assert S.nnz == 3
    assert S[0, 1] == 1 and S[0, 2] == 3 and S[1, 0] == 2
    np.testing.assert_array_equal(to_dense(S), L)


@pytest.mark.parametrize("k", [2, 3, 9])
def test_vote_matrix_holds_one_indicator_per_class(k):
    L = random_L(k=k)
    votes = VoteMatrix.from_matrix(L, k)
    assert votes.cardinality == k and votes.n_votes == int((L != -1).sum())
    for c, a in enumerate(votes.by_class):
        np.testing.assert_array_equal(a.toarray(), (c == L).astype(float))
    from_sparse = VoteMatrix.from_matrix(to_sparse(L), k)
    for a, b in zip(votes.by_class, from_sparse.by_class, strict=True):
        assert (a != b).nnz == 0


def test_vote_matrix_built_in_several_blocks(monkeypatch):
    L = random_L(n=1000, m=5)
    whole = VoteMatrix.from_matrix(L)
    monkeypatch.setattr(matrix, "_ROWS_PER_STEP", 7)  # 7 // 5 * 16 = 16 rows per block
    blocks = VoteMatrix.from_matrix(L)
    for a, b in zip(whole.by_class, blocks.by_class, strict=True):
        assert (a != b).nnz == 0


def test_counts_and_unanimous_items():
    L = np.array([[0, 0, -1], [0, 1, -1], [-1, -1, -1], [-1, 2, 2]])
    votes = VoteMatrix.from_matrix(L)
    np.testing.assert_array_equal(
        votes.votes_per_item().T, [[2, 0, 0], [1, 1, 0], [0, 0, 0], [0, 0, 2]]
    )
    np.testing.assert_array_equal(votes.votes_per_lf(), [[2, 1, 0], [0, 1, 0], [0, 1, 1]])
    rows, classes = votes.unanimous()
    np.testing.assert_array_equal(rows, [0, 3])
    np.testing.assert_array_equal(classes, [0, 2])


@pytest.mark.parametrize(
    "bad",
    [np.array([0.5, 1.0]).reshape(1, 2), np.array([[0, -2]]), np.array([0, 1])],
)
def test_rejects_malformed_L(bad):
    with pytest.raises(InvalidInput):
        VoteMatrix.from_matrix(bad)


def test_rejects_vote_beyond_cardinality():
    with pytest.raises(InvalidInput, match="cardinality is 2"):
        VoteMatrix.from_matrix(np.array([[0, 2]]), cardinality=2)
    with pytest.raises(InvalidInput, match="cardinality is 2"):
        VoteMatrix.from_matrix(sp.csr_array(np.array([[1, 3]])), cardinality=2)


def test_probs_to_preds_ties():
    probs = np.array([[0.5, 0.5, 0.0], [0.2, 0.7, 0.1], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_array_equal(probs_to_preds(probs, "abstain"), [-1, 1, -1])
    many = np.tile(probs[[0, 2]], (500, 1))
    picks = probs_to_preds(many, "random", random_state=1)
    assert set(picks[0::2]) == {0, 1}
    assert set(picks[1::2]) == {0, 1, 2}
    np.testing.assert_array_equal(picks, probs_to_preds(many, "random", random_state=1))
    with pytest.raises(InvalidInput):
        probs_to_preds(probs, "first")


def test_probs_to_preds_matches_argmax_without_ties():
    probs = np.random.default_rng(3).dirichlet(np.ones(4), size=200)
    np.testing.assert_array_equal(probs_to_preds(probs, "random"), probs.argmax(axis=1))
