"""Predictors wrapped with their fitted temperature."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from labelwell.work.assist._project import DEFAULT_MODEL


class CalibratedPredictor:
    """A fitted predictor whose probabilities pass through temperature scaling
    (Guo et al. 2017, section 4.2: q = softmax(log p / T))."""

    def __init__(self, predictor: Any, temperature: float = 1.0) -> None:
        self.predictor = predictor
        self.temperature = float(temperature)
        self.name = predictor.name

    @property
    def version(self) -> str:
        return f"{self.predictor.version}-T{self.temperature:.3g}"

    @property
    def classes_(self) -> np.ndarray:
        return self.predictor.classes_

    def fit(self, items: Sequence[Any], labels: Sequence[Any]) -> CalibratedPredictor:
        self.predictor.fit(items, labels)
        return self

    def predict_proba(self, items: Sequence[Any]) -> np.ndarray:
        from labelwell.assist.calibration import TemperatureScaling

        probs = self.predictor.predict_proba(items)
        if self.temperature == 1.0 or len(items) == 0:
            return probs
        scaler = TemperatureScaling()
        scaler.temperature_ = self.temperature
        return scaler.predict_proba(probs, from_probs=True)

    def embed(self, items: Sequence[Any]) -> np.ndarray:
        return self.predictor.embed(items)


@lru_cache(maxsize=1)
def _shared_embedder() -> Any:
    """One embedder per process, so the model loads once and vectors stay cached."""
    from labelwell.assist.embeddings import SentenceEmbedder

    return SentenceEmbedder()


def make_predictor(name: str = DEFAULT_MODEL, **options: Any) -> Any:
    """A registered predictor; the built-in one shares this process's embedding cache."""
    from labelwell.assist.predictors import create_predictor

    if name == DEFAULT_MODEL and "embedder" not in options:
        options["embedder"] = _shared_embedder()
    return create_predictor(name, **options)
