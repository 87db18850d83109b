"""Small samples: the minimum sample of every statistic the product shows, the
warning under it, and the checks that say when a bootstrap interval is unstable.

One place for the thresholds and their wording (English and Korean), so the
leaderboard, gold accuracy, agreement, calibration and LF accuracy warn alike.
The reasons for each minimum are in ``docs/quality.md`` ("Small samples").

A percentile bootstrap interval (Efron and Tibshirani 1993, ch. 13) is flagged
``unstable`` when

``few_rounds``
    it rests on fewer than ``MIN_BOOTSTRAP`` (100) rounds: its 2.5% and 97.5%
    quantiles are then the 1st to 3rd most extreme replicates;
``few_resamples``
    the sample has so few units that fewer than ``n_boot`` distinct resamples
    exist: ``C(2n - 1, n)`` of them for ``n`` units (Efron and Tibshirani 1993,
    problem 6.5; Hall 1992, appendix I): 10 for 3 units, 126 for 5, 92,378 for 10;
``degenerate``
    every finite replicate has the same value, or more than 10% of them are
    undefined (a resample where the statistic does not exist);
``too_wide``
    the interval covers more than half of the parameter's range (a kappa interval
    wider than 1, an ECE or accuracy interval wider than 0.5);
``diverged``
    in some replicates the estimate does not exist and the fit ran off (a
    Bradley-Terry model with only wins or only losses in a resample: Ford 1957).

This module imports neither the store nor the server.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Minimum:
    """The smallest sample a statistic is shown without a warning."""

    n: int
    unit: str
    unit_ko: str


#: The minimum sample per statistic; docs/quality.md gives the reason for each.
MINIMUMS: dict[str, Minimum] = {
    # Wilson interval: with n of n correct the lower bound is n / (n + z^2):
    # 0.57 at 5, 0.72 at 10, 0.84 at 20.
    "gold_accuracy": Minimum(10, "gold items", "골드 항목"),
    # Unit bootstrap of agreement: C(2n-1, n) distinct resamples, and the
    # coverage of the percentile interval measured in docs/quality.md.
    "agreement": Minimum(30, "items with two or more answers", "답이 둘 이상인 항목"),
    # Bradley-Terry: the 95% half-width between even models is about
    # 1.96 * 2 * 400 / ln(10) / sqrt(n) rating points: 152 at 20 battles.
    "leaderboard": Minimum(20, "battles of the model", "모델의 대결"),
    # ECE with 15 bins: fewer than about 7 items a bin makes the plug-in ECE
    # biased upward (and 0 after temperature scaling on one item).
    "calibration": Minimum(100, "held-out items", "보류 항목"),
    # An LF's accuracy is a proportion over the labelled items it votes on, used
    # to compare LFs: at 29 votes its 95% Wilson interval is +-0.17 at an
    # accuracy of 0.5, +-0.16 at 0.7, +-0.13 at 0.85 (at 10 votes +-0.23 to 0.26).
    "lf_accuracy": Minimum(30, "labelled items it votes on", "투표한 라벨 항목"),
}

#: Bootstrap rounds below which an interval is called unstable on that ground alone.
MIN_BOOTSTRAP = 100
#: Share of undefined replicates above which the bootstrap is degenerate.
MAX_UNDEFINED = 0.10

_STATISTIC_KO = {
    "gold_accuracy": "골드 정확도",
    "agreement": "일치도",
    "leaderboard": "리더보드 점수",
    "calibration": "보정 오차(ECE)",
    "lf_accuracy": "라벨링 함수 정확도",
}
_STATISTIC_EN = {
    "gold_accuracy": "gold accuracy",
    "agreement": "agreement",
    "leaderboard": "leaderboard rating",
    "calibration": "calibration error (ECE)",
    "lf_accuracy": "labeling function accuracy",
}
_REASONS_EN = {
    "few_rounds": f"fewer than {MIN_BOOTSTRAP} bootstrap rounds",
    "few_resamples": "too few distinct resamples",
    "degenerate": "the bootstrap distribution is degenerate",
    "too_wide": "the interval covers more than half the possible range",
    "diverged": "the fit has no finite estimate in some resamples",
}
_REASONS_KO = {
    "few_rounds": f"부트스트랩 반복이 {MIN_BOOTSTRAP}회 미만",
    "few_resamples": "서로 다른 재표본이 너무 적음",
    "degenerate": "부트스트랩 분포가 퇴화함",
    "too_wide": "구간이 가능한 범위의 절반 이상을 덮음",
    "diverged": "일부 재표본에서 유한한 추정값이 없음",
}


@dataclass(frozen=True)
class SampleWarning:
    """A statistic shown on too small a sample, or with an unstable interval.

    ``kind`` is ``small_sample`` or ``unstable_interval``; ``subject`` names what
    the figure is about (an annotator, a model, a control), or is ``None``."""

    statistic: str
    kind: str
    subject: str | None
    n: int
    minimum: int
    message: str
    message_ko: str
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "statistic": self.statistic,
            "kind": self.kind,
            "subject": self.subject,
            "n": self.n,
            "minimum": self.minimum,
            "message": self.message,
            "message_ko": self.message_ko,
            "reasons": list(self.reasons),
        }


def _prefix(subject: str | None) -> str:
    return f"{subject}: " if subject is not None else ""


def check_sample(statistic: str, n: int, subject: Any = None) -> SampleWarning | None:
    """A ``small_sample`` warning when ``n`` is under the statistic's minimum."""
    rule = MINIMUMS[statistic]
    if n >= rule.n:
        return None
    who = None if subject is None else str(subject)
    return SampleWarning(
        statistic,
        "small_sample",
        who,
        int(n),
        rule.n,
        f"{_prefix(who)}{_STATISTIC_EN[statistic]} from {n} {rule.unit} "
        f"(fewer than {rule.n}): treat it as a rough guide",
        f"{_prefix(who)}{_STATISTIC_KO[statistic]}: {rule.unit_ko} {n}개로 계산됨 "
        f"({rule.n}개 미만): 대략적인 참고로만 보세요",
    )


