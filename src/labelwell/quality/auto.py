"""``method="auto"``: choose the aggregation method for a project's answers.

With enough gold (``MIN_GOLD`` tasks with answers), each method is scored by its
accuracy on held-out gold: the gold tasks are split into ``folds`` and each fold
is predicted by a fit that saw the answers and the other folds' gold only
(k-fold cross-validation, Stone 1974). Without it, by model evidence: the
observed-data log-likelihood of the answers under each method's fitted
generative model, the true labels summed out,
``log L = sum_i log sum_z pi_z prod_{j in J_i} p_j(l_ij | z)`` (Dawid and Skene
1979, eq. 2.6), penalised for the ``k`` free parameters by Akaike's criterion
``AIC = -2 log L + 2 k`` (Akaike 1974) or, with ``evidence="bic"``, Schwarz's
``BIC = -2 log L + k ln N`` (Schwarz 1978; ``N`` answers). AIC is the default:
on the three crowd sets here and 18 simulated crowds it chose methods with a
mean accuracy of .882 against .861 for BIC (which picked majority vote on 18 of
the 21 sets; .853) and .892 for the best method of each set (docs/quality.md).
Methods without a generative model of the answers (``bwa``, ``wmv``) are scored
only on gold. A fit the guards (:mod:`labelwell.quality.guards`) find collapsed is
disqualified. Ties go to the method with fewer parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from labelwell.errors import InvalidInput, LabelwellError
from labelwell.quality._frame import Aggregator, Encoded, encode_answers
from labelwell.quality.dawid_skene import DawidSkene, OneCoinDawidSkene
from labelwell.quality.glad import GLAD
from labelwell.quality.guards import MIN_GOLD, check_fit
from labelwell.quality.mace import MACE
from labelwell.quality.majority_vote import Wawa

#: Candidates, in the order ties are broken after the parameter count.
CANDIDATES: tuple[str, ...] = ("mv", "wawa", "onecoin", "ds", "mace", "glad", "bwa", "wmv", "ebcc")
#: Methods whose fitted model gives a likelihood of the answers.
WITH_EVIDENCE: tuple[str, ...] = ("mv", "wawa", "onecoin", "ds", "mace", "glad")
NEEDS_GOLD: tuple[str, ...] = ("wmv",)
FOLDS = 5
_FLOOR = 1e-10


@dataclass(frozen=True)
class MethodScore:
    """One candidate: its ``score`` (held-out gold accuracy, higher is better, or
    AIC / BIC, lower is better), free parameters, and why it was left out if it was."""

    method: str
    score: float | None
    n_params: int | None
    disqualified: bool = False
    note: str = ""


@dataclass(frozen=True)
class MethodChoice:
    """The method chosen, by which ``criterion`` (``held_out_gold``, ``aic`` or
    ``bic``; ``fallback`` when nothing could be scored),
    a sentence saying why, and every candidate's score."""

    method: str
    criterion: str
    reason: str
    n_gold: int
    scores: list[MethodScore] = field(default_factory=list)


