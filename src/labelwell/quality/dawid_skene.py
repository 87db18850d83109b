"""Dawid-Skene (full confusion matrices) and one-coin Dawid-Skene, by EM.

The E- and M-steps are two sparse products with the ``tasks x (workers*labels)``
answer matrix, so one iteration costs O(answers x labels) in C, with no Python
loop over answers, tasks or workers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from labelwell.errors import InvalidInput
from labelwell.quality._em import Convergence, check_iterations, posterior
from labelwell.quality._frame import (
    Aggregator,
    Encoded,
    clamp,
    encode_answers,
    labels_series,
    probas_frame,
)

_EPS = 1e-10


def _initial_probas(enc: Encoded, gold_t: np.ndarray, gold_l: np.ndarray) -> np.ndarray:
    counts = enc.vote_counts()
    probas = counts / counts.sum(axis=1, keepdims=True)
    return clamp(probas, gold_t, gold_l)


def _record(model: DawidSkene | OneCoinDawidSkene, trace: Convergence) -> None:
    model.objective_history_ = trace.history
    model.loss_history_ = trace.history
    model.n_iter_ = trace.n_iter
    model.converged_ = trace.converged


class DawidSkene(Aggregator):
    r"""Dawid-Skene model: each worker has a full ``K x K`` confusion matrix.

    A. P. Dawid and A. M. Skene, "Maximum likelihood estimation of observer
    error-rates using the EM algorithm", *Applied Statistics* 28(1), 1979, 20-28.

    E-step (eq. 2.5): :math:`T_{jk} \propto p_k \prod_w \prod_l (\pi^{w}_{kl})^{n^{w}_{jl}}`.
    M-step (eqs. 2.3, 2.4): :math:`\pi^{w}_{kl} \propto \sum_j T_{jk} n^{w}_{jl}`,
    :math:`p_k = \frac{1}{J}\sum_j T_{jk}`. Started from majority-vote shares and
    stopped when the objective per answer has less than ``tol`` left to gain after
    at least ``min_iter`` iterations (see :mod:`labelwell.quality._em`). Gold tasks
    (``true_labels``) are clamped: their ``T`` stays one-hot.

    ``confusion_prior = (a, b)`` puts a Dirichlet prior on each column of each
    worker's confusion matrix (the answers given one true class): concentration
    ``a`` on the right answer and ``b`` on each wrong one, as the Bayesian
    classifier combination of Kim and Ghahramani (AISTATS 2012, Section 2) and
    EBCC (Li et al. 2019, with ``a_v = 4, b_v = 1``). EM then
    finds the posterior mode (Dempster, Laird and Rubin 1977, Section 4.6): the
    M-step adds ``a - 1`` and ``b - 1`` pseudo-answers,
    :math:`\pi^{w}_{kl} \propto \sum_j T_{jk} n^{w}_{jl} + \alpha_{kl} - 1`, and the
    objective recorded is the log posterior (log-likelihood plus
    :math:`\sum (\alpha_{kl} - 1) \log \pi^{w}_{kl}`). ``(1, 1)`` is the paper's
    maximum-likelihood fit. Without the prior, workers with a few dozen answers of
    accuracy .55-.75 get confusion matrices fitted to noise and the fit drifts
    from the majority-vote start to a worse optimum of higher likelihood (.455 on
    a simulated 85/15 crowd where majority vote gets .800). The default ``(6, 2)``
    (5 right and 1 wrong pseudo-answer per true class) had the highest mean
    accuracy over every crowd set and simulated crowd among ten candidates
    (docs/benchmarks.md, "The defaults, each from a table of candidates").

    Fitted: ``probas_`` (task x label), ``labels_``, ``priors_`` (label),
    ``errors_`` (index ``worker, label`` = observed label, columns = true label,
    each column of a worker's block sums to 1, as crowd-kit), ``skills_``
    (worker accuracy under the priors), ``objective_history_`` (log posterior per
    answer, each iteration, the log-likelihood when ``confusion_prior=(1, 1)``;
    also ``loss_history_``), ``n_iter_``, ``converged_``.
    """

    objective_history_: list[float | np.ndarray]
    loss_history_: list[float | np.ndarray]
    n_iter_: int
    converged_: bool

    def __init__(
        self,
        n_iter: int = 100,
        tol: float = 1e-5,
        min_iter: int = 5,
        confusion_prior: tuple[float, float] = (6.0, 2.0),
    ) -> None:
        check_iterations(n_iter, min_iter, tol)
        a, b = (float(x) for x in confusion_prior)
        if not (a >= 1 and b >= 1):
            raise InvalidInput(
                "confusion_prior must be two Dirichlet concentrations >= 1, "
                f"got {confusion_prior!r}",
                field="confusion_prior",
            )
        self.n_iter = n_iter
        self.tol = tol
        self.min_iter = min_iter
        self.confusion_prior = (a, b)

    def _pseudo_counts(self, k: int) -> np.ndarray:
        """``alpha - 1`` per (observed, true) cell."""
        a, b = self.confusion_prior
        extra = np.full((k, k), b - 1.0)
        np.fill_diagonal(extra, a - 1.0)
        return extra

    def _m_step(
        self, enc: Encoded, answers_t: sp.csr_matrix, probas: np.ndarray, extra: np.ndarray
    ) -> np.ndarray:
        k = enc.n_labels
        counts = np.asarray(answers_t @ probas).reshape(enc.n_workers, k, k)  # [w, observed, true]
        counts += extra
        np.maximum(counts, _EPS, out=counts)
        counts /= counts.sum(axis=1, keepdims=True)
        return counts

    def fit(self, data: pd.DataFrame, true_labels: pd.Series | None = None) -> DawidSkene:
        enc = encode_answers(data, true_labels)
        gold_t, gold_l = enc.gold(true_labels)
        k = enc.n_labels
        answers = enc.task_by_worker_label()
        answers_t = answers.T.tocsr()
        extra = self._pseudo_counts(k)
        probas = _initial_probas(enc, gold_t, gold_l)
        priors = np.maximum(probas.mean(axis=0), _EPS)
        errors = self._m_step(enc, answers_t, probas, extra)
        trace = Convergence(self.tol, self.min_iter, self.n_iter)
        while True:
            log_errors = np.log(errors)
            log_joint = answers @ log_errors.reshape(enc.n_workers * k, k)
            log_joint += np.log(priors)
            probas, loglik = posterior(log_joint, gold_t, gold_l)
            log_prior = float(np.einsum("wot,ot->", log_errors, extra))
            priors = np.maximum(probas.mean(axis=0), _EPS)
            errors = self._m_step(enc, answers_t, probas, extra)
            if trace.done((loglik + log_prior) / enc.n_answers):
                break
        _record(self, trace)
        self.probas_ = probas_frame(enc, probas)
        self.labels_ = labels_series(enc, probas)
        self.priors_ = pd.Series(priors / priors.sum(), index=enc.label_index(), name="prior")
        index = pd.MultiIndex.from_product([enc.workers, enc.labels], names=["worker", "label"])
        self.errors_ = pd.DataFrame(
            errors.reshape(enc.n_workers * k, k), index=index, columns=enc.label_index()
        )
        diag = np.einsum("wkk->wk", errors) @ self.priors_.to_numpy()
        self.skills_ = pd.Series(diag, index=enc.worker_index(), name="skill")
        return self


class OneCoinDawidSkene(Aggregator):
    r"""One-coin Dawid-Skene: worker ``w`` is right with probability ``s_w`` and
    otherwise picks one of the ``K - 1`` wrong labels uniformly.

    Y. Zhang, X. Chen, D. Zhou and M. I. Jordan, "Spectral methods meet EM: a
    provably optimal algorithm for crowdsourcing", *JMLR* 17, 2016, eq. (1) and
    the EM updates of Section 2.2:
    :math:`s_w = \frac{1}{|J_w|}\sum_{j \in J_w} T_{j, y_{wj}}`,
    :math:`T_{jk} \propto p_k \prod_w s_w^{[y_{wj}=k]} ((1-s_w)/(K-1))^{[y_{wj}\ne k]}`.
    Gold tasks are clamped. Stops on the observed-data log-likelihood as
    :class:`DawidSkene`. Fitted: ``probas_``, ``labels_``, ``priors_``, ``skills_``
    (s_w), ``errors_`` (as :class:`DawidSkene`), ``objective_history_``,
    ``n_iter_``, ``converged_``.
    """

    objective_history_: list[float | np.ndarray]
    loss_history_: list[float | np.ndarray]
    n_iter_: int
    converged_: bool

    def __init__(self, n_iter: int = 100, tol: float = 1e-5, min_iter: int = 5) -> None:
        check_iterations(n_iter, min_iter, tol)
        self.n_iter = n_iter
        self.tol = tol
        self.min_iter = min_iter

    @staticmethod
    def _skills(enc: Encoded, probas: np.ndarray) -> np.ndarray:
        right = probas[enc.task_idx, enc.label_idx]
        total = np.bincount(enc.worker_idx, weights=right, minlength=enc.n_workers)
        n = np.bincount(enc.worker_idx, minlength=enc.n_workers)
        return np.clip(total / np.maximum(n, 1), _EPS, 1 - _EPS)

    def fit(self, data: pd.DataFrame, true_labels: pd.Series | None = None) -> OneCoinDawidSkene:
        enc = encode_answers(data, true_labels)
        gold_t, gold_l = enc.gold(true_labels)
        k = enc.n_labels
        probas = _initial_probas(enc, gold_t, gold_l)
        priors = np.maximum(probas.mean(axis=0), _EPS)
        skills = self._skills(enc, probas)
        flat = enc.task_idx * k + enc.label_idx
        trace = Convergence(self.tol, self.min_iter, self.n_iter)
        while True:
            log_right = np.log(skills)
            log_wrong = np.log((1 - skills) / max(k - 1, 1))
            base = np.bincount(enc.task_idx, log_wrong[enc.worker_idx], minlength=enc.n_tasks)
            bonus = np.bincount(
                flat, (log_right - log_wrong)[enc.worker_idx], minlength=enc.n_tasks * k
            ).reshape(enc.n_tasks, k)
            log_joint = bonus + base[:, None] + np.log(priors)
            probas, loglik = posterior(log_joint, gold_t, gold_l)
            priors = np.maximum(probas.mean(axis=0), _EPS)
            skills = self._skills(enc, probas)
            if trace.done(loglik / enc.n_answers):
                break
        _record(self, trace)
        self.probas_ = probas_frame(enc, probas)
        self.labels_ = labels_series(enc, probas)
        self.priors_ = pd.Series(priors / priors.sum(), index=enc.label_index(), name="prior")
        self.skills_ = pd.Series(skills, index=enc.worker_index(), name="skill")
        off = (1 - skills) / max(k - 1, 1)
        errors = np.repeat(off[:, None, None], k, axis=1).repeat(k, axis=2)
        errors[:, np.arange(k), np.arange(k)] = skills[:, None]
        index = pd.MultiIndex.from_product([enc.workers, enc.labels], names=["worker", "label"])
        self.errors_ = pd.DataFrame(
            errors.reshape(enc.n_workers * k, k), index=index, columns=enc.label_index()
        )
        return self
