r"""What the EM-fitted aggregation methods share: the posterior with gold tasks
clamped, and the stopping rule on the observed-data objective.

Each EM method records the objective it climbs (the observed-data log-likelihood,
a log posterior for MAP fits, or the evidence lower bound for variational ones),
per answer, once per iteration. EM and its generalised and variational forms never
lower that objective (Dempster, Laird and Rubin 1977, Theorem 1; Neal and Hinton
1998 for the variational case), so it is the one quantity whose change says that
the fit has settled.

The last gain alone is not that test: EM converges linearly, and where the
likelihood is flat (weak workers, few answers each) it climbs by less than
``tol`` an iteration for dozens of iterations while the fit still moves (one-coin
Dawid-Skene stopped at 18 iterations with its class prior at .854 on a simulated
crowd; it settles at .868 after 78, and its accuracy moves from .827 to .833).
So a fit stops when the gain still to come, by Aitken's extrapolation of the
objective, is under ``tol`` per answer (Aitken 1926; for EM: Böhning, Dietz,
Schaub, Schlattmann and Lindsay 1994, Section 3; McLachlan and Krishnan 2008,
Section 4.9): with the gains :math:`\Delta_t = \ell_t - \ell_{t-1}` and the rate
:math:`a_t = \Delta_t / \Delta_{t-1}`, the limit is
:math:`\ell_\infty \approx \ell_{t-1} + \Delta_t / (1 - a_t)`, and the fit stops
once :math:`\ell_\infty - \ell_{t-1} = \Delta_t / (1 - a_t) < tol` (which implies
:math:`\Delta_t < tol`). While the gains do not shrink (:math:`a_t \ge 1`) the
fit goes on. It never stops before ``min_iter`` iterations, and always at
``max_iter``.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    """The stopping rule: record the objective each iteration, stop once the gain
    still to come (Aitken's extrapolation, see the module docstring) is under
    ``tol``, after ``min_iter`` iterations, or at ``max_iter``. Fits that run
    several starts side by side record one objective per start and stop when none
    of them has ``tol`` left to gain."""

    tol: float
    min_iter: int
    max_iter: int
    history: list[float | np.ndarray] = field(default_factory=list)
    converged: bool = False

    def done(self, objective: float | np.ndarray) -> bool:
        value = np.asarray(objective, dtype=float)
        self.history.append(float(value) if value.ndim == 0 else value)
        n = len(self.history)
        if n >= max(self.min_iter, 3) and np.max(remaining_gain(self.history[-3:])) < self.tol:
            self.converged = True
            return True
        return n >= self.max_iter

    @property
    def n_iter(self) -> int:
        return len(self.history)


def remaining_gain(last3: Sequence[float | np.ndarray]) -> np.ndarray:
    """Aitken's estimate of what the objective still gains after the second of
    three successive values, ``ell_inf - ell_{t-1} = gain_t / (1 - a_t)``; ``inf``
    where the gains do not shrink. The objective may settle exactly (a gain of 0),
    or wobble by rounding (a gain of about -1e-16): both count as settled."""
    before, prev, last = (np.asarray(v, dtype=float) for v in last3)
    gain, gain_before = last - prev, prev - before
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(gain_before > 0, gain / gain_before, np.inf)
        left = np.where(rate < 1, np.maximum(gain, 0.0) / (1.0 - np.maximum(rate, 0.0)), np.inf)
    return np.asarray(np.where(gain <= 0, np.maximum(gain, 0.0), left), dtype=float)


def dirichlet_kl(posterior: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """KL(Dir(posterior) || Dir(prior)) over the last axis (the ELBO's parameter
    term in mean-field variational Bayes; Bishop 2006, eq. B.21 and 10.71)."""
    post0 = posterior.sum(axis=-1)
    prior = np.broadcast_to(prior, posterior.shape)
    kl: np.ndarray = (
        gammaln(post0)
        - gammaln(posterior).sum(axis=-1)
        - gammaln(prior.sum(axis=-1))
        + gammaln(prior).sum(axis=-1)
        + ((posterior - prior) * (digamma(posterior) - digamma(post0)[..., None])).sum(axis=-1)
    )
    return kl
