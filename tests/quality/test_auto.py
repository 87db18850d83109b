"""``method="auto"``: held-out gold accuracy with gold, model evidence without."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from labelwell.cli import app
from labelwell.errors import InvalidInput
from labelwell.quality.auto import choose_method, information_criterion, log_likelihood
from labelwell.quality.dawid_skene import DawidSkene, OneCoinDawidSkene
from labelwell.quality.glad import GLAD
from labelwell.quality.mace import MACE
from labelwell.quality.majority_vote import MajorityVote, Wawa
from labelwell.quality.simulate import simulate_crowd

runner = CliRunner()

TINY = pd.DataFrame(
    {
        "task": ["t1", "t1", "t1", "t2", "t2", "t3", "t3", "t3", "t4", "t4"],
        "worker": ["a", "b", "c", "a", "b", "a", "b", "c", "b", "c"],
        "label": ["x", "x", "y", "y", "y", "x", "y", "x", "x", "y"],
    }
)


def brute_force(per_answer, prior) -> float:
    """log L by enumeration: sum over tasks of log sum_z prior_z prod p(l | z)."""
    total = 0.0
    for _task, rows in TINY.groupby("task"):
        total += math.log(
            sum(
                prior[z] * math.prod(per_answer(r.worker, r.label, z) for r in rows.itertuples())
                for z in ("x", "y")
            )
        )
    return total


def test_dawid_skene_log_likelihood_by_enumeration():
    ds = DawidSkene().fit(TINY)
    ll, k = log_likelihood(ds, TINY)
    errors = ds.errors_  # (worker, observed) x true

    expected = brute_force(lambda w, lab, z: max(errors.loc[(w, lab), z], 1e-10), ds.priors_)
    assert ll == pytest.approx(expected, rel=1e-9)
    assert k == 1 + 3 * 2  # K - 1 priors, K (K - 1) per worker


def test_one_coin_mace_glad_and_majority_log_likelihoods_by_enumeration():
    one = OneCoinDawidSkene().fit(TINY)
    ll, k = log_likelihood(one, TINY)
    s = one.skills_
    assert ll == pytest.approx(
        brute_force(lambda w, lab, z: s[w] if lab == z else 1 - s[w], one.priors_), rel=1e-9
    )
    assert k == 1 + 3
    mace = MACE(random_state=0).fit(TINY)
    ll, k = log_likelihood(mace, TINY)
    idx = {w: i for i, w in enumerate(sorted("abc"))}
    lab_idx = {"x": 0, "y": 1}

    def mace_p(w, lab, z):
        spam, know = mace.spamming_[idx[w]]
        return spam * mace.thetas_[idx[w], lab_idx[lab]] + know * (lab == z)

    assert ll == pytest.approx(brute_force(mace_p, mace.priors_), rel=1e-9)
    assert k == 1 + 3 * 2
    glad = GLAD().fit(TINY)
    ll, k = log_likelihood(glad, TINY)
    by_row = []
    for task, rows in TINY.groupby("task"):
        beta = math.exp(glad.betas_[task])
        terms = []
        for z in ("x", "y"):
            p = 1.0
            for r in rows.itertuples():
                sig = 1 / (1 + math.exp(-glad.alphas_[r.worker] * beta))
                p *= sig if r.label == z else 1 - sig
            terms.append(0.5 * p)
        by_row.append(math.log(sum(terms)))
    assert ll == pytest.approx(sum(by_row), rel=1e-9)
    assert k == 3 + 4
    mv = MajorityVote().fit(TINY)
    ll, k = log_likelihood(mv, TINY)
    assert k == 2 and ll < 0


def test_information_criteria():
    assert information_criterion(-100.0, 5, 1000, "aic") == 210.0
    assert information_criterion(-100.0, 5, 1000, "bic") == pytest.approx(200 + 5 * math.log(1000))


def skewed_crowd(seed=108):  # the benchmark's sim-skew-acc0.55-r3
    return simulate_crowd(
        600, 30, 3, 2, class_balance=[0.85, 0.15], accuracy=(0.55, 0.75), seed=seed
    )


def test_without_gold_by_model_evidence():
    answers, truth = skewed_crowd()
    choice = choose_method(answers)
    assert choice.criterion == "aic" and choice.n_gold == 0
    assert choice.reason.startswith("no gold, so by model evidence: lowest AIC")
    scores = {s.method: s for s in choice.scores}
    assert "wmv" not in scores  # needs gold
    assert scores["bwa"].disqualified and "no likelihood" in scores["bwa"].note
    best = min((s for s in choice.scores if not s.disqualified), key=lambda s: s.score)
    assert choice.method == best.method != "mv"
    # on this crowd the evidence picks one-coin DS, which beats majority vote on the
    # truth (.850 against .725); on other crowds it may not (docs/quality.md)
    from labelwell.quality.registry import AGGREGATORS

    chosen = AGGREGATORS[choice.method]().fit(answers).labels_
    mv = MajorityVote().fit(answers).labels_
    assert choice.method == "onecoin"
    assert (chosen == truth).mean() > (mv == truth).mean() + 0.1
    bic = choose_method(answers, evidence="bic")
    assert bic.criterion == "bic" and "lowest BIC" in bic.reason


class MaximumLikelihoodDS(DawidSkene):
    """The paper's Dawid-Skene (no prior on the confusion matrices), as a plug-in."""

    def __init__(self, confusion_prior=(1.0, 1.0), **kw):
        super().__init__(confusion_prior=confusion_prior, **kw)


