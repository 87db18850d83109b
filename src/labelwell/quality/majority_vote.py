"""Majority vote, gold-weighted majority vote and Wawa over categorical answers."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput
from labelwell.quality._frame import (
    Aggregator,
    Encoded,
    clamp,
    encode_answers,
    probas_frame,
    tie_noise,
)

TiePolicy = Literal["prior", "random", "first", "abstain"]
_TIES = ("prior", "random", "first", "abstain")


def _close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    close: np.ndarray = np.isclose(a, b, rtol=1e-12, atol=1e-12)
    return close


def _pick(
    enc: Encoded, counts: np.ndarray, tie: str, seed: int | None, share: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Winning label code per task and a mask of tasks whose top score is shared.

    ``tie="prior"`` gives a tie to the tied label with the largest ``share`` (each
    label's total score over all tasks, by default that of ``counts``), and a tie
    there to a seeded draw; ``tie="random"`` draws among the tied labels with
    :func:`tie_noise`: seeded, and the same whatever the order of the rows."""
    top = counts.max(axis=1, keepdims=True)
    is_top = _close(counts, top)
    tied = is_top.sum(axis=1) > 1
    if tie == "prior":
        share = counts.sum(axis=0) if share is None else share
        among = np.where(is_top, share[None, :], -np.inf)
        is_top = is_top & _close(among, among.max(axis=1, keepdims=True))
    if tie in ("random", "prior"):
        noise = np.where(is_top, tie_noise(enc, seed), -1.0)
        return noise.argmax(axis=1), tied
    return is_top.argmax(axis=1), tied


def _worker_accuracy(enc: Encoded, winner: np.ndarray, valid: np.ndarray) -> pd.Series:
    """Share of each worker's answers (on decided tasks) that agree with the winner."""
    use = valid[enc.task_idx]
    hits = (winner[enc.task_idx] == enc.label_idx) & use
    n = np.bincount(enc.worker_idx, weights=use, minlength=enc.n_workers)
    k = np.bincount(enc.worker_idx, weights=hits, minlength=enc.n_workers)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    return pd.Series(acc, index=enc.worker_index(), name="skill")


class _VoteBase(Aggregator):
    """The votes' shared parts: the tie policy and its seed, checked once, and the
    tie-broken winner, probabilities and worker agreement from the vote scores."""

    def __init__(self, tie: TiePolicy = "prior", seed: int | None = 0) -> None:
        if tie not in _TIES:
            raise InvalidInput(f"tie must be one of {', '.join(_TIES)}, got {tie!r}")
        self.tie = tie
        self.seed = seed

    def _finish(self, enc: Encoded, scores: np.ndarray, true_labels: pd.Series | None) -> None:
        gold_t, gold_l = enc.gold(true_labels)
        share = scores.sum(axis=0)  # each label's votes over all tasks, before clamping
        positive = np.clip(scores, 0.0, None)
        totals = positive.sum(axis=1, keepdims=True)
        probas = np.divide(positive, totals, out=np.zeros_like(scores), where=totals > 0)
        clamp(probas, gold_t, gold_l)
        clamp(scores, gold_t, gold_l)
        winner, tied = _pick(enc, scores, self.tie, self.seed, share)
        values = pd.Series(enc.labels[winner], index=enc.task_index(), name="agg_label")
        decided = np.ones(enc.n_tasks, dtype=bool)
        if self.tie == "abstain":
            values = values.astype(object)
            values[tied] = None
            decided = ~tied
        self.labels_ = values
        self.probas_ = probas_frame(enc, probas)
        self.ties_ = pd.Series(tied, index=enc.task_index(), name="tied")
        self.skills_ = _worker_accuracy(enc, winner, decided)


class MajorityVote(_VoteBase):
    """Plurality vote per task with an explicit tie policy.

    ``tie="prior"`` (the default) gives a tie to the tied label with the larger
    share of all the answers, and only a tie there to the seeded draw of
    ``"random"``. The answer shares estimate the class prior, and when every worker
    is right with the same probability and errs uniformly (the model under which
    majority vote is the Bayes rule), labels tied on a task have posteriors in the
    ratio of their priors: the tie goes to the more probable one. (Where workers
    err more on one class, as on RTE, a tie says the opposite: there Dawid-Skene,
    which models it, is the method to use.) It was chosen over ``"random"`` by the
    mean accuracy over every crowd set and simulated crowd (docs/benchmarks.md,
    "The defaults, each from a table of candidates").
    ``tie="random"`` picks uniformly among the tied labels, seeded by ``seed`` and
    independent of the order of the rows (a hash of seed, task and label, see
    :func:`labelwell.quality._frame.tie_noise`), ``"first"``
    takes the first tied label in sorted label order, ``"abstain"`` leaves the
    task's label missing (``None``) and marks it in ``ties_``. Neither ``"prior"``
    nor ``"random"`` depends on the order of the rows.

    ``probas_`` are vote shares; ``skills_`` each worker's agreement with the
    result (as crowd-kit's ``MajorityVote.skills_``). Gold tasks given as
    ``true_labels`` keep their known label.
    """

    def fit(self, data: pd.DataFrame, true_labels: pd.Series | None = None) -> MajorityVote:
        enc = encode_answers(data, true_labels)
        self._finish(enc, enc.vote_counts(), true_labels)
        return self