def _log_probs(model: Aggregator, enc: Encoded) -> tuple[np.ndarray, np.ndarray, int] | None:
    """``log p(l_n | z)`` per answer ``n`` and label ``z``, the log class prior, and
    the number of free parameters of ``model``'s generative model; ``None`` for a
    method without one."""
    k, w = enc.n_labels, enc.n_workers
    labels = enc.label_index()
    workers = enc.worker_index()
    obs = enc.label_idx
    name = type(model).__name__
    priors = getattr(model, "priors_", None)
    if priors is not None:
        log_prior = np.log(np.maximum(priors.reindex(labels).fillna(0).to_numpy(float), _FLOOR))
    else:
        shares = model.labels_.value_counts(normalize=True).reindex(labels).fillna(0)
        log_prior = np.log(np.maximum(shares.to_numpy(float), _FLOOR))
    prior_params = k - 1

    def one_coin(skill: np.ndarray) -> np.ndarray:
        skill = np.clip(skill, _FLOOR, 1 - _FLOOR)
        right = np.log(skill)[:, None]
        wrong = np.log((1 - skill) / max(k - 1, 1))[:, None]
        return np.where(obs[:, None] == np.arange(k)[None, :], right, wrong)

    if name in ("DawidSkene", "OneCoinDawidSkene"):
        assert isinstance(model, DawidSkene | OneCoinDawidSkene)
        # fitted on the same answers, so in the same worker and label order
        cube = model.errors_.to_numpy().reshape(w, k, k)  # worker, observed, true
        logp = np.log(np.maximum(cube[enc.worker_idx, obs, :], _FLOOR))
        per_worker = k * (k - 1) if name == "DawidSkene" else 1
        return logp, log_prior, prior_params + w * per_worker
    if name == "MajorityVote":
        agree = (
            (model.labels_.reindex(enc.task_index()).to_numpy()[enc.task_idx])
            == (labels.to_numpy()[obs])
        )
        return one_coin(np.full(enc.n_answers, agree.mean())), log_prior, prior_params + 1
    if name == "Wawa":
        assert isinstance(model, Wawa)
        skill = model.skills_.reindex(workers).to_numpy(float)[enc.worker_idx]
        return one_coin(skill), log_prior, prior_params + w
    if name == "MACE":
        assert isinstance(model, MACE)
        know = model.spamming_[:, 1][enc.worker_idx]
        spam = model.spamming_[:, 0][enc.worker_idx] * model.thetas_[enc.worker_idx, obs]
        hit = obs[:, None] == np.arange(k)[None, :]
        logp = np.log(np.maximum(spam[:, None] + know[:, None] * hit, _FLOOR))
        return logp, log_prior, prior_params * model.learn_priors + w * k
    if name == "GLAD":
        assert isinstance(model, GLAD)
        alpha = model.alphas_.reindex(workers).to_numpy(float)[enc.worker_idx]
        beta = np.exp(model.betas_.reindex(enc.task_index()).to_numpy(float))[enc.task_idx]
        uniform = np.full(k, -math.log(k))  # GLAD's label prior stays uniform
        return one_coin(1.0 / (1.0 + np.exp(-alpha * beta))), uniform, w + enc.n_tasks
    return None


def log_likelihood(
    model: Aggregator, data: pd.DataFrame, true_labels: pd.Series | None = None
) -> tuple[float, int] | None:
    """``(log L, free parameters)`` of a fitted model on ``data`` (see the module
    docstring), or ``None`` when the method has no generative model of the answers."""
    enc = encode_answers(data, true_labels)
    found = _log_probs(model, enc)
    if found is None:
        return None
    logp, log_prior, n_params = found
    k = enc.n_labels
    per_task = np.stack(
        [np.bincount(enc.task_idx, weights=logp[:, z], minlength=enc.n_tasks) for z in range(k)],
        axis=1,
    )
    return float(logsumexp(per_task + log_prior[None, :], axis=1).sum()), int(n_params)


def information_criterion(log_lik: float, n_params: int, n_answers: int, kind: str) -> float:
    """Akaike (1974) ``-2 log L + 2 k`` or Schwarz (1978) ``-2 log L + k ln N``."""
    penalty = 2.0 if kind == "aic" else math.log(n_answers)
    return -2.0 * log_lik + n_params * penalty


def _fit(method: str, data: pd.DataFrame, gold: pd.Series | None) -> Aggregator:
    from labelwell.quality.registry import AGGREGATORS

    return AGGREGATORS[method]().fit(data, gold if gold is not None and len(gold) else None)


def _held_out_accuracy(
    method: str, data: pd.DataFrame, gold: pd.Series, folds: int, seed: int
) -> float:
    order = np.random.default_rng(seed).permutation(len(gold))
    right = 0
    for f in range(folds):
        held = gold.iloc[order[f::folds]]
        train = gold.drop(held.index)
        model = _fit(method, data, train)
        right += int((model.labels_.reindex(held.index) == held).sum())
    return right / len(gold)


def _rank(scores: list[MethodScore], higher_better: bool) -> list[MethodScore]:
    ok = [s for s in scores if not s.disqualified and s.score is not None]
    return sorted(
        ok,
        key=lambda s: (
            -s.score if higher_better else s.score,  # type: ignore[operator]
            s.n_params if s.n_params is not None else math.inf,
            CANDIDATES.index(s.method) if s.method in CANDIDATES else len(CANDIDATES),
        ),
    )


