"""Checks that an aggregation fit has not collapsed, with the evidence, and a
fall-back to majority vote when it has.

EM fits of latent-class models have degenerate optima (Dawid and Skene 1979,
Section 4; Zhang et al., JMLR 2016, Section 1): a class whose prior runs to zero,
workers whose confusion matrices are permutations (the labels swapped), or a
result that agrees with known answers less often than a plain vote does. The
checks compare the fit with majority vote on the same answers:

``collapsed_class``
    a label that majority vote gives to more than ``min_share`` (5%) of the tasks
    gets fewer than ``collapsed_share`` (1%) from the model. Falls back.
``below_majority_on_gold``
    refitted without the gold answers, the model gets more gold tasks wrong that
    majority vote gets right than the other way round; with a one-sided exact
    McNemar test (binomial on the discordant tasks) at ``alpha`` = 0.05 it falls
    back, otherwise it warns. Needs at least ``min_gold`` (20) gold tasks.
``permuted_worker``
    a worker with ``min_answers`` (10) or more answers whose confusion matrix maps
    the true labels onto other labels one to one (each with probability >= 0.7):
    a label swapper, or a swapped fit. Warns only: real swappers exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from labelwell.quality._frame import Aggregator, encode_answers
from labelwell.quality.majority_vote import MajorityVote

MIN_SHARE = 0.05
COLLAPSED_SHARE = 0.01
MIN_GOLD = 20
MIN_ANSWERS = 10
ALPHA = 0.05
SURE = 0.7
FALLBACK = "mv"


@dataclass(frozen=True)
class Degeneracy:
    """One finding: its ``kind``, whether it made the fit fall back, a sentence in
    English and in Korean (``message_ko``, as every message the product shows),
    and the figures behind it."""

    kind: str
    fallback: bool
    message: str
    message_ko: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GuardedFit:
    """The fit that was kept, the method asked for and the one used."""

    model: Aggregator
    requested: str
    method: str
    findings: list[Degeneracy]

    @property
    def fell_back(self) -> bool:
        return self.method != self.requested


def _params(model: Aggregator) -> dict[str, Any]:
    return {k: v for k, v in vars(model).items() if not k.endswith("_")}


def _collapsed(model: Aggregator, mv: MajorityVote) -> list[Degeneracy]:
    found = []
    ours = model.labels_.value_counts(normalize=True)
    theirs = mv.labels_.value_counts(normalize=True)
    priors = getattr(model, "priors_", None)
    for label, share in theirs.items():
        model_share = float(ours.get(label, 0.0))
        if share > MIN_SHARE and model_share < COLLAPSED_SHARE:
            evidence = {
                "label": str(label),
                "model_share": round(model_share, 6),
                "majority_share": round(float(share), 6),
            }
            if priors is not None and label in priors.index:
                evidence["model_prior"] = round(float(priors[label]), 6)
            found.append(
                Degeneracy(
                    "collapsed_class",
                    True,
                    f"label {label!r}: majority vote gives it to {share:.1%} of the tasks, "
                    f"the model to {model_share:.1%}; the fit collapsed",
                    f"라벨 {label!r}: 다수결은 작업의 {share:.1%}에 이 라벨을 주지만 모델은 "
                    f"{model_share:.1%}에만 줍니다. 적합이 붕괴했습니다",
                    evidence,
                )
            )
    return found


def _permuted(model: Aggregator, data: pd.DataFrame) -> list[Degeneracy]:
    answered = data["worker"].value_counts()
    mapping: dict[Any, dict[str, str]] = {}
    errors = getattr(model, "errors_", None)
    if errors is not None and errors.shape[1] > 1:
        labels = list(errors.columns)
        k = len(labels)
        cube = errors.to_numpy().reshape(-1, k, k)  # worker, observed, true
        workers = errors.index.get_level_values(0)[::k]
        picks = cube.argmax(axis=1)  # worker, true -> observed
        sure = np.take_along_axis(cube, picks[:, None, :], axis=1)[:, 0, :].min(axis=1) >= SURE
        one_to_one = np.sort(picks, axis=1) == np.arange(k)
        swapped = one_to_one.all(axis=1) & (picks != np.arange(k)).any(axis=1) & sure
        for w in np.flatnonzero(swapped):
            mapping[workers[w]] = {str(labels[t]): str(labels[picks[w, t]]) for t in range(k)}
    found = []
    for worker, swap in mapping.items():
        n = int(answered.get(worker, 0))
        if n >= MIN_ANSWERS:
            found.append(
                Degeneracy(
                    "permuted_worker",
                    False,
                    f"worker {worker!r} ({n} answers) is fitted as swapping labels "
                    f"(true -> answered: {swap})",
                    f"작업자 {worker!r}(답 {n}개)는 라벨을 서로 바꿔 답하는 것으로 "
                    f"적합되었습니다 (정답 -> 응답: {swap})",
                    {"worker": str(worker), "n_answers": n, "swap": swap},
                )
            )
    return found


def _below_majority(model: Aggregator, data: pd.DataFrame, gold: pd.Series) -> list[Degeneracy]:
    gold = gold[gold.index.isin(data["task"])]
    if len(gold) < MIN_GOLD:
        return []
    blind = type(model)(**_params(model)).fit(data)
    mv = MajorityVote().fit(data)
    ours = (blind.labels_.reindex(gold.index) == gold).to_numpy()
    theirs = (mv.labels_.reindex(gold.index) == gold).to_numpy()
    worse, better = int((theirs & ~ours).sum()), int((ours & ~theirs).sum())
    if worse <= better:
        return []
    p = float(binomtest(worse, worse + better, 0.5, alternative="greater").pvalue)
    evidence = {
        "n_gold": int(len(gold)),
        "model_accuracy": round(float(ours.mean()), 6),
        "majority_accuracy": round(float(theirs.mean()), 6),
        "model_wrong_majority_right": worse,
        "model_right_majority_wrong": better,
        "p_value": round(p, 6),
    }
    significant = p < ALPHA
    return [
        Degeneracy(
            "below_majority_on_gold",
            significant,
            f"fitted without gold, the model is right on {ours.mean():.1%} of "
            f"{len(gold)} gold tasks, majority vote on {theirs.mean():.1%} "
            f"(McNemar p = {p:.3g})" + ("; falling back" if significant else ""),
            f"골드 없이 적합한 모델은 골드 작업 {len(gold)}개 중 {ours.mean():.1%}를 맞히고 "
            f"다수결은 {theirs.mean():.1%}를 맞힙니다 (McNemar p = {p:.3g})"
            + ("; 다수결로 대체합니다" if significant else ""),
            evidence,
        )
    ]


def check_fit(
    model: Aggregator, data: pd.DataFrame, true_labels: pd.Series | None = None
) -> list[Degeneracy]:
    """The findings on a fitted ``model`` (fitted on ``data`` with ``true_labels``)."""
    encode_answers(data, true_labels)  # same validation as the fit
    mv = MajorityVote().fit(data, true_labels)
    found = _collapsed(model, mv) + _permuted(model, data)
    if true_labels is not None and len(true_labels) and not isinstance(model, MajorityVote):
        found += _below_majority(model, data, true_labels)
    return found


def guarded_fit(
    method: str, data: pd.DataFrame, true_labels: pd.Series | None = None
) -> GuardedFit:
    """Fit ``method`` (a name from the registry), check it, and fall back to
    majority vote when a finding says the fit collapsed."""
    from labelwell.quality.registry import AGGREGATORS

    model = AGGREGATORS[method]().fit(data, true_labels)
    if method == FALLBACK:
        return GuardedFit(model, method, method, [])
    found = check_fit(model, data, true_labels)
    if any(f.fallback for f in found):
        return GuardedFit(AGGREGATORS[FALLBACK]().fit(data, true_labels), method, FALLBACK, found)
    return GuardedFit(model, method, method, found)
