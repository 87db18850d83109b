"""Gold (honeypot) items: accuracy per annotator with a Wilson interval, flags for
retraining, and qualification tests built from gold items.

Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
inference. JASA 22(158), 209-212: for ``x`` successes in ``n`` trials, ``p = x/n``
and ``z`` the normal quantile,
``(p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from labelwell.errors import InvalidInput
from labelwell.quality._frame import check_frame
from labelwell.quality.sample import MINIMUMS


def wilson_interval(
    successes: np.ndarray | int, n: np.ndarray | int, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) score interval ``(low, high)`` for a proportion, elementwise.
    ``n = 0`` gives ``(0, 1)``."""
    if not 0 < confidence < 1:
        raise InvalidInput(f"confidence must be in (0, 1), got {confidence}")
    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = norm.ppf(0.5 + confidence / 2.0)
    safe_n = np.where(n > 0, n, 1.0)
    p = x / safe_n
    denom = 1.0 + z * z / safe_n
    centre = (p + z * z / (2.0 * safe_n)) / denom
    half = z * np.sqrt(p * (1.0 - p) / safe_n + z * z / (4.0 * safe_n * safe_n)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), 1.0)
    return low, high


def _gold_series(gold: pd.Series | Mapping[Hashable, object]) -> pd.Series:
    series = gold if isinstance(gold, pd.Series) else pd.Series(dict(gold), dtype=object)
    if series.index.has_duplicates:
        raise InvalidInput("gold has more than one label for a task", field="gold")
    return series


def gold_correct(frame: pd.DataFrame, gold: pd.Series | Mapping[Any, Any]) -> pd.DataFrame:
    """The answers on gold tasks with a boolean ``correct`` column, in frame order."""
    check_frame(frame)
    truth = _gold_series(gold)
    expected = frame["task"].map(truth)
    on_gold = frame[expected.notna().to_numpy()].copy()
    on_gold["correct"] = (on_gold["label"] == expected[on_gold.index]).to_numpy()
    return on_gold


def first_answers(frame: pd.DataFrame, order_by: str = "at") -> pd.DataFrame:
    """Each worker's first answer per task (smallest ``order_by``). Gold is scored
    on the answer given before any feedback; a later edit is a revision, never
    rescored (otherwise feedback on the expected answer would be a free retry)."""
    check_frame(frame)
    if order_by not in frame.columns:
        raise InvalidInput(f"frame has no column {order_by!r} to order answers by", field=order_by)
    ordered = frame.sort_values(order_by, kind="stable")
    return ordered.drop_duplicates(["task", "worker"], keep="first").sort_index()


def gold_accuracy(
    frame: pd.DataFrame, gold: pd.Series | Mapping[Any, Any], confidence: float = 0.95
) -> pd.DataFrame:
    """Accuracy per annotator on gold tasks with a Wilson (1927) interval.

    ``gold`` maps task -> true label. Returns a frame indexed by ``worker`` with
    ``n_gold, n_correct, accuracy, ci_low, ci_high, small_sample`` for every
    worker who answered at least one gold task; ``small_sample`` is true under
    the ``gold_accuracy`` minimum of :mod:`labelwell.quality.sample`.
    """
    answers = gold_correct(frame, gold)
    grouped = answers.groupby("worker", sort=True)["correct"]
    n_gold = grouped.size()
    n_correct = grouped.sum().astype(int)
    low, high = wilson_interval(n_correct.to_numpy(), n_gold.to_numpy(), confidence)
    return pd.DataFrame(
        {
            "n_gold": n_gold.astype(int),
            "n_correct": n_correct,
            "accuracy": n_correct / n_gold,
            "ci_low": low,
            "ci_high": high,
            "small_sample": n_gold < MINIMUMS["gold_accuracy"].n,
        }
    )


@dataclass(frozen=True)
class RetrainingFlag:
    """An annotator whose gold accuracy is under the project's threshold."""

    annotator: Hashable
    accuracy: float
    ci_low: float
    ci_high: float
    n_gold: int
    threshold: float

    @property
    def message(self) -> str:
        return (
            f"{self.annotator}: gold accuracy {self.accuracy:.0%} on {self.n_gold} items "
            f"(95% CI {self.ci_low:.0%}-{self.ci_high:.0%}) is under {self.threshold:.0%}; "
            "send to retraining"
        )


