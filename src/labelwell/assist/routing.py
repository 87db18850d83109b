"""Route items by calibrated confidence: auto-approve, review a suggestion, or label.

Defaults from practice: confidence >= 0.85 is auto-approved (a 5% spot-check
share still goes to people), 0.5 to 0.85 is reviewed with the model's
suggestion shown, below 0.5 is labeled from scratch. Instead of a fixed
number the auto-approve threshold can be chosen for a target precision from
calibration data (``threshold_for_precision``), and ``RoutingMonitor`` raises
it when spot checks show auto-approved precision below target.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
from scipy.stats import beta

from labelwell.errors import InvalidInput


class Route(StrEnum):
    AUTO_APPROVE = "auto_approve"
    REVIEW = "review"
    LABEL = "label"


@dataclass(frozen=True)
class RoutingPolicy:
    """Thresholds on calibrated confidence; ``approve_threshold`` may be ``inf``
    (nothing is auto-approved)."""

    approve_threshold: float = 0.85
    review_threshold: float = 0.5
    spot_check_rate: float = 0.05

    def __post_init__(self) -> None:
        if not 0.0 <= self.review_threshold <= self.approve_threshold:
            raise InvalidInput(
                "need 0 <= review_threshold <= approve_threshold", field="review_threshold"
            )
        if not 0.0 <= self.spot_check_rate <= 1.0:
            raise InvalidInput("spot_check_rate must be in [0, 1]", field="spot_check_rate")


@dataclass(frozen=True)
class RoutingDecision:
    """Per-item routes; ``spot_check`` marks auto-approved items sent to people anyway."""

    routes: np.ndarray
    spot_check: np.ndarray

    @property
    def needs_human(self) -> np.ndarray:
        human: np.ndarray = (self.routes != Route.AUTO_APPROVE) | self.spot_check
        return human

    @property
    def skip_share(self) -> float:
        """Share of items that no person labels or checks."""
        n = self.routes.shape[0]
        return float((~self.needs_human).sum() / n) if n else 0.0

    def counts(self) -> dict[str, int]:
        out = {r.value: int((self.routes == r).sum()) for r in Route}
        out["spot_check"] = int(self.spot_check.sum())
        return out


def route(
    confidence: np.ndarray,
    policy: RoutingPolicy | None = None,
    seed: int | np.random.Generator | None = None,
) -> RoutingDecision:
    """Route each item by its calibrated confidence (top-class probability).

    Exactly round(spot_check_rate x auto-approved) auto-approved items, drawn at
    random, are marked for a spot check.
    """
    policy = policy or RoutingPolicy()
    conf = np.asarray(confidence, dtype=np.float64)
    if conf.ndim != 1:
        raise InvalidInput("confidence must be 1-d", field="confidence")
    routes = np.full(conf.shape[0], Route.LABEL.value, dtype=object)
    routes[conf >= policy.review_threshold] = Route.REVIEW.value
    auto = conf >= policy.approve_threshold
    routes[auto] = Route.AUTO_APPROVE.value
    spot = np.zeros(conf.shape[0], dtype=bool)
    auto_idx = np.flatnonzero(auto)
    n_spot = int(round(policy.spot_check_rate * auto_idx.shape[0]))
    if n_spot:
        rng = np.random.default_rng(seed)
        spot[rng.choice(auto_idx, size=n_spot, replace=False)] = True
    return RoutingDecision(routes=routes.astype(str), spot_check=spot)


def precision_lower_bound(
    correct: np.ndarray | int, total: np.ndarray | int, level: float
) -> np.ndarray:
    """One-sided Clopper-Pearson lower bound on a proportion (exact binomial)."""
    k = np.asarray(correct, dtype=np.float64)
    n = np.asarray(total, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        lower = beta.ppf(1.0 - level, k, n - k + 1.0)
    return np.where(k > 0, np.nan_to_num(lower, nan=0.0), 0.0)


@dataclass(frozen=True)
class ThresholdChoice:
    """The auto-approve threshold chosen for a target precision.

    ``precision`` and ``coverage`` are measured on the calibration data at that
    threshold; ``threshold`` is ``inf`` when no threshold reaches the target.
    """

    threshold: float
    target: float
    precision: float
    precision_lower: float
    coverage: float
    support: int

    @property
    def achievable(self) -> bool:
        return math.isfinite(self.threshold)


def threshold_for_precision(
    confidence: np.ndarray,
    correct: np.ndarray,
    target: float = 0.98,
    level: float | None = 0.95,
    min_support: int = 1,
) -> ThresholdChoice:
    """Lowest threshold t whose auto-approved set {confidence >= t} meets ``target``.

    With ``level`` set, the one-sided Clopper-Pearson lower bound on precision
    at that level must reach the target, so a threshold is not chosen on the
    luck of a small sample; ``level=None`` uses the observed precision.
    Lowest threshold = most items auto-approved.
    """
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=bool)
    if conf.ndim != 1 or ok.shape != conf.shape:
        raise InvalidInput("confidence and correct must be 1-d of equal length", field="correct")
    if not 0.0 < target <= 1.0:
        raise InvalidInput("target precision must be in (0, 1]", field="target")
    order = np.argsort(-conf, kind="stable")
    c_sorted, ok_sorted = conf[order], ok[order]
    hits = np.cumsum(ok_sorted)
    support = np.arange(1, conf.shape[0] + 1)
    # a threshold can only cut between distinct confidence values
    last_of_tie = np.ones(conf.shape[0], dtype=bool)
    last_of_tie[:-1] = c_sorted[1:] != c_sorted[:-1]
    precision = hits / support
    bound = precision if level is None else precision_lower_bound(hits, support, level)
    valid = last_of_tie & (bound >= target) & (support >= min_support)
    if not valid.any():
        return ThresholdChoice(math.inf, target, math.nan, math.nan, 0.0, 0)
    i = int(np.flatnonzero(valid)[-1])
    lower = float(precision_lower_bound(hits[i], support[i], level)) if level else math.nan
    return ThresholdChoice(
        threshold=float(c_sorted[i]),
        target=target,
        precision=float(precision[i]),
        precision_lower=lower,
        coverage=float(support[i] / conf.shape[0]),
        support=int(support[i]),
    )


@dataclass
class ThresholdChange:
    old: float
    new: float
    precision: float
    checks: int


@dataclass
class RoutingMonitor:
    """Track spot-check precision of auto-approved items and tighten when it slips.

    ``record`` takes spot-check outcomes (the item's confidence and whether the
    person agreed with the model). Once ``min_checks`` outcomes sit in the
    window and their precision is below ``target``, the approve threshold rises
    to the lowest value whose spot-checked items met the target (point
    estimate), or, if none did, halfway to 1. The window then restarts, since
    the new threshold needs fresh evidence.
    """

    policy: RoutingPolicy = field(default_factory=RoutingPolicy)
    target: float = 0.98
    min_checks: int = 50
    window: int = 500
    history: list[ThresholdChange] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._conf: deque[float] = deque(maxlen=self.window)
        self._ok: deque[bool] = deque(maxlen=self.window)

    @property
    def checks(self) -> int:
        return len(self._ok)

    @property
    def precision(self) -> float:
        """Observed auto-approve precision in the current window (nan if empty)."""
        return float(np.mean(self._ok)) if self._ok else math.nan

    def record(self, confidence: np.ndarray | float, correct: np.ndarray | bool) -> bool:
        """Add spot-check outcomes; return True when the threshold was raised."""
        conf = np.atleast_1d(np.asarray(confidence, dtype=np.float64))
        ok = np.atleast_1d(np.asarray(correct, dtype=bool))
        if conf.shape != ok.shape:
            raise InvalidInput("confidence and correct differ in length", field="correct")
        keep = conf >= self.policy.approve_threshold  # checks from before a raise no longer apply
        self._conf.extend(conf[keep].tolist())
        self._ok.extend(ok[keep].tolist())
        if self.checks < self.min_checks or self.precision >= self.target:
            return False
        old = self.policy.approve_threshold
        choice = threshold_for_precision(
            np.asarray(self._conf),
            np.asarray(self._ok),
            self.target,
            level=None,
            min_support=max(1, self.min_checks // 5),
        )
        new = choice.threshold if choice.achievable and choice.threshold > old else None
        if new is None:
            new = old + (1.0 - old) / 2.0
        self.history.append(ThresholdChange(old, new, self.precision, self.checks))
        self.policy = replace(self.policy, approve_threshold=new)
        self._conf.clear()
        self._ok.clear()
        return True

    def route(self, confidence: np.ndarray, seed: int | None = None) -> RoutingDecision:
        return route(confidence, self.policy, seed)
