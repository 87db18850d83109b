"""GLAD: worker ability and task difficulty, fitted by EM with L-BFGS M-steps."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from labelwell.errors import InvalidInput
from labelwell.quality._em import Convergence, check_iterations, posterior
from labelwell.quality._frame import (
    Aggregator,
    Encoded,
    encode_answers,
    labels_series,
    probas_frame,
)


class GLAD(Aggregator):
    r"""Generative model of Labels, Abilities and Difficulties.

    J. Whitehill, P. Ruvolo, T. Wu, J. Bergsma and J. Movellan, "Whose vote
    should count more: optimal integration of labels from labelers of unknown
    expertise", *NIPS* 2009. Worker ``i`` answers task ``j`` correctly with
    probability :math:`\sigma(\alpha_i \beta_j)` (eq. 1), otherwise uniformly among
    the ``K - 1`` wrong labels (the multi-class form of Section 4). As in the
    paper (and crowd-kit) :math:`\beta_j = e^{b_j}` keeps difficulty positive and
    Gaussian priors :math:`\alpha \sim N(\mu_\alpha, \sigma_\alpha^2)`,
    :math:`b \sim N(\mu_b, \sigma_b^2)` regularise the M-step (``alphas_priors_mean``,
    ``alphas_priors_sd``, ``betas_priors_mean``, ``betas_priors_sd``).

    The paper and crowd-kit use :math:`\sigma = 1`. With it, workers with a few
    dozen answers of accuracy .55-.75 get abilities fitted to noise, and the fit
    drifts from the equal-weight (majority-vote) start to a worse one of higher
    posterior (.667 against .712 for majority vote on a simulated crowd of such
    workers with 3 answers a task). The defaults :math:`\sigma_\alpha = 0.2`,
    :math:`\sigma_b = 0.3` had the highest mean accuracy over every crowd set and
    simulated crowd among ten candidates, tied (within one task) with
    :math:`\sigma_\alpha = 0.1`, and the tie goes to the nearer to the paper's
    (docs/benchmarks.md, "The defaults, each from a table of candidates"); they
    shrink abilities and difficulties towards the prior means unless many
    answers say otherwise. The label prior stays
    uniform: learned as in Dawid-Skene (eq. 2.4), it absorbs the workers'
    class-dependent errors on real crowds (one label is harder to see), which
    GLAD's one-coin answers cannot hold, into the prior and collapses (bluebird
    .694, product .906 against .731 and .928 uniform, with the paper's priors).

    E-step (eq. 2): :math:`p(z_j = k) \propto p_k \prod_i p(l_{ij} | z_j = k)`.
    M-step: maximise the expected log-likelihood Q (eq. 3) plus the log priors;
    with :math:`q_{ij} = p(z_j = l_{ij})` its gradient is
    :math:`\partial Q / \partial \alpha_i = \sum_j (q_{ij} - \sigma_{ij}) \beta_j`,
    :math:`\partial Q / \partial b_j = \sum_i (q_{ij} - \sigma_{ij}) \alpha_i \beta_j`
    (eqs. 4-5), computed with ``np.bincount`` and optimised by L-BFGS.
    Gold tasks (``true_labels``) are clamped. Label priors stay uniform unless
    ``labels_priors`` is given, as in crowd-kit.

    The M-step only improves Q (a generalised EM), which never lowers the log
    posterior :math:`\sum_j \log p(l_j | \alpha, \beta) + \log p(\alpha) + \log p(b)`;
    the fit stops when that log posterior per answer has less than ``tol`` left to
    gain (Aitken's estimate, :mod:`labelwell.quality._em`) after ``min_iter``
    iterations. (Q itself moves with the posteriors and may fall while
    the fit still improves: stopping on Q ended some fits after 2 iterations.)

    Fitted: ``probas_``, ``labels_``, ``alphas_`` (worker ability), ``betas_``
    (log inverse difficulty ``b_j`` per task, crowd-kit's parameterisation),
    ``skills_`` (= ``alphas_``), ``objective_history_`` (log posterior per answer,
    each iteration; also ``loss_history_``), ``n_iter_``, ``converged_``.
    """

    def __init__(
        self,
        n_iter: int = 100,
        tol: float = 1e-5,
        labels_priors: pd.Series | None = None,
        alphas_priors_mean: float = 1.0,
        betas_priors_mean: float = 1.0,
        m_step_max_iter: int = 25,
        m_step_tol: float = 1e-2,
        min_iter: int = 5,
        alphas_priors_sd: float = 0.2,
        betas_priors_sd: float = 0.3,
    ) -> None:
        check_iterations(n_iter, min_iter, tol)
        if not (alphas_priors_sd > 0 and betas_priors_sd > 0):
            raise InvalidInput(
                "alphas_priors_sd and betas_priors_sd must be > 0, got "
                f"{alphas_priors_sd!r} and {betas_priors_sd!r}",
                field="alphas_priors_sd",
            )
        self.alphas_priors_sd = float(alphas_priors_sd)
        self.betas_priors_sd = float(betas_priors_sd)
        self.n_iter = n_iter
        self.min_iter = min_iter
        self.tol = tol
        self.labels_priors = labels_priors
        self.alphas_priors_mean = alphas_priors_mean
        self.betas_priors_mean = betas_priors_mean
        self.m_step_max_iter = m_step_max_iter
        self.m_step_tol = m_step_tol

    def _e_step(
        self, enc: Encoded, alpha: np.ndarray, b: np.ndarray, log_priors: np.ndarray
    ) -> np.ndarray:
        k = enc.n_labels
        x = alpha[enc.worker_idx] * np.exp(b[enc.task_idx])
        log_right = log_expit(x)
        log_wrong = log_expit(-x) - np.log(max(k - 1, 1))
        base = np.bincount(enc.task_idx, log_wrong, minlength=enc.n_tasks)
        flat = enc.task_idx * k + enc.label_idx
        bonus = np.bincount(flat, log_right - log_wrong, minlength=enc.n_tasks * k)
        log_post: np.ndarray = bonus.reshape(enc.n_tasks, k) + base[:, None] + log_priors
        return log_post

    def _objective(
        self, enc: Encoded, q: np.ndarray
    ) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
        n_w = enc.n_workers
        log_km1 = np.log(max(enc.n_labels - 1, 1))
        mu_a, mu_b = self.alphas_priors_mean, self.betas_priors_mean
        prec_a, prec_b = self.alphas_priors_sd**-2, self.betas_priors_sd**-2

        def negative_q(theta: np.ndarray) -> tuple[float, np.ndarray]:
            alpha, b = theta[:n_w], theta[n_w:]
            beta = np.exp(b)
            beta_j = beta[enc.task_idx]
            alpha_i = alpha[enc.worker_idx]
            x = alpha_i * beta_j
            value = np.dot(q, log_expit(x)) + np.dot(1 - q, log_expit(-x) - log_km1)
            value += self._log_prior(alpha, b)
            residual = q - expit(x)
            grad_a: np.ndarray = np.bincount(enc.worker_idx, residual * beta_j, minlength=n_w)
            grad_b: np.ndarray = np.bincount(enc.task_idx, residual * x, minlength=enc.n_tasks)
            grad_a -= prec_a * (alpha - mu_a)
            grad_b -= prec_b * (b - mu_b)
            return -value, -np.concatenate([grad_a, grad_b])

        return negative_q

    def _log_prior(self, alpha: np.ndarray, b: np.ndarray) -> float:
        """Log density of the Gaussian priors, less its constant."""
        da = (alpha - self.alphas_priors_mean) / self.alphas_priors_sd
        db = (b - self.betas_priors_mean) / self.betas_priors_sd
        return -0.5 * float(np.dot(da, da) + np.dot(db, db))

    def fit(self, data: pd.DataFrame, true_labels: pd.Series | None = None) -> GLAD:
        enc = encode_answers(data, true_labels)
        gold_t, gold_l = enc.gold(true_labels)
        if self.labels_priors is not None:
            priors = self.labels_priors.reindex(enc.label_index()).fillna(0).to_numpy(float)
        else:
            priors = np.full(enc.n_labels, 1.0 / enc.n_labels)
        log_priors = np.log(np.maximum(priors, 1e-300))
        alpha = np.ones(enc.n_workers)
        b = np.ones(enc.n_tasks)
        trace = Convergence(self.tol, self.min_iter, self.n_iter)
        while True:
            probas, loglik = posterior(self._e_step(enc, alpha, b, log_priors), gold_t, gold_l)
            if trace.done((loglik + self._log_prior(alpha, b)) / enc.n_answers):
                break
            q = probas[enc.task_idx, enc.label_idx]
            fun = self._objective(enc, q)
            result = minimize(
                fun,
                np.concatenate([alpha, b]),
                jac=True,
                method="L-BFGS-B",
                tol=self.m_step_tol,
                options={"maxiter": self.m_step_max_iter},
            )
            alpha, b = result.x[: enc.n_workers], result.x[enc.n_workers :]
        self.objective_history_ = self.loss_history_ = trace.history
        self.n_iter_ = trace.n_iter
        self.converged_ = trace.converged
        self.probas_ = probas_frame(enc, probas)
        self.labels_ = labels_series(enc, probas)
        self.alphas_ = pd.Series(alpha, index=enc.worker_index(), name="alpha")
        self.betas_ = pd.Series(b, index=enc.task_index(), name="beta")
        self.skills_ = self.alphas_.rename("skill")
        return self