class WeightedMajorityVote(_VoteBase):
    """Majority vote where each worker's answer counts with a weight: a
    gold-weighted vote.

    Weights are either given (``weights``: Series worker -> weight) or estimated
    from gold: a worker's smoothed accuracy on the gold tasks,
    ``(correct + 1) / (answered + 2)`` (Laplace rule). With
    ``weighting="log_odds"`` the weight is ``log((K - 1) p / (1 - p))``, the
    optimal weight for independent voters of accuracy ``p`` among ``K`` classes
    (Nitzan & Paroush 1982, eq. 3; Li & Yu 2014, Theorem 1). Workers without gold
    answers (or missing from ``weights``) get ``default_weight``, or the mean
    weight of the others when it is ``None``. Without gold and without
    ``weights`` every worker weighs the same and this is :class:`MajorityVote`;
    for a weighted vote that needs no gold use :class:`Wawa`.
    """

    def __init__(
        self,
        weights: pd.Series | None = None,
        weighting: Literal["accuracy", "log_odds"] = "accuracy",
        default_weight: float | None = None,
        tie: TiePolicy = "prior",
        seed: int | None = 0,
    ) -> None:
        super().__init__(tie, seed)
        if weighting not in ("accuracy", "log_odds"):
            raise InvalidInput(f"weighting must be 'accuracy' or 'log_odds', got {weighting!r}")
        self.weights = weights
        self.weighting = weighting
        self.default_weight = default_weight

    def _gold_weights(self, enc: Encoded, true_labels: pd.Series | None) -> np.ndarray:
        gold_t, gold_l = enc.gold(true_labels)
        if not len(gold_t):
            return np.ones(enc.n_workers)
        truth = np.full(enc.n_tasks, -1, dtype=np.int64)
        truth[gold_t] = gold_l
        known = truth[enc.task_idx] >= 0
        hits = known & (truth[enc.task_idx] == enc.label_idx)
        n = np.bincount(enc.worker_idx, weights=known, minlength=enc.n_workers)
        k = np.bincount(enc.worker_idx, weights=hits, minlength=enc.n_workers)
        acc = (k + 1.0) / (n + 2.0)
        if self.weighting == "log_odds":
            weight = np.log(max(enc.n_labels - 1, 1) * acc / (1.0 - acc))
        else:
            weight = acc
        return np.where(n > 0, weight, np.nan)

    def fit(self, data: pd.DataFrame, true_labels: pd.Series | None = None) -> WeightedMajorityVote:
        enc = encode_answers(data, true_labels)
        if self.weights is not None:
            w = self.weights.reindex(enc.worker_index()).to_numpy(dtype=float)
        else:
            w = self._gold_weights(enc, true_labels)
        missing = np.isnan(w)
        if missing.any():
            if self.default_weight is not None:
                fill = self.default_weight
            else:
                fill = float(np.nanmean(w)) if (~missing).any() else 1.0
            w = np.where(missing, fill, w)
        self.weights_ = pd.Series(w, index=enc.worker_index(), name="weight")
        self._finish(enc, enc.vote_counts(w[enc.worker_idx]), true_labels)
        return self


class Wawa(_VoteBase):
    """Worker Agreement With Aggregate: a majority vote, then each worker's share of
    answers that agree with it as the worker's weight, then a weighted vote.

    The definition of crowd-kit's ``Wawa`` (Ustalov et al., "Learning from crowds
    with Crowd-Kit", JOSS 9(96), 2024, Section "Aggregation methods"), used by
    Appen/Figure Eight as "trust". Needs no gold. Ties are broken as in
    :class:`MajorityVote`, in both votes (with ``"prior"``, by each label's share of
    the votes of that round). Fitted: ``labels_``, ``probas_``
    (weighted vote shares), ``skills_`` (each worker's agreement with the first
    vote, the weights), ``ties_``.
    """

    def fit(self, data: pd.DataFrame, true_labels: pd.Series | None = None) -> Wawa:
        enc = encode_answers(data, true_labels)
        counts = enc.vote_counts()
        gold_t, gold_l = enc.gold(true_labels)
        clamp(counts, gold_t, gold_l)
        first, _ = _pick(enc, counts, self.tie if self.tie != "abstain" else "first", self.seed)
        skills = _worker_accuracy(enc, first, np.ones(enc.n_tasks, dtype=bool)).to_numpy()
        self._finish(enc, enc.vote_counts(skills[enc.worker_idx]), true_labels)
        self.skills_ = pd.Series(skills, index=enc.worker_index(), name="skill")
        return self
