"""Aggregating numeric ratings (Likert scores, 1-10 quality grades) per task."""

from __future__ import annotations

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput
from labelwell.quality._frame import check_frame


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    check_frame(frame)
    values = pd.to_numeric(frame["label"], errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidInput(
            f"rating in row {row} is not a number: {frame['label'].iloc[row]!r}", field="label"
        )
    return frame.assign(label=values.astype(float))


def mean_rating(frame: pd.DataFrame) -> pd.Series:
    """Mean rating per task from a ``task, worker, label`` frame of numbers."""
    data = _numeric(frame)
    return data.groupby("task", sort=False)["label"].mean().rename("rating")


def median_rating(frame: pd.DataFrame) -> pd.Series:
    """Median rating per task."""
    data = _numeric(frame)
    return data.groupby("task", sort=False)["label"].median().rename("rating")


class BiasCorrectedMean:
    r"""Task means corrected for each annotator's leniency or severity.

    Additive two-way model :math:`r_{tw} = \mu_t + b_w + \varepsilon_{tw}` with
    :math:`\sum_w b_w = 0`, fitted by alternating least squares (the "additive
    annotator bias" model of Wauthier & Jordan 2011, "Bayesian bias mitigation for
    crowdsourcing", NIPS, eq. 1 without the latent features; equivalently a
    two-way ANOVA without interaction on an unbalanced design). ``shrinkage``
    adds a ridge penalty ``shrinkage * b_w**2`` so workers with few ratings keep a
    bias near zero.

    Fitted: ``ratings_`` (task -> corrected mean), ``biases_`` (worker -> bias),
    ``n_iter_``.
    """

    def __init__(self, n_iter: int = 100, tol: float = 1e-8, shrinkage: float = 1.0) -> None:
        self.n_iter = n_iter
        self.tol = tol
        self.shrinkage = shrinkage

    def fit(self, frame: pd.DataFrame) -> BiasCorrectedMean:
        data = _numeric(frame)
        t, tasks = pd.factorize(data["task"], sort=False)
        w, workers = pd.factorize(data["worker"], sort=False)
        r = data["label"].to_numpy()
        n_t = np.bincount(t, minlength=len(tasks))
        n_w = np.bincount(w, minlength=len(workers))
        bias = np.zeros(len(workers))
        mu = np.bincount(t, r, minlength=len(tasks)) / n_t
        iterations = 0
        for iterations in range(1, self.n_iter + 1):  # noqa: B007
            mu = np.bincount(t, r - bias[w], minlength=len(tasks)) / n_t
            new_bias = np.bincount(w, r - mu[t], minlength=len(workers)) / (n_w + self.shrinkage)
            new_bias -= new_bias.mean()
            done = np.max(np.abs(new_bias - bias)) < self.tol
            bias = new_bias
            if done:
                break
        mu = np.bincount(t, r - bias[w], minlength=len(tasks)) / n_t
        self.n_iter_ = iterations
        self.ratings_ = pd.Series(mu, index=pd.Index(tasks, name="task"), name="rating")
        self.biases_ = pd.Series(bias, index=pd.Index(workers, name="worker"), name="bias")
        return self

    def fit_predict(self, frame: pd.DataFrame) -> pd.Series:
        return self.fit(frame).ratings_


def bias_corrected_mean(frame: pd.DataFrame, shrinkage: float = 1.0) -> pd.Series:
    """Shortcut for ``BiasCorrectedMean(shrinkage=shrinkage).fit_predict(frame)``."""
    if shrinkage < 0:
        raise InvalidInput("shrinkage must be >= 0")
    return BiasCorrectedMean(shrinkage=shrinkage).fit_predict(frame)
