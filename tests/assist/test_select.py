import numpy as np
import pytest

from labelwell.assist.select import (
    DEFAULT_STRATEGY,
    STRATEGIES,
    entropy_scores,
    gradient_embeddings,
    margin_scores,
    select,
)
from labelwell.errors import InvalidInput


def test_registry_lists_every_strategy_and_margin_is_default():
    assert set(STRATEGIES) == {
        "random",
        "least_confidence",
        "margin",
        "entropy",
        "kmeans",
        "kcenter",
        "badge",
    }
    assert DEFAULT_STRATEGY == "margin"
    assert all(s.doc for _, s in STRATEGIES.items())


PROBS = np.array(
    [
        [0.90, 0.05, 0.05],  # margin .85
        [0.40, 0.35, 0.25],  # margin .05 (smallest)
        [0.50, 0.10, 0.40],  # margin .10
        [0.34, 0.33, 0.33],  # margin .01 but top .34 (least confident), highest entropy
        [0.60, 0.40, 0.00],  # margin .20, entropy low-ish
    ]
)


def test_margin_picks_smallest_top2_gap():
    np.testing.assert_allclose(margin_scores(PROBS), [0.85, 0.05, 0.10, 0.01, 0.20])
    assert select("margin", 3, probs=PROBS).tolist() == [3, 1, 2]


def test_least_confidence_and_entropy_known_answers():
    assert select("least_confidence", 2, probs=PROBS).tolist() == [3, 1]
    h = entropy_scores(PROBS)
    manual = [-sum(p * np.log(p) for p in row if p > 0) for row in PROBS]
    np.testing.assert_allclose(h, manual)
    assert select("entropy", 5, probs=PROBS).tolist() == list(np.argsort(-np.asarray(manual)))


def test_margin_ties_break_by_index_and_n_clips_to_pool():
    probs = np.array([[0.5, 0.5], [0.9, 0.1], [0.5, 0.5]])
    assert select("margin", 10, probs=probs).tolist() == [0, 2, 1]
    assert select("margin", 0, probs=probs).tolist() == []


def test_random_is_seeded_and_without_replacement():
    emb = np.zeros((50, 2))
    a = select("random", 20, embeddings=emb, seed=3)
    assert len(set(a.tolist())) == 20
    assert np.array_equal(a, select("random", 20, embeddings=emb, seed=3))


def test_badge_gradient_embedding_equals_formula():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    g = gradient_embeddings(p, x)
    expected = np.vstack(
        [
            np.concatenate([(1 - 0.7) * x[0], -0.2 * x[0], -0.1 * x[0]]),
            np.concatenate([-0.1 * x[1], -0.3 * x[1], (1 - 0.6) * x[1]]),
        ]
    )
    np.testing.assert_allclose(g, expected)


def test_badge_kmeanspp_over_gradients():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 5))
    p = rng.dirichlet(np.ones(3), size=200)
    picked = select("badge", 20, probs=p, embeddings=x, seed=1)
    assert len(set(picked.tolist())) == 20
    g = gradient_embeddings(p, x)
    # first centre: largest gradient norm, as in Ash et al.'s code
    assert picked[0] == np.argmax(np.linalg.norm(g, axis=1))
    assert np.array_equal(picked, select("badge", 20, probs=p, embeddings=x, seed=1))
    # confident items (near-zero gradient) are almost never chosen
    p2 = p.copy()
    p2[:100] = [0.999, 0.0005, 0.0005]
    picked2 = select("badge", 20, probs=p2, embeddings=x, seed=1)
    assert (picked2 >= 100).sum() >= 19


def test_badge_on_duplicates_still_returns_distinct_items():
    x = np.ones((6, 2))
    p = np.tile([0.6, 0.4], (6, 1))
    assert sorted(select("badge", 6, probs=p, embeddings=x, seed=0).tolist()) == list(range(6))


def _greedy_reference(x, first, n, labeled=None):
    chosen = [first]
    while len(chosen) < n:
        centres = x[chosen] if labeled is None else np.vstack([labeled, x[chosen]])
        d = np.linalg.norm(x[:, None, :] - centres[None, :, :], axis=2).min(axis=1)
        d[chosen] = -1
        chosen.append(int(np.argmax(d)))
    return chosen


def test_kcenter_greedy_choice_maximises_min_distance():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((300, 8))
    picked = select("kcenter", 25, embeddings=x, seed=7)
    assert picked.tolist() == _greedy_reference(x, int(picked[0]), 25)
    # each pick is the item farthest from those before it
    for k in range(1, 25):
        d = np.linalg.norm(x[:, None] - x[picked[:k]][None], axis=2).min(axis=1)
        assert d[picked[k]] == pytest.approx(d.max())


def test_kcenter_on_clustered_data_uses_pruning_and_stays_exact():
    rng = np.random.default_rng(5)
    centres = rng.standard_normal((10, 16)) * 10
    x = centres[rng.integers(10, size=2000)] + rng.standard_normal((2000, 16)) * 0.1
    picked = select("kcenter", 40, embeddings=x, seed=0)
    assert picked.tolist() == _greedy_reference(x, int(picked[0]), 40)
    # the first picks cover the ten clusters
    assert len({int(np.argmin(np.linalg.norm(centres - x[i], axis=1))) for i in picked[:10]}) == 10


def test_kcenter_starts_from_labeled_items():
    x = np.array([[0.0], [1.0], [5.0], [9.0], [10.0]])
    picked = select("kcenter", 2, embeddings=x, labeled_embeddings=np.array([[0.0], [10.0]]))
    assert picked.tolist() == [2, 1] or picked.tolist() == [2, 3]
    assert picked[0] == 2


def test_kmeans_picks_one_item_per_cluster():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    x = np.vstack([c + rng.standard_normal((30, 2)) * 0.2 for c in centres])
    picked = select("kmeans", 3, embeddings=x, seed=0)
    assert sorted(int(i) // 30 for i in picked) == [0, 1, 2]
    # each pick is the member closest to its cluster's mean
    for i in picked:
        members = x[(i // 30) * 30 : (i // 30 + 1) * 30]
        dists = np.linalg.norm(members - members.mean(axis=0), axis=1)
        assert int(i) % 30 == int(np.argmin(dists))


def test_bad_input_is_rejected_with_a_message():
    with pytest.raises(InvalidInput, match="unknown selection strategy"):
        select("nope", 1, probs=PROBS)
    with pytest.raises(InvalidInput, match="needs embeddings"):
        select("kcenter", 1, probs=PROBS)
    with pytest.raises(InvalidInput, match="different numbers of rows"):
        select("badge", 1, probs=PROBS, embeddings=np.zeros((4, 2)))


def test_kcenter_with_many_labeled_items_matches_reference():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((400, 6))
    labeled = rng.standard_normal((1500, 6))  # more than one block of 1024
    picked = select("kcenter", 15, embeddings=x, labeled_embeddings=labeled)
    d = np.linalg.norm(x[:, None] - labeled[None], axis=2).min(axis=1)
    assert picked[0] == int(np.argmax(d))
    assert picked.tolist() == _greedy_reference(x, int(picked[0]), 15, labeled=labeled)
