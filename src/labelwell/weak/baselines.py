"""Baselines with the label model's interface: majority vote, and a vote weighted
by each LF's empirical accuracy on gold or dev labels."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from labelwell.errors import InvalidInput
from labelwell.quality._frame import softmax_rows
from labelwell.weak.analysis import LFAnalysis
from labelwell.weak.matrix import PredictsFromProba, VoteMatrix


class MajorityLabelVoter(PredictsFromProba):
    """Each item gets the class most LFs voted. ``predict_proba`` spreads the
    probability evenly over the most-voted classes (all classes where every LF
    abstained), as Snorkel's ``MajorityLabelVoter`` does."""

    def fit(self, L: np.ndarray | sp.spmatrix | sp.sparray | None = None) -> MajorityLabelVoter:
        return self

    def predict_proba(self, L: np.ndarray | sp.spmatrix | sp.sparray) -> np.ndarray:
        counts = VoteMatrix.from_matrix(L, self.cardinality).votes_per_item().T
        top = (counts == counts.max(axis=1, keepdims=True)).astype(np.float64)
        probs: np.ndarray = top / top.sum(axis=1, keepdims=True)
        return probs


class WeightedMajorityVoter(PredictsFromProba):
    """Vote weighted by empirical accuracy: each vote adds
    ``log(a_j (k - 1) / (1 - a_j))`` to its class, the Bayes-optimal weight for
    independent LFs of accuracy ``a_j`` (Nitzan and Paroush 1982), with
    ``a_j = (correct + 1) / (votes + 2)`` measured on labelled items ``Y``."""

    def fit(
        self,
        L: np.ndarray | sp.spmatrix | sp.sparray,
        Y: np.ndarray | None = None,
        *,
        accuracies: np.ndarray | None = None,
    ) -> WeightedMajorityVoter:
        """Learn accuracies from ``L`` and gold ``Y`` (-1 = unknown), or take them given."""
        if accuracies is None:
            if Y is None:
                raise InvalidInput("WeightedMajorityVoter.fit needs Y or accuracies")
            correct, incorrect = LFAnalysis(L).lf_correct_incorrect(Y)
            accuracies = (correct + 1.0) / (correct + incorrect + 2.0)
        accuracies = np.asarray(accuracies, dtype=np.float64)
        k = self.cardinality
        self.accuracies_ = np.clip(accuracies, 1.0 / k + 1e-4, 1.0 - 1e-6)
        self.weights_ = np.log(self.accuracies_ * (k - 1) / (1.0 - self.accuracies_))
        return self

    def predict_proba(self, L: np.ndarray | sp.spmatrix | sp.sparray) -> np.ndarray:
        if not hasattr(self, "weights_"):
            raise InvalidInput("WeightedMajorityVoter is not fitted yet; call fit(L, Y) first")
        votes = VoteMatrix.from_matrix(L, self.cardinality)
        if votes.n_lfs != self.weights_.shape[0]:
            raise InvalidInput(f"L has {votes.n_lfs} LFs, the voter has {self.weights_.shape[0]}")
        scores = np.stack([a @ self.weights_ for a in votes.by_class], axis=1)
        probs, _ = softmax_rows(scores, inplace=True)
        return probs