def unstable_warning(
    statistic: str, n: int, reasons: list[str], subject: Any = None
) -> SampleWarning | None:
    """An ``unstable_interval`` warning for the reasons found (none: ``None``)."""
    if not reasons:
        return None
    who = None if subject is None else str(subject)
    return SampleWarning(
        statistic,
        "unstable_interval",
        who,
        int(n),
        MINIMUMS[statistic].n,
        f"{_prefix(who)}the {_STATISTIC_EN[statistic]} interval is unstable: "
        + "; ".join(_REASONS_EN[r] for r in reasons),
        f"{_prefix(who)}{_STATISTIC_KO[statistic]} 구간이 불안정합니다: "
        + "; ".join(_REASONS_KO[r] for r in reasons),
        list(reasons),
    )


def distinct_resamples(n: int) -> int:
    """How many different bootstrap resamples ``n`` units have: ``C(2n - 1, n)``."""
    return math.comb(2 * n - 1, n) if n > 0 else 0


def bootstrap_instability(
    replicates: np.ndarray,
    n: int,
    low: float,
    high: float,
    *,
    value_range: tuple[float, float] | None = None,
) -> list[str]:
    """The reasons a percentile interval from ``replicates`` (one statistic, ``nan``
    for undefined) over ``n`` resampled units is unstable; empty when it is not."""
    reps = np.asarray(replicates, dtype=float).ravel()
    reasons = []
    n_boot = reps.size
    if n_boot < MIN_BOOTSTRAP:
        reasons.append("few_rounds")
    if distinct_resamples(n) < n_boot:
        reasons.append("few_resamples")
    finite = reps[np.isfinite(reps)]
    if (
        finite.size == 0
        or np.ptp(finite) <= 1e-12 * max(1.0, float(np.abs(finite).max()))
        or finite.size < (1.0 - MAX_UNDEFINED) * n_boot
    ):
        reasons.append("degenerate")
    if value_range is not None and math.isfinite(low) and math.isfinite(high):
        span = value_range[1] - value_range[0]
        if high - low > span / 2.0:
            reasons.append("too_wide")
    return reasons
