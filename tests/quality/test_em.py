"""The EM methods stop on the change of the objective they climb (observed-data
log-likelihood, log posterior or ELBO), never while it still rises by more than tol."""

import numpy as np
import pandas as pd
import pytest

from labelwell.errors import InvalidInput
from labelwell.quality import GLAD, MACE, DawidSkene, OneCoinDawidSkene
from labelwell.quality._em import Convergence, remaining_gain
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
    # it stopped once the gain still to come (Aitken) was under tol, and not before
    # (MACE runs several starts side by side: it goes on while any of them has tol
    # left to gain)
    every = np.asarray(getattr(model, "restarts_history_", history[:, None]), dtype=float)
    assert (np.diff(every, axis=0) >= -1e-9).all()
    left = [remaining_gain(list(every[t - 2 : t + 1])).max() for t in range(2, len(every))]
    if model.n_iter_ < n_iter:
        assert left[-1] < tol
    first = max(min_iter, 3) - 3  # the first iteration whose 3 values may stop the fit
    assert all(v >= tol for v in left[first:-1])


def _forced(name, model, extra: int):
    """The same fit made to run ``extra`` more iterations."""
    n = model.n_iter_ + extra
    return MODELS[name](tol=0.0, n_iter=n, min_iter=n).fit


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
    if model.converged_ and not name.startswith("mace"):
        # going on would not gain tol more (twice tol: Aitken's is an estimate, and
        # GLAD's M-step is inexact)
        more = _forced(name, model, 150)(answers)
        assert more.objective_history_[-1] - model.objective_history_[-1] < 2e-6


def test_the_rule_looks_at_the_gain_still_to_come():
    """An objective that climbs by a shrinking 5% less each time gains less than tol
    an iteration long before it has gained all it will: the last gain is not the
    test (it stopped one-coin EM at 18 iterations where 78 were needed)."""
    rate, tol = 0.95, 1e-5
    values = [-1.0 + (1 - rate**t) * 0.01 for t in range(400)]
    trace = Convergence(tol, 3, 1000)
    stop = next(t for t, v in enumerate(values) if trace.done(v))
    gains = np.diff(values)
    first_small = int(np.argmax(gains < tol)) + 1
    assert stop > first_small + 40  # the old rule stopped at first_small
    assert values[-1] - values[stop] < tol <= values[-1] - values[first_small]


def test_one_coin_is_not_stopped_while_its_class_prior_still_moves():
    """One-coin EM on a simulated 85/15 crowd of weak workers (.55-.75, per class,
    3 answers a task) gains under 1e-5 per answer an iteration from iteration 18
    while its class prior still moves from .854 to .868."""
    answers, _ = simulate_crowd(
        600, 30, 3, 2, class_balance=(0.85, 0.15), accuracy=(0.55, 0.75), per_class=True, seed=109
    )
    model = OneCoinDawidSkene().fit(answers)
    more = _forced("onecoin", model, 300)(answers)
    assert model.converged_
    assert more.objective_history_[-1] - model.objective_history_[-1] < 2 * model.tol
    assert abs(model.priors_.iloc[0] - more.priors_.iloc[0]) < 0.01


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


@pytest.mark.parametrize("prior", [(1.0, 1.0), (6.0, 2.0)])
def test_history_is_the_observed_log_posterior(prior):
    """For Dawid-Skene the recorded figure is log P(answers | parameters) per answer,
    plus the log density of the Dirichlet prior (less its constant) under a prior."""
    answers = pd.DataFrame(
        [("a", "x", "1"), ("a", "y", "1"), ("b", "x", "0"), ("b", "y", "1")],
        columns=["task", "worker", "label"],
    )
    model = DawidSkene(n_iter=1, min_iter=1, confusion_prior=prior).fit(answers)
    a, b = prior
    extra = np.array([[a - 1, b - 1], [b - 1, a - 1]])  # observed, true
    # the first E-step runs on the parameters of the majority-vote start
    probas = np.array([[0.0, 1.0], [0.5, 0.5]])
    priors = probas.mean(axis=0)
    counts = np.zeros((2, 2, 2))  # worker, observed, true
    obs = {("a", "x"): 1, ("a", "y"): 1, ("b", "x"): 0, ("b", "y"): 1}
    for (task, worker), label in obs.items():
        counts[["x", "y"].index(worker), label] += probas[["a", "b"].index(task)]
    counts = np.maximum(counts + extra, 1e-10)
    errors = counts / counts.sum(axis=1, keepdims=True)
    total = float((np.log(errors) * extra).sum())
    for task in ["a", "b"]:
        joint = priors.copy()
        for w, worker in enumerate(["x", "y"]):
            joint = joint * errors[w, obs[(task, worker)]]
        total += np.log(joint.sum())
    assert model.objective_history_[0] == pytest.approx(total / 4)
