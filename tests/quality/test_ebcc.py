import numpy as np
import pandas as pd
import pytest

from labelwell.errors import InvalidInput
from labelwell.quality import EBCC, DawidSkene, MajorityVote
from labelwell.quality.simulate import simulate_crowd

from .test_majority_vote import accuracy, load

# Measured here with the authors' defaults (M = 10, a_pi = 0.1, alpha = 1, a_v = 4,
# b_v = 1, one start with seed 1234). We do not hold the paper's per-dataset
# figures reliably, so these are checked against majority vote and Dawid-Skene
# on the same answers instead, and pinned to catch regressions.
MEASURED = {"product": 0.9383, "rte": 0.9275, "bluebird": 0.8611}
# The authors' notebook (github.com/yuan-li/truth-inference-at-scale,
# code/test_ebcc.ipynb): ebcc_vb(num_groups=10, empirical_prior=True), the best
# ELBO of 40 random seeds, on the same three sets.
PUBLISHED = {"product": 0.934937, "rte": 0.93125, "bluebird": 0.861111}


def test_recovers_truth_from_a_clean_crowd_and_probas_sum_to_one():
    answers, truth = simulate_crowd(300, 12, 5, 3, accuracy=(0.7, 0.95), seed=1)
    model = EBCC().fit(answers)
    assert accuracy(model.labels_, truth) >= 0.97
    assert np.allclose(model.probas_.sum(axis=1), 1.0)
    assert model.n_iter_ >= 2 and np.isfinite(model.elbo_)
    right = answers["label"].to_numpy() == truth.reindex(answers["task"]).to_numpy()
    true_skill = pd.Series(right).groupby(answers["worker"].to_numpy()).mean()
    rho = model.skills_.reindex(true_skill.index).corr(true_skill, method="spearman")
    assert rho > 0.7


def test_gold_is_clamped():
    answers, truth = simulate_crowd(300, 20, 3, 2, accuracy=(0.5, 0.8), seed=5)
    gold = truth.iloc[:40]
    model = EBCC().fit(answers, gold)
    assert (model.labels_[gold.index] == gold).all()
    assert (model.probas_.loc[gold.index].max(axis=1) == 1.0).all()


def test_restarts_keep_the_best_bound_and_are_seeded():
    answers, _ = simulate_crowd(200, 10, 3, 2, seed=2)
    model = EBCC(n_restarts=4, random_state=0).fit(answers)
    assert len(model.elbos_) == 4 and model.elbo_ == max(model.elbos_)
    again = EBCC(n_restarts=4, random_state=0).fit(answers)
    pd.testing.assert_frame_equal(model.probas_, again.probas_)


def test_validation():
    for bad in ({"n_groups": 0}, {"a_v": 0}, {"atol": 0}, {"n_restarts": 0}):
        with pytest.raises(InvalidInput):
            EBCC(**bad)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MEASURED))
def test_real_sets_beat_majority_vote(name):
    answers, truth = load(name)
    ours = accuracy(EBCC().fit_predict(answers), truth)
    assert ours == pytest.approx(MEASURED[name], abs=5e-4)
    assert ours > accuracy(MajorityVote().fit_predict(answers), truth) + 0.03
    # at most 4 points under Dawid-Skene (bluebird .861 against .898; rte equal)
    assert ours >= accuracy(DawidSkene().fit_predict(answers), truth) - 0.04


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_accuracy(name):
    """With the notebook's settings labelwell's EBCC gets the authors' figures
    (one seeded start here: on these sets the starts agree)."""
    answers, truth = load(name)
    model = EBCC(empirical_prior=True).fit(answers)
    assert accuracy(model.labels_, truth) == pytest.approx(PUBLISHED[name], abs=5e-4)