def choose_method(
    data: pd.DataFrame,
    gold: pd.Series | None = None,
    *,
    candidates: Sequence[str] | None = None,
    folds: int = FOLDS,
    min_gold: int = MIN_GOLD,
    evidence: str = "aic",
    seed: int = 0,
) -> MethodChoice:
    """Choose an aggregation method for ``data`` (see the module docstring)."""
    from labelwell.quality.registry import AGGREGATORS

    if evidence not in ("aic", "bic"):
        raise InvalidInput("evidence must be 'aic' or 'bic'", field="evidence")
    names = [m for m in (candidates or CANDIDATES) if m in AGGREGATORS]
    unknown = [m for m in (candidates or ()) if m not in AGGREGATORS]
    if unknown:
        raise InvalidInput(f"unknown aggregation method {unknown[0]!r}", field="method")
    if folds < 2:
        raise InvalidInput("folds must be at least 2", field="folds")
    encode_answers(data, gold)  # validates the frame and the gold once
    if gold is not None:
        gold = gold[gold.index.isin(data["task"])]
    n_gold = 0 if gold is None else len(gold)
    use_gold = n_gold >= min_gold
    if not use_gold:
        names = [m for m in names if m not in NEEDS_GOLD]
    scores: list[MethodScore] = []
    # a method undefined on these answers (0/0 in its updates) is ruled out below
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for method in names:
            try:
                model = _fit(method, data, gold)
                if not np.isfinite(model.probas_.to_numpy(dtype=float)).all():
                    scores.append(
                        MethodScore(method, None, None, True, "the fit is undefined here")
                    )
                    continue
                collapsed = [
                    f for f in check_fit(model, data, gold if n_gold else None) if f.fallback
                ]
                fitted = log_likelihood(model, data, gold if n_gold else None)
                n_params = None if fitted is None else fitted[1]
                if collapsed:
                    scores.append(
                        MethodScore(
                            method,
                            None,
                            n_params,
                            True,
                            f"{collapsed[0].kind}: {collapsed[0].message}",
                        )
                    )
                elif use_gold and gold is not None:
                    acc = _held_out_accuracy(method, data, gold, min(folds, n_gold), seed)
                    scores.append(MethodScore(method, acc, n_params))
                elif fitted is None:
                    scores.append(
                        MethodScore(
                            method, None, None, True, "no likelihood of the answers to compare"
                        )
                    )
                else:
                    ic = information_criterion(fitted[0], fitted[1], len(data), evidence)
                    scores.append(MethodScore(method, ic, n_params))
            except LabelwellError as exc:
                scores.append(MethodScore(method, None, None, True, exc.message))
    ranked = _rank(scores, higher_better=use_gold)
    if not ranked:
        return MethodChoice(
            "mv", "fallback", "no candidate could be scored; majority vote", n_gold, scores
        )
    best = ranked[0]
    runner_up = f"; next {ranked[1].method} " if len(ranked) > 1 else ""
    if use_gold:
        folds_used = min(folds, n_gold)
        reason = (
            f"highest accuracy on held-out gold: {best.method} {best.score:.4f} on {n_gold} "
            f"gold tasks ({folds_used}-fold, each fold predicted without its gold)"
            + (f"{runner_up}{ranked[1].score:.4f}" if runner_up else "")
        )
        criterion = "held_out_gold"
    else:
        why = "no gold" if n_gold == 0 else f"only {n_gold} gold tasks (fewer than {min_gold})"
        penalty = "2 x parameters" if evidence == "aic" else "parameters x ln answers"
        reason = (
            f"{why}, so by model evidence: lowest {evidence.upper()} (-2 log-likelihood + "
            f"{penalty}) {best.method} {best.score:.1f} with {best.n_params} parameters"
            + (f"{runner_up}{ranked[1].score:.1f}" if runner_up else "")
        )
        criterion = evidence
    return MethodChoice(best.method, criterion, reason, n_gold, scores)
