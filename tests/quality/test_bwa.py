import numpy as np
import pandas as pd
import pytest

from labelwell.errors import InvalidInput
from labelwell.quality import BWA, MajorityVote
from labelwell.quality.simulate import simulate_crowd

from .test_majority_vote import accuracy, load

# Accuracy printed in the authors' notebook (Li, Rubinstein and Cohn, WWW 2019)
PUBLISHED = {"product": 0.9194, "rte": 0.9275, "bluebird": 0.7593}


def test_precisions_follow_worker_accuracy():
    answers, truth = simulate_crowd(500, 15, 5, accuracy=(0.55, 0.95), spammers=0.2, seed=7)
    model = BWA().fit(answers)
    right = answers["label"].to_numpy() == truth.reindex(answers["task"]).to_numpy()
    true_skill = pd.Series(right).groupby(answers["worker"].to_numpy()).mean()
    rho = model.skills_.reindex(true_skill.index).corr(true_skill, method="spearman")
    assert rho > 0.8
    assert np.allclose(model.probas_.sum(axis=1), 1.0)
    assert accuracy(model.labels_, truth) >= accuracy(MajorityVote().fit_predict(answers), truth)


def test_gold_is_clamped_and_beats_a_plain_vote():
    answers, truth = simulate_crowd(400, 20, 3, 3, accuracy=(0.4, 0.9), seed=3)
    model = BWA().fit(answers, truth.iloc[:50])
    assert (model.labels_[truth.index[:50]] == truth.iloc[:50]).all()
    assert model.probas_.loc[truth.index[0], truth.iloc[0]] == 1.0

    rest = truth.iloc[50:]
    assert accuracy(BWA().fit_predict(answers), rest) >= accuracy(
        MajorityVote().fit_predict(answers), rest
    )


def test_validation():
    with pytest.raises(InvalidInput):
        BWA(a_v=0)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_accuracy(name):
    answers, truth = load(name)
    assert accuracy(BWA().fit_predict(answers), truth) == pytest.approx(PUBLISHED[name], abs=5e-4)
