"""How labeling functions behave on a label matrix, with Snorkel's definitions.

Per LF, as Snorkel 0.10's ``LFAnalysis`` defines them (Snorkel: Ratner et
al., VLDB 2018): *polarity* (the classes it ever votes), *coverage* (share of
items it votes on), *overlaps* (share of items it votes on that another LF
also votes on), *conflicts* (share of items it votes on where LFs disagree),
and against gold or dev labels ``Y``: *correct*, *incorrect* and *empirical
accuracy* (correct / votes cast). All shares are over all ``n`` items.

An empirical accuracy is a proportion over the ``n`` votes an LF cast on labelled
items, so it is reported with ``n`` and a Wilson (1927) score interval, and
flagged when ``n`` is under :data:`MIN_ACCURACY_VOTES`, the ``lf_accuracy``
minimum of :mod:`labelwell.quality.sample` (30: at 29 votes the 95% interval
is +-0.17 at an accuracy of 0.5 and +-0.13 at 0.85, too wide to rank LFs or to
trust one), with that module's warning in English and Korean
(:meth:`LFAnalysis.accuracy_warnings`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from labelwell.errors import InvalidInput
from labelwell.quality.gold import wilson_interval
from labelwell.quality.sample import MINIMUMS, SampleWarning, check_sample
from labelwell.weak.matrix import VoteMatrix

# Votes on labelled items under which an LF's empirical accuracy is flagged.
MIN_ACCURACY_VOTES = MINIMUMS["lf_accuracy"].n


class LFAnalysis:
    """Statistics of the LFs behind ``L`` (dense, -1 = abstain, or sparse storing
    ``vote + 1``). ``lfs`` (labeling functions or names) labels the rows of the
    summary."""

    def __init__(
        self,
        L: np.ndarray | sp.spmatrix | sp.sparray,
        lfs: Sequence[Any] | None = None,
    ) -> None:
        self.votes = VoteMatrix.from_matrix(L)
        self.n_items, self.n_lfs = self.votes.n_items, self.votes.n_lfs
        self.lf_names: list[str] | None = None
        if lfs is not None:
            if len(lfs) != self.n_lfs:
                raise InvalidInput(
                    f"Number of LFs ({len(lfs)}) and number of LF matrix columns "
                    f"({self.n_lfs}) are different"
                )
            self.lf_names = [lf if isinstance(lf, str) else lf.name for lf in lfs]
        per_item = self.votes.votes_per_item()
        self._n_votes_item = per_item.sum(axis=0)
        self._n_classes_item = (per_item > 0).sum(axis=0)
        self._per_lf = self.votes.votes_per_lf()

    # ---------------------------------------------------------------- whole L
    def label_coverage(self) -> float:
        """Share of items with at least one vote."""
        return self._share(self._n_votes_item > 0)

    def label_overlap(self) -> float:
        """Share of items with at least two votes."""
        return self._share(self._n_votes_item > 1)

    def label_conflict(self) -> float:
        """Share of items whose votes name at least two different classes."""
        return self._share(self._n_classes_item > 1)

    # ------------------------------------------------------------------ per LF
    def lf_polarities(self) -> list[list[int]]:
        """The classes each LF votes at least once."""
        return [np.flatnonzero(self._per_lf[:, j]).tolist() for j in range(self.n_lfs)]

    def lf_coverages(self) -> np.ndarray:
        coverages: np.ndarray = self._per_lf.sum(axis=0) / self._n()
        return coverages

    def lf_overlaps(self, normalize_by_coverage: bool = False) -> np.ndarray:
        overlaps = self._lf_share(self._n_votes_item > 1)
        if normalize_by_coverage:
            with np.errstate(divide="ignore", invalid="ignore"):
                overlaps = overlaps / self.lf_coverages()
        filled: np.ndarray = np.nan_to_num(overlaps)
        return filled

    def lf_conflicts(self, normalize_by_overlaps: bool = False) -> np.ndarray:
        conflicts = self._lf_share(self._n_classes_item > 1)
        if normalize_by_overlaps:
            with np.errstate(divide="ignore", invalid="ignore"):
                conflicts = conflicts / self.lf_overlaps()
        filled: np.ndarray = np.nan_to_num(conflicts)
        return filled

    def lf_correct_incorrect(self, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Votes per LF that equal ``Y``, and that differ from a known ``Y`` (-1 = unknown)."""
        Y = self._gold(Y)
        known = (Y != -1).astype(np.float64)
        correct = np.zeros(self.n_lfs)
        cast_on_known = np.zeros(self.n_lfs)
        for c, a in enumerate(self.votes.by_class):
            correct += a.T @ np.equal(Y, c).astype(np.float64)
            cast_on_known += a.T @ known
        correct = np.rint(correct).astype(np.int64)
        return correct, np.rint(cast_on_known).astype(np.int64) - correct

    def lf_empirical_accuracies(self, Y: np.ndarray) -> np.ndarray:
        """Correct votes / votes cast, per LF (0 for an LF that never votes)."""
        correct, _ = self.lf_correct_incorrect(Y)
        cast = self._per_lf.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            accuracies: np.ndarray = np.nan_to_num(correct / cast)
            return accuracies

    def lf_accuracy_intervals(self, Y: np.ndarray, confidence: float = 0.95) -> pd.DataFrame:
        """Per LF: ``n`` (votes cast on items with a known ``Y``), ``accuracy``
        (correct / n; NaN when n = 0), its Wilson (1927) interval ``low``, ``high``,
        and ``few_votes`` (n under :data:`MIN_ACCURACY_VOTES`)."""
        correct, incorrect = self.lf_correct_incorrect(Y)
        n = correct + incorrect
        low, high = wilson_interval(correct, n, confidence)
        with np.errstate(divide="ignore", invalid="ignore"):
            accuracy = np.where(n > 0, correct / np.maximum(n, 1), np.nan)
        index = self.lf_names if self.lf_names is not None else list(range(self.n_lfs))
        return pd.DataFrame(
            {
                "n": n,
                "accuracy": accuracy,
                "low": low,
                "high": high,
                "few_votes": n < MIN_ACCURACY_VOTES,
            },
            index=index,
        )

    def accuracy_warnings(self, Y: np.ndarray) -> list[SampleWarning]:
        """A ``small_sample`` warning (English and Korean) for each LF whose
        accuracy rests on fewer than :data:`MIN_ACCURACY_VOTES` labelled items."""
        ci = self.lf_accuracy_intervals(Y)
        found = (check_sample("lf_accuracy", int(n), lf) for lf, n in ci["n"].items())
        return [w for w in found if w is not None]

    def lf_summary(
        self, Y: np.ndarray | None = None, est_weights: np.ndarray | None = None
    ) -> pd.DataFrame:
        """One row per LF: j (when LFs are named), Polarity, Coverage, Overlaps,
        Conflicts; with ``Y`` also Correct, Incorrect, Emp. Acc.; with
        ``est_weights`` (e.g. ``LabelModel.accuracies_``) Learned Weight."""
        index: list[Any] = self.lf_names if self.lf_names is not None else list(range(self.n_lfs))
        d: dict[str, Any] = {}
        if self.lf_names is not None:
            d["j"] = list(range(self.n_lfs))
        d["Polarity"] = self.lf_polarities()
        d["Coverage"] = self.lf_coverages()
        d["Overlaps"] = self.lf_overlaps()
        d["Conflicts"] = self.lf_conflicts()
        if Y is not None:
            correct, incorrect = self.lf_correct_incorrect(Y)
            d["Correct"] = correct
            d["Incorrect"] = incorrect
            d["Emp. Acc."] = self.lf_empirical_accuracies(Y)
        if est_weights is not None:
            est_weights = np.asarray(est_weights)
            if est_weights.shape != (self.n_lfs,):
                raise InvalidInput(f"est_weights needs one number per LF ({self.n_lfs})")
            d["Learned Weight"] = est_weights
        return pd.DataFrame(d, index=index)

    def summary_table(
        self, Y: np.ndarray | None = None, est_weights: np.ndarray | None = None
    ) -> str:
        """:meth:`lf_summary` as aligned text, with the whole-matrix figures below;
        with ``Y`` each empirical accuracy also shows its ``n`` and 95% Wilson
        interval, marked ``*`` under :data:`MIN_ACCURACY_VOTES` votes."""
        frame = self.lf_summary(Y, est_weights)
        note = ""
        if Y is not None:
            ci = self.lf_accuracy_intervals(Y)
            frame["n"] = ci["n"].to_numpy()
            frame["95% CI"] = [
                f"{lo:.3f}-{hi:.3f}{' *' if few else ''}"
                for lo, hi, few in zip(ci["low"], ci["high"], ci["few_votes"], strict=True)
            ]
            if ci["few_votes"].any():
                note = (
                    f"\n* fewer than {MIN_ACCURACY_VOTES} votes on labelled items: "
                    "the accuracy is too uncertain to rely on"
                )
        table = frame.to_string(float_format=lambda v: f"{v:.3f}")
        return (
            f"{table}\n\n{self.n_items} items, {self.n_lfs} LFs: "
            f"coverage {self.label_coverage():.3f}, overlap {self.label_overlap():.3f}, "
            f"conflict {self.label_conflict():.3f}{note}"
        )

    def print_summary(
        self, Y: np.ndarray | None = None, est_weights: np.ndarray | None = None
    ) -> None:
        print(self.summary_table(Y, est_weights))

    # --------------------------------------------------------------- internals
    def _n(self) -> int:
        return max(self.n_items, 1)

    def _share(self, mask: np.ndarray) -> float:
        return float(np.count_nonzero(mask)) / self._n()

    def _lf_share(self, item_mask: np.ndarray) -> np.ndarray:
        """Per LF, the share of all items that it votes on and that are in ``item_mask``."""
        x = item_mask.astype(np.float64)
        hits = sum((a.T @ x for a in self.votes.by_class), np.zeros(self.n_lfs))
        return hits / self._n()

    def _gold(self, Y: np.ndarray) -> np.ndarray:
        Y = np.asarray(Y).reshape(-1)
        if Y.shape[0] != self.n_items:
            raise InvalidInput(f"Y has {Y.shape[0]} labels for {self.n_items} items")
        return Y.astype(np.int64)
