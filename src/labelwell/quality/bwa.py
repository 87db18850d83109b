"""BWA: the Bayesian weighted average of Li, Rubinstein and Cohn (2019)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from labelwell.errors import InvalidInput
from labelwell.quality._frame import (
    Aggregator,
    clamp,
    encode_answers,
    labels_series,
    probas_frame,
)


class BWA(Aggregator):
    r"""Bayesian weighted average, one label against the rest at a time.

    Y. Li, B. I. P. Rubinstein and T. Cohn, "Truth inference at scale: a Bayesian
    model for adjudicating highly redundant crowd annotations", *WWW* 2019. For
    each label ``k`` the answer indicator :math:`y_{ij} = [l_{ij} = k]` is modelled
    as Gaussian around the task's truth :math:`z_i` with a precision
    :math:`v_j` per worker (Gamma(:math:`a_v`, :math:`b_v`) prior) and
    :math:`z_i \sim N(\mu, 1/\lambda)`. Mean-field updates (Section 3, Algorithm 1):

    :math:`v_j = (a_v + N_j) / (b_v + \sum_{i \in I_j} (z_i - y_{ij})^2)`,
    :math:`z_i = (\lambda \mu + \sum_{j \in J_i} v_j y_{ij}) / (\lambda + \sum_{j \in J_i} v_j)`,
    :math:`\mu = \bar z`, with :math:`b_v = a_v \cdot c \sum_i W_i z_i (1 - z_i) / N`
    from the majority-vote start (``W_i`` answers on task ``i``, ``N`` answers in
    all, ``c = 4 (1 - 1/K)`` with ``prior_correction``). Each label's updates stop
    when no :math:`z_i` moves by more than ``rtol`` relative, or after ``n_iter``.
    The label is the one with the largest :math:`z_{ik}`; ``probas_`` are the
    :math:`z_{ik}` scaled to sum to 1. Gold tasks are clamped to their label.

    Fitted: ``labels_``, ``probas_``, ``scores_`` (the :math:`z_{ik}`), ``skills_``
    (each worker's precision, averaged over labels), ``n_iter_``.
    """

    def __init__(
        self,
        a_v: float = 15.0,
        lam: float = 1.0,
        prior_correction: bool = True,
        n_iter: int = 500,
        rtol: float = 1e-3,
    ) -> None:
        if a_v <= 0 or lam <= 0 or n_iter < 1 or rtol <= 0:
            raise InvalidInput("a_v, lam and rtol must be > 0 and n_iter >= 1")
        self.a_v = a_v
        self.lam = lam
        self.prior_correction = prior_correction
        self.n_iter = n_iter
        self.rtol = rtol

    def fit(self, data: pd.DataFrame, true_labels: pd.Series | None = None) -> BWA:
        enc = encode_answers(data, true_labels)
        gold_t, gold_l = enc.gold(true_labels)
        k, n = enc.n_labels, enc.n_answers
        rows = np.arange(n)
        by_worker = sp.csr_matrix((np.ones(n), (enc.worker_idx, rows)), (enc.n_workers, n))
        by_task = sp.csr_matrix((np.ones(n), (enc.task_idx, rows)), (enc.n_tasks, n))
        one_hot = np.zeros((n, k))
        one_hot[rows, enc.label_idx] = 1.0
        counts = enc.vote_counts()
        per_task = counts.sum(axis=1)
        z = clamp(counts / per_task[:, None], gold_t, gold_l)
        per_worker = np.bincount(enc.worker_idx, minlength=enc.n_workers).astype(float)
        scale = 4.0 * (1.0 - 1.0 / k) if self.prior_correction else 1.0
        b_v = self.a_v * (per_task @ (z * (1.0 - z))) / n * scale  # one per label
        active = np.ones(k, dtype=bool)
        v = np.zeros((enc.n_workers, k))
        iterations = 0
        for iterations in range(1, self.n_iter + 1):  # noqa: B007
            cols = np.flatnonzero(active)
            zc = z[:, cols]
            mu = zc.mean(axis=0)
            resid = zc[enc.task_idx] - one_hot[:, cols]
            v[:, cols] = (self.a_v + per_worker[:, None]) / (
                b_v[cols] + by_worker @ (resid * resid)
            )
            weights = v[enc.worker_idx][:, cols]
            numerator = by_task @ (weights * one_hot[:, cols])
            denominator = by_task @ weights
            new = (self.lam * mu + numerator) / (self.lam + denominator)
            if len(gold_t):
                new[gold_t] = (gold_l[:, None] == cols[None, :]).astype(float)
            settled = np.isclose(new, zc, rtol=self.rtol, atol=1e-8).all(axis=0)
            z[:, cols] = new
            active[cols[settled]] = False
            if not active.any():
                break
        self.n_iter_ = iterations
        self.scores_ = pd.DataFrame(z, index=enc.task_index(), columns=enc.label_index())
        total = z.sum(axis=1, keepdims=True)
        probas = np.divide(z, total, out=np.full_like(z, 1.0 / k), where=total > 0)
        probas = np.clip(probas, 0.0, None)
        self.probas_ = probas_frame(enc, probas)
        self.labels_ = labels_series(enc, z)
        self.skills_ = pd.Series(v.mean(axis=1), index=enc.worker_index(), name="skill")
        return self
