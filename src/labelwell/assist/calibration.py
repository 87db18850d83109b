"""Calibration: make a model's confidence mean what it says.

Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural
Networks", section 4.2) divides the logits by one scalar T > 0 fitted by
minimising the negative log-likelihood on held-out labeled items; it never
changes which class is predicted. Expected calibration error uses their
eq. (3) with 15 equal-width bins.
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_softmax

from labelwell.errors import InvalidInput

DEFAULT_BINS = 15


def _labels(labels: np.ndarray, n_items: int, n_classes: int) -> np.ndarray:
    y = np.asarray(labels)
    if y.ndim != 1 or y.shape[0] != n_items:
        raise InvalidInput("labels must be 1-d with one entry per row", field="labels")
    if not np.issubdtype(y.dtype, np.integer):
        raise InvalidInput("labels must be integer class indices", field="labels")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise InvalidInput("labels out of range of the class columns", field="labels")
    return y.astype(np.int64)


def _matrix(a: np.ndarray, field: str) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise InvalidInput(f"{field} must be n_items x n_classes (>= 2)", field=field)
    return arr


def logits_from_probs(probs: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Log-probabilities, usable as logits: softmax(log p) = p."""
    logits: np.ndarray = np.log(np.clip(_matrix(probs, "probs"), eps, 1.0))
    return logits


def negative_log_likelihood(probs: np.ndarray, labels: np.ndarray, eps: float = 1e-12) -> float:
    """Mean -log p(true class)."""
    p = _matrix(probs, "probs")
    y = _labels(labels, p.shape[0], p.shape[1])
    return float(-np.log(np.clip(p[np.arange(p.shape[0]), y], eps, 1.0)).mean())


def _bin_ids(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin m holds confidences in ((m-1)/M, m/M] (Guo et al. 2017, section 2)."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.searchsorted(edges[1:-1], confidence, side="left")


def expected_calibration_error(
    probs: np.ndarray, labels: np.ndarray, n_bins: int = DEFAULT_BINS
) -> float:
    """ECE = sum_m |B_m|/n |acc(B_m) - conf(B_m)| over top-label confidence
    (Guo et al. 2017, eq. 3), with ``n_bins`` equal-width bins."""
    p = _matrix(probs, "probs")
    y = _labels(labels, p.shape[0], p.shape[1])
    if p.shape[0] == 0:
        raise InvalidInput("no items to measure calibration on", field="probs")
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    ids = _bin_ids(confidence, n_bins)
    count = np.bincount(ids, minlength=n_bins)
    gap = np.abs(
        np.bincount(ids, weights=correct, minlength=n_bins)
        - np.bincount(ids, weights=confidence, minlength=n_bins)
    )
    return float(gap.sum() / count.sum())


def ece_bootstrap(
    probs: np.ndarray,
    labels: np.ndarray,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
    n_bins: int = DEFAULT_BINS,
) -> tuple[float, float, np.ndarray]:
    """Percentile bootstrap interval ``(low, high, replicates)`` of the ECE over
    items (Efron and Tibshirani 1993, ch. 13): each round redraws the items with
    replacement and recomputes eq. 3 with the same bins. Bounded by [0, 1]."""
    p = _matrix(probs, "probs")
    y = _labels(labels, p.shape[0], p.shape[1])
    n = p.shape[0]
    if n == 0:
        raise InvalidInput("no items to measure calibration on", field="probs")
    if not 0 < confidence < 1:
        raise InvalidInput("confidence must be in (0, 1)", field="confidence")
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    ids = _bin_ids(conf, n_bins)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(n_boot, n))
    # one bincount over (round, bin) cells for all rounds at once
    cell = (np.arange(n_boot)[:, None] * n_bins + ids[draws]).ravel()
    size = n_boot * n_bins
    acc = np.bincount(cell, weights=correct[draws].ravel(), minlength=size)
    cnf = np.bincount(cell, weights=conf[draws].ravel(), minlength=size)
    reps = np.abs(acc - cnf).reshape(n_boot, n_bins).sum(axis=1) / n
    q = (1.0 - confidence) / 2.0
    low, high = np.quantile(reps, [q, 1.0 - q]) if n_boot else (np.nan, np.nan)
    return float(low), float(high), reps


