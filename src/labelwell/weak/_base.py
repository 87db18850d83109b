"""What the label models fitted on ``L`` share: ``fit_predict`` and
``fit_predict_proba``, the check of a given class balance, the check that a
matrix to predict on matches the fit, and the posterior from log scores."""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from labelwell.errors import InvalidInput
from labelwell.quality._frame import softmax_rows
from labelwell.weak.matrix import PredictsFromProba, VoteMatrix


class LabelModelBase(PredictsFromProba):
    """Base of the label models: a subclass calls ``super().__init__(cardinality)``
    and implements ``fit(L, ...)`` (setting ``n_lfs_``) and ``predict_proba``."""

    n_lfs_: int

    def fit(self, L: np.ndarray | sp.spmatrix | sp.sparray, *args: Any, **kwargs: Any) -> Self:
        raise NotImplementedError

    def fit_predict_proba(
        self, L: np.ndarray | sp.spmatrix | sp.sparray, **fit_params: Any
    ) -> np.ndarray:
        return self.fit(L, **fit_params).predict_proba(L)

    def fit_predict(
        self, L: np.ndarray | sp.spmatrix | sp.sparray, **fit_params: Any
    ) -> np.ndarray:
        return self.fit(L, **fit_params).predict(L)

    def _check_balance(self, class_balance: np.ndarray) -> np.ndarray:
        """A given class balance as floats: ``k`` positive numbers summing to 1."""
        balance = np.asarray(class_balance, dtype=np.float64)
        k = self.cardinality
        if balance.shape != (k,) or np.any(balance <= 0) or not np.isclose(balance.sum(), 1):
            raise InvalidInput(f"class_balance must be {k} positive numbers summing to 1")
        return balance

    @staticmethod
    def _majority_start(votes: VoteMatrix, balance: np.ndarray) -> np.ndarray:
        """``k x n`` starting posteriors for EM: each class's share of an item's
        votes (majority vote), ``balance`` on items no LF voted on."""
        post = votes.votes_per_item().astype(np.float64)
        total = post.sum(axis=0)
        covered = total > 0
        post[:, covered] /= total[covered]
        post[:, ~covered] = balance[:, None]
        return post

    def _fitted_votes(self, L: np.ndarray | sp.spmatrix | sp.sparray) -> VoteMatrix:
        """``L``'s votes, once the model is fitted and ``L`` has its number of LFs."""
        if not hasattr(self, "n_lfs_"):
            raise InvalidInput(f"{type(self).__name__} is not fitted yet; call fit(L) first")
        votes = VoteMatrix.from_matrix(L, self.cardinality)
        if votes.n_lfs != self.n_lfs_:
            raise InvalidInput(f"L has {votes.n_lfs} LFs, the model was fitted on {self.n_lfs_}")
        return votes


def normalize_columns(scores: np.ndarray) -> np.ndarray:
    """Turn ``k x n`` log scores into posteriors, each column normalised, in place;
    returns each column's log normaliser (the item's log marginal, up to the terms
    the scores leave out)."""
    _, log_norm = softmax_rows(scores.T, inplace=True)
    return log_norm
