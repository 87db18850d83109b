"""EBCC: enhanced Bayesian classifier combination, which models worker correlation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import digamma, gammaln, logsumexp

from labelwell.errors import InvalidInput
from labelwell.quality._frame import (
    Aggregator,
    encode_answers,
    keyed_uniform,
    labels_series,
    probas_frame,
)


def _dirichlet_entropy(conc: np.ndarray) -> np.ndarray:
    """Entropy of Dirichlet(``conc``) along the last axis."""
    total = conc.sum(axis=-1)
    k = conc.shape[-1]
    log_b = gammaln(conc).sum(axis=-1) - gammaln(total)
    entropy: np.ndarray = (
        log_b + (total - k) * digamma(total) - ((conc - 1.0) * digamma(conc)).sum(axis=-1)
    )
    return entropy


class EBCC(Aggregator):
    r"""Enhanced Bayesian Classifier Combination.

    Y. Li, B. I. P. Rubinstein and T. Cohn, "Exploiting worker correlation for label
    aggregation in crowdsourcing", *ICML* 2019, Sections 3-4. Each true class
    ``k`` has ``M`` latent subtypes; correlated workers share confusion patterns
    within a subtype. The generative model (Section 3):

    :math:`\tau \sim Dir(\alpha)`, :math:`\pi_k \sim Dir(a_\pi / M)`,
    :math:`v_{jkm} \sim Dir(\beta_k)` with :math:`\beta_{kk} = a_v`,
    :math:`\beta_{kl} = b_v` (:math:`l \ne k`);
    :math:`z_i \sim Cat(\tau)`, :math:`g_i \sim Cat(\pi_{z_i})`,
    :math:`y_{ij} \sim Cat(v_{j z_i g_i})`.

    Mean-field variational inference (Section 4) with
    :math:`q(z_i = k, g_i = m) = \rho_{ikm}` alternates

    :math:`\eta_{km} = a_\pi / M + \sum_i \rho_{ikm}`,
    :math:`\nu_k = \alpha_k + \sum_{i,m} \rho_{ikm}`,
    :math:`\mu_{jkml} = \beta_{kl} + \sum_{i: y_{ij} = l} \rho_{ikm}`, and
    :math:`\log \rho_{ikm} = E[\log \pi_{km}] + E[\log \tau_k] +
    \sum_j E[\log v_{jkm y_{ij}}] + const`,

    with :math:`E[\log x_a] = \psi(c_a) - \psi(\sum_b c_b)` under Dirichlet(c),
    starting from the majority-vote :math:`z` and random subtype shares (drawn
    for each task from ``random_state``, not for its row position, so the order
    of the rows does not change the fit), until
    no :math:`q(z_i = k)` moves by more than ``atol`` (the authors' rule). Each of
    ``n_restarts`` seeded starts is scored by its evidence lower bound and the
    best kept. ``empirical_prior`` sets :math:`\alpha` to the majority-vote class
    counts, as the authors' code allows. Defaults are the authors' (``M = 10``,
    :math:`a_\pi = 0.1`, :math:`\alpha = 1`, :math:`a_v = 4`, :math:`b_v = 1`,
    500 iterations). Gold tasks are clamped to their class (any subtype).

    Fitted: ``labels_``, ``probas_`` (:math:`q(z_i)`), ``elbo_`` (of the start
    kept), ``elbos_`` (every start), ``n_iter_``, ``skills_`` (each worker's
    expected probability of answering the true class, averaged over the fitted
    class and subtype shares).
    """

    def __init__(
        self,
        n_groups: int = 10,
        a_pi: float = 0.1,
        alpha: float = 1.0,
        a_v: float = 4.0,
        b_v: float = 1.0,
        n_iter: int = 500,
        atol: float = 1e-3,
        n_restarts: int = 1,
        empirical_prior: bool = False,
        random_state: int | None = 1234,
    ) -> None:
        if n_groups < 1 or n_iter < 1 or n_restarts < 1:
            raise InvalidInput("n_groups, n_iter and n_restarts must be at least 1")
        if min(a_pi, alpha, a_v, b_v) <= 0 or atol <= 0:
            raise InvalidInput("a_pi, alpha, a_v, b_v and atol must be > 0")
        self.n_groups = n_groups
        self.a_pi = a_pi
        self.alpha = alpha
        self.a_v = a_v
        self.b_v = b_v
        self.n_iter = n_iter
        self.atol = atol
        self.n_restarts = n_restarts
        self.empirical_prior = empirical_prior
        self.random_state = random_state

    def fit(self, data: pd.DataFrame, true_labels: pd.Series | None = None) -> EBCC:
        enc = encode_answers(data, true_labels)
        gold_t, gold_l = enc.gold(true_labels)
        t, w, k, m = enc.n_tasks, enc.n_workers, enc.n_labels, self.n_groups
        ones = np.ones(enc.n_answers)
        # rows: (worker, answered label); columns: tasks
        by_worker_label = sp.csr_matrix(
            (ones, (enc.worker_idx * k + enc.label_idx, enc.task_idx)), shape=(w * k, t)
        )
        by_task = by_worker_label.T.tocsr()
        counts = enc.vote_counts()
        z0 = counts / counts.sum(axis=1, keepdims=True)
        if len(gold_t):
            z0[gold_t] = 0.0
            z0[gold_t, gold_l] = 1.0
        alpha = z0.sum(axis=0) if self.empirical_prior else np.full(k, self.alpha)
        beta = np.full((k, k), self.b_v)
        np.fill_diagonal(beta, self.a_v)
        gold_mask = None
        if len(gold_t):
            gold_mask = np.zeros((len(gold_t), k, 1), dtype=bool)
            gold_mask[np.arange(len(gold_t)), gold_l, 0] = True
        # Dirichlet(1, ..., 1) subtype shares per (task, class, restart), as normalised
        # Exp(1) draws; drawn for the task, not for its position, so row order does
        # not change the fit
        draws = keyed_uniform(enc.tasks, self.random_state, self.n_restarts * k * m)
        gammas = -np.log(draws).reshape(t, self.n_restarts, k, m)
        best = None
        elbos = []
        for restart in range(self.n_restarts):
            shares = gammas[:, restart]
            rho = shares / shares.sum(axis=-1, keepdims=True) * z0[:, :, None]
            fitted = self._run(rho, by_worker_label, by_task, alpha, beta, gold_t, gold_mask, k)
            elbos.append(fitted[0])
            if best is None or fitted[0] > best[0]:
                best = fitted
        assert best is not None
        elbo, z, mu, eta, n_iter = best
        self.elbo_ = elbo
        self.elbos_ = elbos
        self.n_iter_ = n_iter
        self.probas_ = probas_frame(enc, z)
        self.labels_ = labels_series(enc, z)
        v = mu / mu.sum(axis=-1, keepdims=True)  # worker, class, subtype, answer
        share = eta / eta.sum()  # class x subtype
        right = np.einsum("jkmk,km->j", v, share)
        self.skills_ = pd.Series(right, index=enc.worker_index(), name="skill")
        return self

    def _run(
        self,
        rho: np.ndarray,
        by_worker_label: sp.csr_matrix,
        by_task: sp.csr_matrix,
        alpha: np.ndarray,
        beta: np.ndarray,
        gold_t: np.ndarray,
        gold_mask: np.ndarray | None,
        k: int,
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, int]:
        t, m = rho.shape[0], self.n_groups
        w = by_worker_label.shape[0] // k
        z = rho.sum(axis=-1)
        iterations = 0
        for iterations in range(1, self.n_iter + 1):  # noqa: B007
            eta = self.a_pi / m + rho.sum(axis=0)  # k x m
            nu = alpha + z.sum(axis=0)
            # mu[j, k, m, l] = beta[k, l] + sum over tasks answered l by j of rho[i, k, m]
            mu = (by_worker_label @ rho.reshape(t, k * m)).reshape(w, k, k, m)  # j, l, k, m
            mu = mu.transpose(0, 2, 3, 1) + beta[None, :, None, :]
            e_log_pi = digamma(eta) - digamma(eta.sum(axis=-1, keepdims=True))
            e_log_tau = digamma(nu) - digamma(nu.sum())
            e_log_v = digamma(mu) - digamma(mu.sum(axis=-1, keepdims=True))
            log_rho = by_task @ e_log_v.transpose(0, 3, 1, 2).reshape(w * k, k * m)
            log_rho = log_rho.reshape(t, k, m) + (e_log_pi + e_log_tau[:, None])[None]
            if gold_mask is not None:
                log_rho[gold_t] = np.where(gold_mask, log_rho[gold_t], -np.inf)
            flat = log_rho.reshape(t, k * m)
            norm = logsumexp(flat, axis=1, keepdims=True)
            rho = np.exp(flat - norm).reshape(t, k, m)
            last, z = z, rho.sum(axis=-1)
            if np.allclose(last, z, atol=self.atol, rtol=0.0):
                break
        elbo = float(
            ((eta - 1.0) * e_log_pi).sum()
            + ((nu - 1.0) * e_log_tau).sum()
            + ((mu - 1.0) * e_log_v).sum()
            + _dirichlet_entropy(nu)
            + _dirichlet_entropy(eta).sum()
            + _dirichlet_entropy(mu).sum()
            - np.where(rho > 0, rho * np.log(np.where(rho > 0, rho, 1.0)), 0.0).sum()
        )
        return elbo, z, mu, eta, iterations