def flag_for_retraining(
    frame: pd.DataFrame,
    gold: pd.Series | Mapping[Any, Any],
    threshold: float = 0.80,
    *,
    min_gold: int = 1,
    rule: Literal["point", "upper"] = "point",
    confidence: float = 0.95,
) -> list[RetrainingFlag]:
    """Annotators to retrain: gold accuracy under ``threshold``.

    ``rule="point"`` flags on the accuracy itself; ``rule="upper"`` only when the
    whole Wilson interval lies under the threshold (few false alarms on small
    samples). Annotators with fewer than ``min_gold`` gold answers are skipped.
    """
    if rule not in ("point", "upper"):
        raise InvalidInput(f"rule must be 'point' or 'upper', got {rule!r}")
    table = gold_accuracy(frame, gold, confidence)
    table = table[table["n_gold"] >= min_gold]
    score = table["accuracy"] if rule == "point" else table["ci_high"]
    flagged = table[score < threshold]
    return [
        RetrainingFlag(
            annotator=worker,
            accuracy=float(row.accuracy),
            ci_low=float(row.ci_low),
            ci_high=float(row.ci_high),
            n_gold=int(row.n_gold),
            threshold=threshold,
        )
        for worker, row in flagged.iterrows()
    ]


@dataclass(frozen=True)
class QualificationResult:
    """Score of one annotator on a qualification test. Unanswered items count as
    wrong."""

    annotator: Hashable | None
    n_items: int
    n_answered: int
    n_correct: int
    accuracy: float
    passed: bool


@dataclass(frozen=True)
class QualificationTest:
    """``k`` gold items an annotator must answer at ``pass_mark`` before real work."""

    answer_key: Mapping[Hashable, object]
    pass_mark: float = 0.85

    @property
    def items(self) -> tuple[Hashable, ...]:
        return tuple(self.answer_key)

    @classmethod
    def from_gold(
        cls,
        gold: pd.Series | Mapping[Any, Any],
        k: int = 10,
        pass_mark: float = 0.85,
        seed: int | None = None,
    ) -> QualificationTest:
        """Draw ``k`` distinct gold items uniformly at random (seeded)."""
        truth = _gold_series(gold)
        if not 0 < k <= len(truth):
            raise InvalidInput(f"k must be between 1 and the {len(truth)} gold items, got {k}")
        if not 0 <= pass_mark <= 1:
            raise InvalidInput(f"pass_mark must be in [0, 1], got {pass_mark}")
        pick = np.random.default_rng(seed).choice(len(truth), size=k, replace=False)
        chosen = truth.iloc[np.sort(pick)]
        return cls(
            answer_key=dict(zip(chosen.index, chosen.to_numpy(), strict=True)), pass_mark=pass_mark
        )

    def score(
        self, answers: Mapping[Hashable, object], annotator: Hashable | None = None
    ) -> QualificationResult:
        """Score one annotator's ``task -> label`` answers; other tasks are ignored."""
        n = len(self.answer_key)
        answered = [t for t in self.answer_key if t in answers]
        correct = sum(1 for t in answered if answers[t] == self.answer_key[t])
        return QualificationResult(
            annotator=annotator,
            n_items=n,
            n_answered=len(answered),
            n_correct=correct,
            accuracy=correct / n,
            passed=correct >= self.pass_mark * n - 1e-9,
        )

    def score_frame(self, frame: pd.DataFrame) -> list[QualificationResult]:
        """Score every worker of a long ``task, worker, label`` frame."""
        check_frame(frame)
        on_test = frame[frame["task"].isin(list(self.answer_key))]
        by_worker = {
            worker: dict(zip(rows["task"], rows["label"], strict=True))
            for worker, rows in on_test.groupby("worker", sort=False)
        }
        return [
            self.score(by_worker.get(worker, {}), annotator=worker)
            for worker in pd.unique(frame["worker"])
        ]
