"""Class-conditional label model: each LF's chance of voting a class depends on
the true class, so an LF that votes one class only (as in WRENCH) is modelled
with its own accuracy for that class, and its abstains count as evidence too.

This is Dawid and Skene's (1979) latent-class model over LF outputs with
abstain as an answer, restricted to the classes each LF votes (its polarity)
and with the confusion rows of the other classes tied, the "one-sided"
structure. For LF ``j`` and a class ``v`` it votes, with ``F_ijv = 1`` when LF
``j`` voted ``v`` on item ``i``:

    P(F_ijv = 1 | y_i = v) = alpha_jv        P(F_ijv = 1 | y_i != v) = beta_jv

For an LF that votes a single class this is exactly its Dawid-Skene confusion
matrix over ``{abstain, v}`` (Dawid and Skene 1979, eq. 2.1) with the rows
``y != v`` equal; an LF that votes several classes is split into one indicator
per class. The votes are independent given ``y`` (eq. 2.2), so

    log P(y_i = c, L_i) = log pi_c + sum_{j,v} F_ijv log r_jvc + (1 - F_ijv) log(1 - r_jvc)

with ``r_jvc = alpha_jv`` if ``c = v`` else ``beta_jv``. ``alpha_jv / beta_jv``
is how much likelier a vote for ``v`` is when ``v`` is right (its weight);
``(1 - alpha_jv) / (1 - beta_jv)`` what the LF's abstain says against ``v``.
This is the class-conditional structure Snorkel/MeTaL also fits (Ratner et al.,
AAAI 2019, sec. 3: one conditional probability table per LF and class), fitted
here by EM rather than matrix completion.

EM (Dawid and Skene 1979, eq. 2.3-2.5) maximises the log posterior: a
symmetric Beta prior (``prior_strength`` pseudo-counts, half each way; the
default 2 is Laplace's add-one rule) smooths every ``alpha`` and ``beta``, so a
class with a handful of items cannot give an LF certainty, and a Dirichlet(2)
prior smooths a learned class balance. The objective is recorded every iteration and
the fit stops on its change (:mod:`labelwell.quality._em`); it never decreases.
Both steps are ``k`` sparse products over the non-abstaining votes.

The class balance matters for one-sided LFs (it decides the items no LF voted
on, and how much an abstain weighs): pass it from dev labels when there are
some (``class_balance=``), else it is learned.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from labelwell.errors import InvalidInput
from labelwell.quality._em import Convergence, check_iterations
from labelwell.weak._base import LabelModelBase, normalize_columns
from labelwell.weak.matrix import VoteMatrix

_EPS = 1e-6


class ClassConditionalLabelModel(LabelModelBase):
    """One-sided Dawid-Skene label model (module docstring) fitted by MAP-EM.

    Parameters
    ----------
    cardinality:
        Number of classes ``k``; votes are ``0 .. k-1`` or ``-1`` (abstain).
    prior_strength:
        Pseudo-counts of the symmetric Beta prior on each ``alpha_jv`` and
        ``beta_jv`` (2 = add one vote and one abstain).
    max_iter, min_iter, tol:
        EM stops when the log posterior per item has less than ``tol`` left to
        gain (Aitken's estimate, :mod:`labelwell.quality._em`) after ``min_iter``
        iterations, or after ``max_iter``.

    Fitted attributes: ``alpha_`` and ``beta_`` (``n_lfs x k``; NaN where the LF
    never votes the class), ``class_balance_``, ``accuracies_`` (per LF, the
    model's P(the LF's vote is right), averaged over its votes), ``history_``
    (log posterior per item, per iteration), ``n_iter_``, ``converged_``.
    """

    def __init__(
        self,
        cardinality: int = 2,
        *,
        prior_strength: float = 2.0,
        max_iter: int = 500,
        min_iter: int = 5,
        tol: float = 1e-7,
    ) -> None:
        super().__init__(cardinality)
        if not prior_strength >= 0:
            raise InvalidInput(f"prior_strength must be >= 0, got {prior_strength!r}")
        check_iterations(max_iter, min_iter, tol)
        self.prior_strength = prior_strength
        self.max_iter = max_iter
        self.min_iter = min_iter
        self.tol = tol

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        L: np.ndarray | sp.spmatrix | sp.sparray,
        class_balance: np.ndarray | None = None,
    ) -> ClassConditionalLabelModel:
        """Fit on ``L``; ``class_balance`` (``k`` proportions, e.g. from dev labels)
        is kept fixed when given, else learned by EM."""
        votes = VoteMatrix.from_matrix(L, self.cardinality)
        k, n, m = self.cardinality, votes.n_items, votes.n_lfs
        learn = class_balance is None
        balance = (
            np.full(k, 1.0 / k) if class_balance is None else self._check_balance(class_balance)
        )
        per_lf = votes.votes_per_lf().T.astype(np.float64)  # m x k: votes of j for v
        polarity = per_lf > 0
        s = self.prior_strength

        post = self._majority_start(votes, balance)

        conv = Convergence(self.tol, self.min_iter, self.max_iter)
        while True:
            # M-step (Dawid and Skene eq. 2.3-2.4, MAP with Beta pseudo-counts)
            n_c = post.sum(axis=1)  # expected items per class
            fired_own = np.stack([a.T @ post[c] for c, a in enumerate(votes.by_class)], axis=1)
            fired_other = per_lf - fired_own
            alpha = (fired_own + s / 2) / (n_c[None, :] + s)
            beta = (fired_other + s / 2) / ((n - n_c)[None, :] + s)
            alpha, beta = (np.clip(x, _EPS, 1 - _EPS) for x in (alpha, beta))
            if learn:
                balance = (n_c + 1.0) / (n + k)
            # E-step (eq. 2.5) and the objective: log likelihood + log prior
            post = self._log_joint(votes, alpha, beta, polarity, balance)
            loglik = float(normalize_columns(post).sum()) + self._shared_term(
                alpha, beta, polarity, per_lf, n
            )
            objective = loglik + self._log_prior(alpha, beta, polarity, balance, learn)
            if conv.done(objective / max(n, 1)):
                break
        self.alpha_ = np.where(polarity, alpha, np.nan)
        self.beta_ = np.where(polarity, beta, np.nan)
        self.class_balance_ = balance
        self.n_lfs_ = m
        self.history_ = conv.history
        self.n_iter_ = conv.n_iter
        self.converged_ = conv.converged
        self._params = (alpha, beta, polarity)
        self.accuracies_ = self._lf_accuracies(alpha, beta, per_lf, balance)
        return self

    # -------------------------------------------------------------- prediction
    def predict_proba(self, L: np.ndarray | sp.spmatrix | sp.sparray) -> np.ndarray:
        """Posterior class probabilities, ``n_items x k``."""
        votes = self._fitted_votes(L)
        alpha, beta, polarity = self._params
        # a class an LF never voted while fitting gets no weight from it
        scores = self._log_joint(votes, alpha, beta, polarity, self.class_balance_)
        normalize_columns(scores)
        return np.ascontiguousarray(scores.T)

    # --------------------------------------------------------------- internals
    def _log_joint(
        self,
        votes: VoteMatrix,
        alpha: np.ndarray,
        beta: np.ndarray,
        polarity: np.ndarray,
        balance: np.ndarray,
    ) -> np.ndarray:
        """``k x n`` log P(y = c, L_i) less a per-item term shared by all classes
        (:meth:`_shared_term`)."""
        logit_a = np.log(alpha) - np.log1p(-alpha)
        logit_b = np.log(beta) - np.log1p(-beta)
        miss_ratio = np.where(polarity, np.log1p(-alpha) - np.log1p(-beta), 0.0)
        base = np.log(balance) + miss_ratio.sum(axis=0)
        scores = np.empty((self.cardinality, votes.n_items))
        for c, a in enumerate(votes.by_class):
            scores[c] = a @ (logit_a[:, c] - logit_b[:, c])
            scores[c] += base[c]
        return scores

    @staticmethod
    def _shared_term(
        alpha: np.ndarray, beta: np.ndarray, polarity: np.ndarray, per_lf: np.ndarray, n: int
    ) -> float:
        """The part of the log likelihood shared by all classes, summed over items:
        every vote's log beta-odds and every indicator's log(1 - beta)."""
        logit_b = np.where(polarity, np.log(beta) - np.log1p(-beta), 0.0)
        return float((per_lf * logit_b).sum() + n * np.where(polarity, np.log1p(-beta), 0.0).sum())

    def _log_prior(
        self,
        alpha: np.ndarray,
        beta: np.ndarray,
        polarity: np.ndarray,
        balance: np.ndarray,
        learn: bool,
    ) -> float:
        half = self.prior_strength / 2
        total = 0.0
        for x in (alpha, beta):
            term = half * (np.log(x) + np.log1p(-x))
            total += float(np.where(polarity, term, 0.0).sum())
        if learn:
            total += float(np.log(balance).sum())
        return total

    @staticmethod
    def _lf_accuracies(
        alpha: np.ndarray, beta: np.ndarray, per_lf: np.ndarray, balance: np.ndarray
    ) -> np.ndarray:
        """P(y = v | LF votes v) by Bayes, averaged over the LF's votes."""
        right = balance * alpha
        precision = right / (right + (1.0 - balance) * beta)
        cast = per_lf.sum(axis=1)
        weighted = (precision * per_lf).sum(axis=1)
        accuracies: np.ndarray = np.divide(
            weighted, cast, out=np.full(cast.shape, np.nan), where=cast > 0
        )
        return accuracies
