"""MACE: Multi-Annotator Competence Estimation (EM or variational Bayes)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import digamma

from labelwell.errors import InvalidInput
from labelwell.quality._em import Convergence, check_iterations, dirichlet_kl
from labelwell.quality._frame import (
    Aggregator,
    Encoded,
    encode_answers,
    keyed_uniform,
    labels_series,
    probas_frame,
    softmax_rows,
)


def _normalize(counts: np.ndarray, smoothing: float) -> np.ndarray:
    counts = counts + smoothing
    normalized: np.ndarray = counts / counts.sum(axis=-1, keepdims=True)
    return normalized


def _variational_normalize(counts: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Mean-field update ``exp(psi(c + a)) / exp(psi(sum(c + a)))`` (Hovy et al. 2013, Sec. 2.2)."""
    posterior = counts + prior
    expected: np.ndarray = np.exp(
        digamma(posterior) - digamma(posterior.sum(axis=-1, keepdims=True))
    )
    return expected


class MACE(Aggregator):
    r"""Multi-Annotator Competence Estimation.

    D. Hovy, T. Berg-Kirkpatrick, A. Vaswani and E. Hovy, "Learning whom to trust
    with MACE", *NAACL-HLT* 2013, 1120-1130. The true label :math:`T_i` is uniform;
    annotator ``j`` spams on item ``i`` with probability :math:`1 - \theta_j`
    (:math:`S_{ij} \sim Bernoulli(1-\theta_j)`), answering from their own
    distribution :math:`\xi_j`, and otherwise gives :math:`T_i`. So
    :math:`P(A_{ij} = a | T_i = t) = (1 - \theta_j)\xi_{ja} + \theta_j [a = t]`
    (eq. 1). EM computes the expected counts of :math:`S` and of the spam answers
    (Section 2.1); ``method="em"`` (the default) adds ``smoothing`` pseudo-counts
    to every expected count before normalising, the posterior mode under symmetric
    Dirichlet(1 + ``smoothing``) priors on :math:`\theta` and :math:`\xi`
    (``smoothing=None``: ``0.01 / K``, the paper's and crowd-kit's);
    ``method="vb"`` replaces the M-step by the variational update with
    Beta(``alpha``, ``beta``) priors on :math:`\theta` and symmetric Dirichlet(10)
    priors on :math:`\xi` (Section 2.2, crowd-kit's default). The best of
    ``n_restarts`` random starts by marginal likelihood is kept; each worker's
    starting values are drawn for that worker from ``random_state``, not for its
    row position, so the order of the rows does not change the fit. Gold tasks
    (``true_labels``) are clamped in every E-step.

    ``method="em", smoothing=2`` had the highest mean accuracy over every crowd
    set and simulated crowd among ten candidates (three Beta priors for ``"vb"``,
    seven smoothings for ``"em"``; docs/benchmarks.md, "The defaults, each from a
    table of candidates"): .8918 against .8825 for the paper's
    ``"vb"``/Beta(0.5, 0.5) and .8669 for ``"em"`` with ``0.01 / K``. Two
    pseudo-answers keep a worker with a few dozen answers from being fitted as
    always knowing or always spamming.

    Each iteration records the objective the updates climb, per answer: the
    evidence lower bound for ``"vb"`` (the E-step's log normaliser less the
    Kullback-Leibler divergences of the Beta and Dirichlet posteriors from their
    priors; Bishop 2006, eq. 10.70-10.71) and the log posterior for ``"em"`` (the
    smoothing acts as a Dirichlet prior). The fit stops when no start has ``tol``
    left to gain (:mod:`labelwell.quality._em`) after ``min_iter`` iterations, or
    after ``n_iter``.

    The paper fixes the prior of :math:`T_i` to uniform (``learn_priors=False``).
    By default the class prior is instead re-estimated in each iteration as the
    mean posterior (Dawid & Skene 1979, eq. 2.4): with a uniform prior MACE
    explains the rare class of skewed data as spam (D_Product, 12% positives:
    accuracy .83 uniform, .94 learned; mean over every crowd set and simulated
    crowd .8155 uniform, .8918 learned). Choosing between the two per data set by
    AIC or BIC (Akaike 1974; Schwarz 1978) was tried and rejected (mean .847):
    the spam explanation fits weak skewed crowds with the same likelihood, so the
    criteria keep the uniform prior where it fails (docs/benchmarks.md, "MACE,
    class prior").

    Fitted: ``probas_``, ``labels_``, ``spamming_`` (workers x 2: probability of
    spamming, of knowing, as crowd-kit), ``thetas_`` (workers x labels: the spam
    distribution :math:`\xi`), ``skills_`` (probability of knowing), ``priors_``,
    ``log_marginal_likelihood_``, ``objective_history_`` (of the start kept;
    ``restarts_history_``: iterations x starts),
    ``n_iter_``, ``converged_``.
    """

    def __init__(
        self,
        n_restarts: int = 10,
        n_iter: int = 50,
        method: Literal["vb", "em"] = "em",
        smoothing: float | None = 2.0,
        default_noise: float = 0.5,
        alpha: float = 0.5,
        beta: float = 0.5,
        random_state: int = 0,
        learn_priors: bool = True,
        tol: float = 1e-5,
        min_iter: int = 5,
    ) -> None:
        if method not in ("vb", "em"):
            raise InvalidInput(f"method must be 'vb' or 'em', got {method!r}")
        check_iterations(n_iter, min_iter, tol)
        if smoothing is not None and not smoothing >= 0:
            raise InvalidInput(f"smoothing must be >= 0 or None, got {smoothing!r}")
        self.tol = tol
        self.min_iter = min_iter
        self.n_restarts = n_restarts
        self.n_iter = n_iter
        self.method = method
        self.smoothing = smoothing
        self.default_noise = default_noise
        self.alpha = alpha
        self.beta = beta
        self.random_state = random_state
        self.learn_priors = learn_priors

    @staticmethod
    def _e_step(
        enc: Encoded,
        answers: sp.csr_matrix,
        answers_t: sp.csr_matrix,
        n_pairs: np.ndarray,
        spamming: np.ndarray,
        thetas: np.ndarray,
        gold: tuple[np.ndarray, np.ndarray],
        log_priors: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Posteriors and expected counts for ``R`` parameter sets at once
        (``spamming``: R x workers x 2, ``thetas``: R x workers x labels).

        All answers a worker gives with the same label share their numbers, so the
        sums over answers are two sparse products, as in Dawid-Skene. Returns the
        log marginal likelihood per set, posteriors (tasks x R x labels), expected
        spam answers per ``(worker, label)`` and expected (spam, knowing) counts.
        """
        k, n_w = enc.n_labels, enc.n_workers
        r = spamming.shape[0]
        spam = spamming[..., :1] * thetas  # P(answer a, spamming): R x W x K
        know = np.broadcast_to(spamming[..., 1:], spam.shape)  # P(answer a, knowing | T = a)
        diag = np.arange(k)
        table = np.repeat(np.log(spam)[..., None], k, axis=3)  # [r, w, a, t]
        table[:, :, diag, diag] = np.log(spam + know)
        table = table.transpose(1, 2, 0, 3).reshape(n_w * k, r * k)
        log_joint = (answers @ table).reshape(enc.n_tasks * r, k)
        log_joint += np.tile(log_priors, (enc.n_tasks, 1))
        gold_t, gold_l = gold
        gold_joint = log_joint.reshape(enc.n_tasks, r, k)[gold_t, :, gold_l]
        probas, lse = softmax_rows(log_joint, inplace=True)
        probas = probas.reshape(enc.n_tasks, r, k)
        lse = lse.reshape(enc.n_tasks, r)
        if len(gold_t):
            lse[gold_t] = gold_joint
            probas[gold_t] = 0.0
            probas[gold_t, :, gold_l] = 1.0
        counts = (answers_t @ probas.reshape(enc.n_tasks, r * k)).reshape(n_w, k, r, k)
        right = np.diagonal(counts, axis1=1, axis2=3).transpose(1, 0, 2)  # R x W x K
        knowing_pairs = right * know / (spam + know)
        strategy = n_pairs - knowing_pairs
        knowing = np.stack([strategy.sum(axis=-1), knowing_pairs.sum(axis=-1)], axis=-1)
        lml = lse.sum(axis=0)
        return lml, probas, strategy, knowing

    def fit(self, data: pd.DataFrame, true_labels: pd.Series | None = None) -> MACE:
        enc = encode_answers(data, true_labels)
        gold = enc.gold(true_labels)
        n_w, k = enc.n_workers, enc.n_labels
        r = max(self.n_restarts, 1)
        smoothing = self.smoothing if self.smoothing is not None else 0.01 / k
        theta_prior = np.array([self.alpha, self.beta])
        strategy_prior = np.full(k, 10.0)
        answers = enc.task_by_worker_label()
        answers_t = answers.T.tocsr()
        n_pairs = np.asarray(answers_t.sum(axis=1)).reshape(n_w, k)
        args = (enc, answers, answers_t, n_pairs)
        # the restarts run side by side: one sparse product serves all of them
        # each worker's starting values, uniform on [1, 2 + default_noise], are drawn
        # for the worker, not for its position, so row order does not change the fit
        draws = keyed_uniform(enc.workers, self.random_state, r * (2 + k))
        draws = 1.0 + (1.0 + self.default_noise) * draws.reshape(n_w, r, 2 + k).transpose(1, 0, 2)
        spamming, thetas = draws[..., :2].copy(), draws[..., 2:].copy()
        spamming /= spamming.sum(axis=-1, keepdims=True)
        thetas /= thetas.sum(axis=-1, keepdims=True)
        log_priors = np.full((r, k), -np.log(k))
        lml, probas, strategy, knowing = self._e_step(*args, spamming, thetas, gold, log_priors)
        trace = Convergence(self.tol, self.min_iter, self.n_iter)
        while True:
            if self.learn_priors:
                log_priors = np.log(np.maximum(probas.mean(axis=0), 1e-10))
            if self.method == "vb":
                spamming = _variational_normalize(knowing, theta_prior)
                thetas = _variational_normalize(strategy, strategy_prior)
                penalty = dirichlet_kl(knowing + theta_prior, theta_prior).sum(axis=-1)
                penalty += dirichlet_kl(strategy + strategy_prior, strategy_prior).sum(axis=-1)
            else:
                spamming = _normalize(knowing, smoothing)
                thetas = _normalize(strategy, smoothing)
                penalty = -smoothing * (
                    np.log(spamming).sum(axis=(1, 2)) + np.log(thetas).sum(axis=(1, 2))
                )
            lml, probas, strategy, knowing = self._e_step(*args, spamming, thetas, gold, log_priors)
            if trace.done((lml - penalty) / enc.n_answers):
                break
        objective = np.asarray(trace.history)
        best = int(np.argmax(objective[-1]))
        self.objective_history_ = [float(v) for v in objective[:, best]]
        self.restarts_history_ = objective
        self.n_iter_ = trace.n_iter
        self.converged_ = trace.converged
        spamming, thetas, log_priors = spamming[best], thetas[best], log_priors[best]
        best_lml = float(lml[best])
        probas = probas[:, best, :]
        self.log_marginal_likelihood_ = best_lml
        self.priors_ = pd.Series(np.exp(log_priors), index=enc.label_index(), name="prior")
        self.spamming_ = spamming
        self.thetas_ = thetas
        self.probas_ = probas_frame(enc, probas)
        self.labels_ = labels_series(enc, probas)
        self.skills_ = pd.Series(spamming[:, 1], index=enc.worker_index(), name="skill")
        return self