@pytest.fixture
def ml_ds():
    from labelwell.quality.registry import AGGREGATORS

    AGGREGATORS.register("ds-ml", MaximumLikelihoodDS)
    try:
        yield "ds-ml"
    finally:
        AGGREGATORS.unregister("ds-ml")


def test_with_gold_by_held_out_accuracy_without_leaking_the_fold(ml_ds):
    answers, truth = skewed_crowd(seed=4)
    gold = truth.sample(60, random_state=0)
    choice = choose_method(answers, gold, candidates=["mv", ml_ds, "ds", "onecoin", "wmv"])
    assert choice.criterion == "held_out_gold" and choice.n_gold == 60
    assert "on 60 gold tasks (5-fold" in choice.reason
    scores = {s.method: s.score for s in choice.scores}
    # clamping the other folds never changes a held-out task's majority vote
    plain_mv = MajorityVote().fit(answers).labels_.reindex(gold.index)
    assert scores["mv"] == pytest.approx((plain_mv == gold).mean())
    assert scores["mv"] < 1.0 and scores["wmv"] is not None
    # maximum-likelihood Dawid-Skene fitted without gold does worse than majority
    # vote on it: the guard rules it out (with its prior, Dawid-Skene does not)
    (ds,) = [s for s in choice.scores if s.method == ml_ds]
    assert ds.disqualified and ds.note.startswith("below_majority_on_gold: ")
    assert not [s for s in choice.scores if s.method == "ds"][0].disqualified
    scored = {m: v for m, v in scores.items() if v is not None}
    assert choice.method == "onecoin" == max(scored, key=scored.get)
    assert choice.reason.startswith("highest accuracy on held-out gold: onecoin 0.7667")


def test_few_gold_falls_back_to_evidence_and_bad_input():
    answers, truth = skewed_crowd()
    choice = choose_method(answers, truth.iloc[:5])
    assert choice.criterion == "aic" and "only 5 gold tasks (fewer than 20)" in choice.reason
    with pytest.raises(InvalidInput, match="unknown aggregation method 'nope'"):
        choose_method(answers, candidates=["mv", "nope"])


def test_a_collapsed_fit_is_disqualified():
    answers, _ = simulate_crowd(
        300, 20, 3, 2, class_balance=[0.9, 0.1], per_class=True, accuracy=(0.3, 0.9), seed=0
    )
    choice = choose_method(answers, candidates=["mv", "onecoin"])
    (onecoin,) = [s for s in choice.scores if s.method == "onecoin"]
    assert onecoin.disqualified and onecoin.note.startswith("collapsed_class: label '1'")
    assert choice.method == "mv"


def test_cli_aggregate_auto(tmp_path: Path):
    answers, truth = skewed_crowd()
    path = tmp_path / "answers.csv"
    answers.to_csv(path, index=False)
    result = runner.invoke(app, ["aggregate", str(path), "--method", "auto", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["method"] == "auto" and report["method_used"] == report["choice"]["method"]
    assert report["choice"]["criterion"] == "aic" and report["choice"]["scores"]
    gold = tmp_path / "gold.csv"
    truth.iloc[:40].rename_axis("task").reset_index().to_csv(gold, index=False)
    result = runner.invoke(
        app,
        [
            "aggregate",
            str(path),
            "--method",
            "auto",
            "--gold",
            str(gold),
            "--out",
            str(tmp_path / "labels.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "auto chose " in result.stderr and "held-out gold" in result.stderr


def test_wawa_log_likelihood_is_one_coin_with_its_skills():
    wawa = Wawa().fit(TINY)
    ll, k = log_likelihood(wawa, TINY)
    s = wawa.skills_.clip(1e-10, 1 - 1e-10)
    shares = wawa.labels_.value_counts(normalize=True).reindex(["x", "y"]).fillna(0)
    expected = brute_force(lambda w, lab, z: s[w] if lab == z else 1 - s[w], shares)
    assert ll == pytest.approx(expected, rel=1e-9) and k == 1 + 3


def test_tiny_frames_choose_without_warnings_or_errors():
    one = pd.DataFrame({"task": [1], "worker": ["a"], "label": ["x"]})
    swapped = pd.DataFrame(
        {"task": [1, 1, 2, 2], "worker": ["a", "b", "a", "b"], "label": ["x", "y", "y", "x"]}
    )
    for frame in (one, swapped):
        for gold in (None, pd.Series({1: "x"})):
            choice = choose_method(frame, gold)
            assert choice.criterion == "aic" and choice.method in {s.method for s in choice.scores}
            assert not next(s for s in choice.scores if s.method == choice.method).disqualified