class TemperatureScaling:
    """Temperature scaling (Guo et al. 2017, section 4.2): q = softmax(z / T).

    ``fit`` takes logits, or probabilities with ``from_probs=True`` (their logs
    are logits up to a per-row constant, which softmax ignores). T minimises
    the NLL within ``bounds``.

    Attributes after ``fit``: ``temperature_``, ``nll_before_``, ``nll_after_``.
    """

    def __init__(self, bounds: tuple[float, float] = (0.01, 100.0)) -> None:
        self.bounds = bounds

    def _logits(self, scores: np.ndarray, from_probs: bool) -> np.ndarray:
        return logits_from_probs(scores) if from_probs else _matrix(scores, "logits")

    @staticmethod
    def _nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
        logp = log_softmax(logits / temperature, axis=1)
        return float(-logp[np.arange(logits.shape[0]), y].mean())

    def fit(
        self, scores: np.ndarray, labels: np.ndarray, *, from_probs: bool = False
    ) -> TemperatureScaling:
        z = self._logits(scores, from_probs)
        y = _labels(labels, z.shape[0], z.shape[1])
        if z.shape[0] == 0:
            raise InvalidInput("temperature scaling needs labeled items", field="labels")
        self.temperature_ = 1.0 / self._fit_inverse_temperature(z, y)
        self.nll_before_ = self._nll(z, y, 1.0)
        self.nll_after_ = self._nll(z, y, self.temperature_)
        return self

    def _fit_inverse_temperature(self, z: np.ndarray, y: np.ndarray) -> float:
        """Safeguarded Newton on b = 1/T. NLL(b) = mean(logsumexp(b z) - b z_y) is
        convex in b with NLL' = mean(E_p[z] - z_y) and NLL'' = mean(Var_p[z]), so a
        bracket on the sign of NLL' keeps every step safe; one pass per step."""
        lo, hi = 1.0 / self.bounds[1], 1.0 / self.bounds[0]
        z_true = z[np.arange(z.shape[0]), y].mean()
        z2 = z * z

        def derivatives(b: float) -> tuple[float, float]:
            p = np.exp(log_softmax(b * z, axis=1))
            ez = np.einsum("ij,ij->i", p, z)
            return ez.mean() - z_true, (np.einsum("ij,ij->i", p, z2) - ez * ez).mean()

        if derivatives(lo)[0] >= 0:  # NLL rises from the smallest 1/T on: T at its bound
            return lo
        if derivatives(hi)[0] <= 0:
            return hi
        b = min(max(1.0, lo), hi)
        for _ in range(100):
            grad, hess = derivatives(b)
            if grad > 0:
                hi = b
            else:
                lo = b
            new = b - grad / hess if hess > 0 else np.inf
            if not lo < new < hi:
                new = (lo + hi) / 2.0
            if abs(new - b) <= 1e-10 * b or hi - lo <= 1e-10 * hi:
                return float(new)
            b = new
        return float(b)

    def predict_proba(self, scores: np.ndarray, *, from_probs: bool = False) -> np.ndarray:
        """Calibrated probabilities for new logits (or probabilities)."""
        if not hasattr(self, "temperature_"):
            raise InvalidInput("call fit before predict_proba")
        z = self._logits(scores, from_probs)
        return np.exp(log_softmax(z / self.temperature_, axis=1))

    def fit_predict_proba(
        self, scores: np.ndarray, labels: np.ndarray, *, from_probs: bool = False
    ) -> np.ndarray:
        return self.fit(scores, labels, from_probs=from_probs).predict_proba(
            scores, from_probs=from_probs
        )
