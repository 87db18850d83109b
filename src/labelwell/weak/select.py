"""Choosing the label model by validation evidence.

Which label model is best depends on the LFs: the one-coin model
(:class:`~labelwell.weak.LabelModel`) was the most accurate on WRENCH YouTube,
the class-conditional model
(:class:`~labelwell.weak.ClassConditionalLabelModel`) on WRENCH chemprot (10
classes, one-sided LFs), and on other WRENCH sets majority vote beats both
(``docs/benchmarks.md``). So every candidate is fitted on the unlabelled ``L``
and the one most accurate on dev labels is kept: items with a known label (a
WRENCH ``valid`` split, or the items people labelled in a project), scored by
expected accuracy under a random tie-break (a tie between ``t`` classes counts
``1/t`` if the right class is among them), so the choice does not depend on a
coin. Ties go to the simpler candidate (majority vote first). Dev labels also
give the class balance (add-one smoothed class frequencies), which the
one-coin and class-conditional candidates then keep fixed.

With fewer than ``min_dev`` dev labels the evidence is too thin to choose on
(a difference of one or two items decides), so :data:`NO_DEV_DEFAULT` is used:
the one-coin model, the earlier default, kept because the project's routing and
learned accuracies need a fitted model. Without labels no candidate wins
everywhere in ``benchmarks/bench_label_model.py``: one-coin on WRENCH YouTube,
majority vote on chemprot, the class-conditional model on most synthetic
one-sided sets; majority vote has the best mean there (``docs/benchmarks.md``).
Nor does a label-free choice by model evidence help: AIC and BIC of the LF
outputs pick the class-conditional model on both WRENCH sets (it alone models
class-dependent firing), which is below majority vote on YouTube.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from labelwell.errors import InvalidInput
from labelwell.weak.baselines import MajorityLabelVoter
from labelwell.weak.class_conditional import ClassConditionalLabelModel
from labelwell.weak.label_model import LabelModel

# Dev labels needed before the candidates are compared on them.
MIN_DEV_LABELS = 50
# Candidates in order of simplicity (ties go to the first).
CANDIDATES = ("majority", "label_model", "class_conditional")
# The model used without enough dev labels (evidence: docs/benchmarks.md).
NO_DEV_DEFAULT = "label_model"


@dataclass(frozen=True)
class LabelModelChoice:
    """The chosen, fitted model and why: ``criterion`` is ``"dev accuracy"`` or
    ``"default"``; ``dev_accuracy`` holds each candidate's expected accuracy on the
    ``n_dev`` dev labels (empty under the default)."""

    name: str
    model: Any
    criterion: str
    n_dev: int
    dev_accuracy: dict[str, float] = field(default_factory=dict)
    class_balance: list[float] | None = None

    @property
    def reason(self) -> str:
        if self.criterion == "default":
            return (
                f"{self.name}: the default, since only {self.n_dev} dev labels "
                f"(under {MIN_DEV_LABELS}) were there to choose on"
            )
        scores = ", ".join(f"{n} {a:.3f}" for n, a in self.dev_accuracy.items())
        return f"{self.name}: most accurate on {self.n_dev} dev labels ({scores})"


def expected_accuracy(proba: np.ndarray, y: np.ndarray, tol: float = 1e-5) -> float:
    """Mean chance that a random tie-break among the top classes picks ``y``."""
    proba = np.asarray(proba)
    is_top = (proba.max(axis=1, keepdims=True) - proba) < tol
    hit = is_top[np.arange(len(y)), y]
    return float(np.mean(hit / is_top.sum(axis=1)))


def dev_class_balance(y_dev: np.ndarray, cardinality: int) -> np.ndarray:
    """Add-one smoothed class frequencies of the dev labels."""
    counts = np.bincount(y_dev, minlength=cardinality).astype(np.float64) + 1.0
    balance: np.ndarray = counts / counts.sum()
    return balance


def build_candidate(name: str, cardinality: int) -> Any:
    if name == "majority":
        return MajorityLabelVoter(cardinality)
    if name == "label_model":
        return LabelModel(cardinality)
    if name == "class_conditional":
        return ClassConditionalLabelModel(cardinality)
    raise InvalidInput(f"unknown label model {name!r}; known: {', '.join(CANDIDATES)}")


def fit_candidate(
    name: str,
    L: np.ndarray | sp.spmatrix | sp.sparray,
    cardinality: int,
    class_balance: np.ndarray | None = None,
) -> Any:
    """Fit one candidate on ``L``; ``class_balance`` fixed when given (majority
    vote has none), else uniform for the one-coin model and learned for the
    class-conditional one."""
    model = build_candidate(name, cardinality)
    if name == "majority":
        return model.fit(L)
    return model.fit(L, class_balance=class_balance)


def choose_label_model(
    L: np.ndarray | sp.spmatrix | sp.sparray,
    cardinality: int,
    *,
    L_dev: np.ndarray | sp.csr_matrix | sp.csr_array | None = None,
    y_dev: np.ndarray | None = None,
    min_dev: int = MIN_DEV_LABELS,
) -> LabelModelChoice:
    """Fit the candidates on ``L`` and keep the one most accurate on the dev items
    ``L_dev`` (their votes; they may be rows of ``L``) with labels ``y_dev``
    (-1 = unknown); below ``min_dev`` known labels, :data:`NO_DEV_DEFAULT`."""
    if (L_dev is None) != (y_dev is None):
        raise InvalidInput("L_dev and y_dev go together: give both or neither")
    n_dev = 0
    if y_dev is not None and L_dev is not None:
        y_dev = np.asarray(y_dev).reshape(-1).astype(np.int64)
        if y_dev.shape[0] != L_dev.shape[0]:
            raise InvalidInput(f"y_dev has {y_dev.shape[0]} labels for {L_dev.shape[0]} items")
        if np.any(y_dev >= cardinality) or np.any(y_dev < -1):
            raise InvalidInput(f"y_dev holds a class outside -1..{cardinality - 1}")
        known = np.flatnonzero(y_dev >= 0)
        n_dev = int(known.shape[0])
    if n_dev < min_dev or L_dev is None or y_dev is None:
        model = fit_candidate(NO_DEV_DEFAULT, L, cardinality)
        return LabelModelChoice(NO_DEV_DEFAULT, model, "default", n_dev)
    L_known = L_dev[known]
    y_known = y_dev[known]
    balance = dev_class_balance(y_known, cardinality)
    fitted = {name: fit_candidate(name, L, cardinality, balance) for name in CANDIDATES}
    scores = {
        name: expected_accuracy(model.predict_proba(L_known), y_known)
        for name, model in fitted.items()
    }
    best = max(CANDIDATES, key=lambda name: (scores[name], -CANDIDATES.index(name)))
    return LabelModelChoice(
        best, fitted[best], "dev accuracy", n_dev, scores, [float(b) for b in balance]
    )
