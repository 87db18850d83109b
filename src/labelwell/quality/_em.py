"""What the EM-fitted aggregation methods share: the posterior with gold tasks
clamped, and the stopping rule on the observed-data objective.

Each EM method records the objective it climbs (the observed-data log-likelihood,
a log posterior for MAP fits, or the evidence lower bound for variational ones),
per answer, once per iteration. EM and its generalised and variational forms never
lower that objective (Dempster, Laird and Rubin 1977, Theorem 1; Neal and Hinton
1998 for the variational case), so it is the one quantity whose change says that
the fit has settled. A fit stops when the objective gains less than ``tol`` per
answer, after at least ``min_iter`` iterations, or after ``max_iter``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import digamma, gammaln

from labelwell.errors import InvalidInput
from labelwell.quality._frame import clamp, softmax_rows


def posterior(
    log_joint: np.ndarray, gold_t: np.ndarray, gold_l: np.ndarray
) -> tuple[np.ndarray, float]:
    """Posterior over labels (gold tasks clamped) and the log marginal likelihood,
    in which gold tasks count with their known label. Overwrites ``log_joint``."""
    gold_joint = log_joint[gold_t, gold_l] if len(gold_t) else None
    probas, lse = softmax_rows(log_joint, inplace=True)
    if gold_joint is not None:
        lse[gold_t] = gold_joint
    clamp(probas, gold_t, gold_l)
    return probas, float(lse.sum())


def check_iterations(n_iter: int, min_iter: int, tol: float) -> None:
    if n_iter < 1 or min_iter < 1:
        raise InvalidInput(f"n_iter and min_iter must be at least 1, got {n_iter} and {min_iter}")
    if not tol >= 0:
        raise InvalidInput(f"tol must be a number >= 0, got {tol!r}")


@dataclass
class Convergence:
    """The stopping rule: record the objective each iteration, stop once it gained
    less than ``tol`` after ``min_iter`` iterations, or at ``max_iter``. Fits that
    run several starts side by side record one objective per start and stop when
    none of them gains ``tol`` any more."""

    tol: float
    min_iter: int
    max_iter: int
    history: list = field(default_factory=list)
    converged: bool = False

    def done(self, objective: float | np.ndarray) -> bool:
        value = np.asarray(objective, dtype=float)
        self.history.append(float(value) if value.ndim == 0 else value)
        n = len(self.history)
        if n >= max(self.min_iter, 2):
            gain = np.max(value - np.asarray(self.history[-2]))
            if gain < self.tol:
                self.converged = True
                return True
        return n >= self.max_iter

    @property
    def n_iter(self) -> int:
        return len(self.history)


def dirichlet_kl(posterior: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """KL(Dir(posterior) || Dir(prior)) over the last axis (the ELBO's parameter
    term in mean-field variational Bayes; Bishop 2006, eq. B.21 and 10.71)."""
    post0 = posterior.sum(axis=-1)
    prior = np.broadcast_to(prior, posterior.shape)
    return (
        gammaln(post0)
        - gammaln(posterior).sum(axis=-1)
        - gammaln(prior.sum(axis=-1))
        + gammaln(prior).sum(axis=-1)
        + ((posterior - prior) * (digamma(posterior) - digamma(post0)[..., None])).sum(axis=-1)
    )
