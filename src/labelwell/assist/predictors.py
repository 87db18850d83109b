"""The predictor interface: any model that can learn from labels and score items.

A predictor has ``fit(items, labels) -> self``, ``predict_proba(items)`` (rows
follow ``classes_``), a ``name`` and a ``version``, and optionally
``embed(items)`` (used by diversity strategies such as ``kcenter`` and
``badge``). Predictors register by name in ``PREDICTORS`` so the CLI and API
can list them and users can plug in their own (in code with
:func:`register_predictor`, or through the ``labelwell.predictors`` entry-point
group); a built-in's module is imported when it is first used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from labelwell.errors import InvalidInput
from labelwell.registry import Registry


@runtime_checkable
class Predictor(Protocol):
    name: str

    @property
    def version(self) -> str: ...

    @property
    def classes_(self) -> np.ndarray: ...

    def fit(self, items: Sequence[Any], labels: Sequence[Any]) -> Predictor: ...

    def predict_proba(self, items: Sequence[Any]) -> np.ndarray: ...


@runtime_checkable
class EmbeddingPredictor(Predictor, Protocol):
    def embed(self, items: Sequence[Any]) -> np.ndarray: ...


PREDICTORS: Registry[Callable[..., Predictor]] = Registry(
    "predictor",
    group="labelwell.predictors",
    field="predictor",
    builtins={
        "http": "labelwell.assist.http_backend",
        "label-studio": "labelwell.assist.http_backend",
        "minilm-logreg": "labelwell.assist.text_classifier",
    },
)


def register_predictor(
    name: str, *, replace: bool = False
) -> Callable[[Callable[..., Predictor]], Callable[..., Predictor]]:
    """Register a predictor factory (a class or function taking keyword options)."""
    return PREDICTORS.register(name, replace=replace)


def create_predictor(name: str, **options: Any) -> Predictor:
    """Build the registered predictor ``name`` with ``options``."""
    return PREDICTORS.get(name)(**options)


@dataclass(frozen=True)
class Prediction:
    """One model suggestion, as stored: which model and version said it, how sure."""

    item: Any
    label: Any
    score: float
    model: str
    version: str


def to_predictions(
    items: Sequence[Any], probs: np.ndarray, classes: Sequence[Any], model: str, version: str
) -> list[Prediction]:
    """Top-class suggestions with their probability as the score."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape != (len(items), len(classes)):
        raise InvalidInput("probs must be n_items x n_classes", field="probs")
    top = p.argmax(axis=1)
    score = p[np.arange(p.shape[0]), top]
    cls = np.asarray(classes, dtype=object)
    return [
        Prediction(item=i, label=cls[t], score=float(s), model=model, version=version)
        for i, t, s in zip(items, top, score, strict=True)
    ]


def predict(
    predictor: Predictor, items: Sequence[Any], ids: Sequence[Any] | None = None
) -> list[Prediction]:
    """Run ``predictor`` on ``items`` and return stored-form ``Prediction`` rows."""
    probs = predictor.predict_proba(items)
    return to_predictions(
        list(ids) if ids is not None else list(range(len(items))),
        probs,
        list(predictor.classes_),
        predictor.name,
        predictor.version,
    )
