"""The EM methods stop on the change of the objective they climb (observed-data
log-likelihood, log posterior or ELBO), never while it still rises by more than tol."""

import numpy as np
import pandas as pd
import pytest

from labelwell.errors import InvalidInput
from labelwell.quality import GLAD, MACE, DawidSkene, OneCoinDawidSkene
from labelwell.quality.simulate import simulate_crowd

from .test_majority_vote import accuracy, load

MODELS = {
    "ds": lambda **kw: DawidSkene(**kw),
    "onecoin": lambda **kw: OneCoinDawidSkene(**kw),
    "glad": lambda **kw: GLAD(**kw),
    "mace_vb": lambda **kw: MACE(method="vb", **kw),
    "mace_em": lambda **kw: MACE(method="em", **kw),
}


def _check_trace(model, tol: float, n_iter: int, min_iter: int) -> None:
    history = np.asarray(model.objective_history_, dtype=float)
    assert len(history) == model.n_iter_ >= min_iter
    assert np.isfinite(history).all()
    # the objective never falls (EM / generalised EM / coordinate ascent on the ELBO)
    assert (np.diff(history) >= -1e-9).all(), np.diff(history).min()
    if model.n_iter_ < n_iter:
        assert model.converged_
    # it did not stop while the objective still rose by more than tol (MACE runs
    # several starts side by side: it goes on while any of them rises)
    every = getattr(model, "restarts_history_", history[:, None])
    gains = np.diff(every, axis=0).max(axis=1)
    assert (np.diff(every, axis=0) >= -1e-9).all()
    if model.n_iter_ < n_iter:
        assert gains[-1] < tol
    assert (gains[min_iter - 1 : -1] >= tol).all() or model.n_iter_ <= min_iter


DATASETS = {
    "balanced": dict(n_tasks=300, n_workers=20, redundancy=3, seed=1),
    "skewed_3class": dict(
        n_tasks=400,
        n_workers=25,
        redundancy=4,
        n_labels=3,
        class_balance=[0.7, 0.2, 0.1],
        per_class=True,
        seed=2,
    ),
    "spammers": dict(n_tasks=300, n_workers=15, redundancy=5, spammers=0.4, seed=3),
}


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("data", sorted(DATASETS))
def test_stops_only_when_the_objective_settles(name, data):
    answers, _ = simulate_crowd(**DATASETS[data])
    model = MODELS[name](tol=1e-6, min_iter=3).fit(answers)
    _check_trace(model, 1e-6, model.n_iter, 3)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_objective_is_recorded_with_gold(name):
    answers, truth = simulate_crowd(n_tasks=200, n_workers=10, redundancy=3, seed=4)
    model = MODELS[name](tol=1e-7).fit(answers, truth.iloc[:40])
    _check_trace(model, 1e-7, model.n_iter, model.min_iter)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_min_iter_and_validation(name):
    answers, _ = simulate_crowd(n_tasks=100, n_workers=8, redundancy=3, seed=5)
    model = MODELS[name](tol=1.0, min_iter=7).fit(answers)
    assert model.n_iter_ == 7  # a huge tol stops as soon as min_iter allows
    with pytest.raises(InvalidInput):
        MODELS[name](min_iter=0)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["rte", "bluebird", "product"])
def test_glad_runs_until_its_log_posterior_settles(name):
    """GLAD used to stop when the M-step objective fell, which it may (it moves with
    the posteriors): 2 iterations on some data sets."""
    answers, truth = load(name)
    model = GLAD().fit(answers)
    _check_trace(model, model.tol, model.n_iter, model.min_iter)
    forced = GLAD(n_iter=model.n_iter_ + 20, min_iter=model.n_iter_ + 20).fit(answers)
    assert accuracy(model.labels_, truth) >= accuracy(forced.labels_, truth) - 0.01


def test_history_is_the_observed_log_likelihood():
    """For Dawid-Skene the recorded figure is log P(answers | parameters) per answer."""
    answers = pd.DataFrame(
        [("a", "x", "1"), ("a", "y", "1"), ("b", "x", "0"), ("b", "y", "1")],
        columns=["task", "worker", "label"],
    )
    model = DawidSkene(n_iter=1).fit(answers)
    # the first E-step runs on the parameters of the majority-vote start
    probas = np.array([[0.0, 1.0], [0.5, 0.5]])
    priors = probas.mean(axis=0)
    counts = np.zeros((2, 2, 2))  # worker, observed, true
    obs = {("a", "x"): 1, ("a", "y"): 1, ("b", "x"): 0, ("b", "y"): 1}
    for (task, worker), label in obs.items():
        counts[["x", "y"].index(worker), label] += probas[["a", "b"].index(task)]
    counts = np.maximum(counts, 1e-10)
    errors = counts / counts.sum(axis=1, keepdims=True)
    total = 0.0
    for task in ["a", "b"]:
        joint = priors.copy()
        for w, worker in enumerate(["x", "y"]):
            joint = joint * errors[w, obs[(task, worker)]]
        total += np.log(joint.sum())
    assert model.objective_history_[0] == pytest.approx(total / 4)
