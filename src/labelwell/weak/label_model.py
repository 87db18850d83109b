"""Label model: combine noisy LF votes into probabilistic labels without gold.

The model is Dawid and Skene's (1979) latent-class model with one accuracy
per LF (the "one-coin" model of Zhang, Chen, Zhou and Jordan, JMLR 2016,
sec. 2, also crowd-kit's ``OneCoinDawidSkene``): given the true
class ``y``, LF ``j`` votes independently, is right with probability
``a_j`` and otherwise picks one of the other ``k - 1`` classes uniformly;
abstaining carries no information about ``y``. The posterior of item ``i`` is

    P(y_i = c | L_i) ∝ pi_c * prod_{j: L_ij = c} a_j * prod_{j: L_ij ∉ {c, -1}} (1 - a_j)/(k - 1)

(Dawid and Skene 1979, eq. 2.5, with the confusion matrix tied to one
accuracy), i.e. the log-odds add ``w_j = log(a_j (k - 1) / (1 - a_j))`` per
vote. Parameters are fitted by EM (eq. 2.3-2.4) started from majority vote,
with a Beta prior on each accuracy (MAP-EM) so that 1 or 2 LFs, where the
model is not identifiable, still give sane estimates.

Accuracies are kept above chance (``1/k``), so every vote is evidence for
its own class; and where every non-abstaining LF on an item agrees, the
prediction is that class (the class balance cannot overturn a unanimous vote,
cf. Snorkel issue #1487). Both EM steps are sparse matrix-vector products
over the non-abstaining votes only, so a 70%-abstain ``L`` costs 30% of a
dense one. The class balance is uniform unless given (as in Snorkel).

Why this model: on WRENCH YouTube (real LFs) it was the most accurate of
the methods compared in ``benchmarks/bench_weak.py`` (Snorkel's matrix
completion, majority vote, a full-confusion Dawid-Skene with abstain as an
answer, a FlyingSquid-style triplet method, and this model with a learned
class balance). It is not best everywhere: on synthetic one-sided LFs whose
firing rate depends on the class, the full-confusion model and Snorkel did
better, since abstaining carries information there that this model ignores.
Figures are in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from labelwell.errors import InvalidInput
from labelwell.quality._em import Convergence, check_iterations
from labelwell.weak._base import LabelModelBase, normalize_columns
from labelwell.weak.matrix import VoteMatrix


class LabelModel(LabelModelBase):
    """One-coin Dawid-Skene label model fitted by EM over LF votes.

    Parameters
    ----------
    cardinality:
        Number of classes ``k``; votes are ``0 .. k-1`` or ``-1`` (abstain).
    max_iter, min_iter, tol:
        EM stops when the log posterior per item has less than ``tol`` left to
        gain (Aitken's estimate, :mod:`labelwell.quality._em`) after ``min_iter``
        iterations, or after ``max_iter``.
    prior_accuracy, prior_strength:
        Beta prior on each LF accuracy, with mean ``prior_accuracy`` and
        ``prior_strength`` pseudo-votes; negligible once an LF has cast a few
        hundred votes.

    Fitted attributes: ``accuracies_`` (per LF), ``weights_`` (log-odds per
    vote), ``class_balance_``, ``history_`` (log posterior per item, per
    iteration; it never decreases), ``n_iter_``, ``converged_``.
    """

    def __init__(
        self,
        cardinality: int = 2,
        *,
        max_iter: int = 200,
        min_iter: int = 5,
        tol: float = 1e-7,
        prior_accuracy: float = 0.7,
        prior_strength: float = 2.0,
    ) -> None:
        super().__init__(cardinality)
        if not 0.0 < prior_accuracy < 1.0 or prior_strength < 0:
            raise InvalidInput("prior_accuracy must be in (0, 1) and prior_strength >= 0")
        check_iterations(max_iter, min_iter, tol)
        self.max_iter = max_iter
        self.min_iter = min_iter
        self.tol = tol
        self.prior_accuracy = prior_accuracy
        self.prior_strength = prior_strength

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        L: np.ndarray | sp.spmatrix | sp.sparray,
        class_balance: np.ndarray | str | None = None,
    ) -> LabelModel:
        """Fit the LF accuracies on ``L``.

        ``class_balance``: ``None`` for a uniform prior over classes (as Snorkel),
        an array of ``k`` proportions when the balance is known (e.g. from dev
        labels), or ``"learn"`` to estimate it by EM as well. Learning it needs LFs
        that vote for more than one class: with one-sided LFs (each votes a single
        class, as on WRENCH YouTube) the balance and the accuracies are confounded
        and EM drifts to a degenerate balance.
        """
        votes = self._votes(L)
        k, m = self.cardinality, votes.n_lfs
        learn_balance = isinstance(class_balance, str)
        if learn_balance and class_balance != "learn":
            raise InvalidInput(
                f"class_balance must be None, 'learn' or proportions, got {class_balance!r}"
            )
        if class_balance is None or learn_balance:
            balance = np.full(k, 1.0 / k)
        else:
            balance = self._check_balance(np.asarray(class_balance))
        n_cast = votes.votes_per_lf().sum(axis=0).astype(np.float64)
        covered = votes.votes_per_item().sum(axis=0) > 0
        post = self._majority_start(votes, balance)

        alpha = self.prior_strength * self.prior_accuracy
        beta = self.prior_strength * (1.0 - self.prior_accuracy)
        low, high = 1.0 / k + 1e-4, 1.0 - 1e-6
        conv = Convergence(self.tol, self.min_iter, self.max_iter)
        while True:
            # M-step (Dawid-Skene eq. 2.3 with one accuracy per LF; MAP under a Beta
            # prior, kept above chance: the clipped maximiser of a concave objective)
            correct = sum(a.T @ post[c] for c, a in enumerate(votes.by_class))
            denom = n_cast + alpha + beta
            ratio = np.divide(correct + alpha, denom, out=np.full(m, 0.5), where=denom > 0)
            accuracies = np.clip(np.where(denom > 0, ratio, self.prior_accuracy), low, high)
            if learn_balance:  # MAP under a Dirichlet(2) prior
                balance = post[:, covered].sum(axis=1) + 1.0
                balance /= balance.sum()
            # E-step (eq. 2.5) and the objective: log likelihood + log prior
            post, log_norm = self._posterior(votes, accuracies, balance)
            wrong = np.log((1.0 - accuracies) / (k - 1))  # shared by every class
            objective = float(log_norm.sum() + n_cast @ wrong)
            objective += float((alpha * np.log(accuracies) + beta * np.log1p(-accuracies)).sum())
            if learn_balance:
                objective += float(np.log(balance).sum())
            if conv.done(objective / max(votes.n_items, 1)):
                break
        self.history_ = conv.history
        self.n_iter_ = conv.n_iter
        self.converged_ = conv.converged
        self.accuracies_ = accuracies
        self.weights_ = self._log_odds(accuracies)
        self.class_balance_ = balance
        self.n_lfs_ = m
        return self

    # -------------------------------------------------------------- prediction
    def predict_proba(self, L: np.ndarray | sp.spmatrix | sp.sparray) -> np.ndarray:
        """Posterior class probabilities, ``n_items x k``."""
        votes = self._fitted_votes(L)
        post, _ = self._posterior(votes, self.accuracies_, self.class_balance_, guard=True)
        return np.ascontiguousarray(post.T)

    # --------------------------------------------------------------- internals
    def _votes(self, L: np.ndarray | sp.spmatrix | sp.sparray) -> VoteMatrix:
        return VoteMatrix.from_matrix(L, self.cardinality)

    def _log_odds(self, accuracies: np.ndarray) -> np.ndarray:
        return np.log(accuracies * (self.cardinality - 1) / (1.0 - accuracies))

    def _posterior(
        self,
        votes: VoteMatrix,
        accuracies: np.ndarray,
        balance: np.ndarray,
        guard: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``k x n`` posteriors from log pi_c + the weights of the LFs voting c, and
        each item's log normaliser (its log likelihood less the terms shared by
        every class)."""
        w = self._log_odds(accuracies)
        log_prior = np.log(balance)
        scores = np.empty((self.cardinality, votes.n_items))
        for c, a in enumerate(votes.by_class):
            scores[c] = a @ w
            scores[c] += log_prior[c]
        if guard:
            self._guard_unanimous(votes, scores, log_prior)
        log_norm = normalize_columns(scores)
        return scores, log_norm

    @staticmethod
    def _guard_unanimous(votes: VoteMatrix, scores: np.ndarray, log_prior: np.ndarray) -> None:
        """Where all votes on an item agree on ``c`` but the class balance makes another
        class at least as probable, drop the class balance for that item (flat prior)."""
        rows, voted = votes.unanimous()
        s = scores[:, rows]
        own = s[voted, np.arange(rows.shape[0])]
        s[voted, np.arange(rows.shape[0])] = -np.inf
        flipped = own <= s.max(axis=0)
        if flipped.any():
            scores[:, rows[flipped]] -= log_prior[:, None]
