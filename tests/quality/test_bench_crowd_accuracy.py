"""The crowd accuracy benchmark's bounded peer runs and its quick set list."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


def bench():
    spec = importlib.util.spec_from_file_location(
        "bench_crowd_accuracy", ROOT / "benchmarks" / "bench_crowd_accuracy.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def slow_fit(answers: pd.DataFrame) -> pd.Series:
    time.sleep(30)
    return answers.groupby("task")["label"].first()


def quick_fit(answers: pd.DataFrame) -> pd.Series:
    return answers.groupby("task")["label"].first()


def test_a_peer_fit_past_its_time_is_stopped():
    module = bench()
    answers = pd.DataFrame({"task": ["t1", "t1"], "worker": ["a", "b"], "label": ["x", "y"]})
    started = time.perf_counter()
    assert module.run_bounded(slow_fit, answers, timeout=0.5) is None
    assert time.perf_counter() - started < 10
    labels = module.run_bounded(quick_fit, answers, timeout=30)
    assert labels.to_dict() == {"t1": "x"}


def test_quick_sets_and_auto_estimator():
    module = bench()
    sims = module.simulated_sets()
    quick = [k for k in sims if any(q in k for q in module.QUICK_SIMULATED)]
    assert len(sims) == 18 and len(quick) == 10
    answers, truth = sims["sim-skew-acc0.55-r3"]
    auto = module.Auto().fit(answers)
    assert auto.choice_.method == "onecoin" and module.accuracy(auto.labels_, truth) > 0.84
    assert set(module.our_methods()) >= {"ebcc", "auto", "bwa"}


def test_mace_prior_by_evidence_keeps_uniform_where_the_likelihood_cannot_tell():
    """The candidate rejected for MACE's class prior (docs/benchmarks.md, "MACE,
    class prior"): on a weak skewed crowd the uniform prior's spam explanation has
    the learned prior's likelihood, so BIC keeps it and loses a quarter of the
    tasks; on a strong skewed crowd BIC keeps the learned prior."""
    from labelwell.quality import MACE

    module = bench()
    sims = module.simulated_sets()
    answers, truth = sims["sim-skew-acc0.55-r3"]
    weak = module.MacePriorByEvidence("bic").fit(answers)
    assert not weak.learned_
    learned = module.accuracy(MACE().fit(answers).labels_, truth)
    assert module.accuracy(weak.labels_, truth) < learned - 0.2
    answers, truth = sims["sim-skew-acc0.70-r7"]
    assert module.MacePriorByEvidence("bic").fit(answers).learned_
