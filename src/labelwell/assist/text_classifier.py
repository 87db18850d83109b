"""Built-in text classifier: sentence embeddings + logistic regression.

Texts become all-MiniLM-L6-v2 vectors (``labelwell.assist.embeddings``) and a
scikit-learn multinomial ``LogisticRegression`` learns the project's accepted
labels on top. Fast enough to retrain after every batch of new labels on CPU.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from labelwell.assist.embeddings import SentenceEmbedder
from labelwell.assist.predictors import register_predictor
from labelwell.errors import InvalidInput


@register_predictor("minilm-logreg")
class EmbeddingTextClassifier:
    """Logistic regression on sentence embeddings.

    ``C`` is the inverse L2 strength, as in scikit-learn. ``version`` names
    the training data (count and content hash), so a stored prediction says
    which labels its model saw. Fitted attributes: ``classes_``, ``model_``.
    """

    name = "minilm-logreg"

    def __init__(
        self,
        embedder: SentenceEmbedder | None = None,
        C: float = 1.0,
        max_iter: int = 1000,
        class_weight: str | dict[Any, float] | None = None,
    ) -> None:
        self.embedder = embedder if embedder is not None else SentenceEmbedder()
        self.C = C
        self.max_iter = max_iter
        self.class_weight = class_weight
        self._version = "unfitted"

    @property
    def version(self) -> str:
        return self._version

    def embed(self, items: Sequence[str]) -> np.ndarray:
        return self.embedder.embed(items)

    def fit(self, items: Sequence[str], labels: Sequence[Any]) -> EmbeddingTextClassifier:
        return self.fit_embeddings(self.embed(items), labels, items=items)

    def fit_embeddings(
        self, x: np.ndarray, labels: Sequence[Any], items: Sequence[str] | None = None
    ) -> EmbeddingTextClassifier:
        """Fit on precomputed embeddings (the learning-curve loop reuses them)."""
        y = np.asarray(labels)
        if x.shape[0] != y.shape[0]:
            raise InvalidInput("one label per item is needed", field="labels")
        if np.unique(y).shape[0] < 2:
            raise InvalidInput("training needs at least two distinct labels", field="labels")
        self.model_ = LogisticRegression(
            C=self.C, max_iter=self.max_iter, class_weight=self.class_weight
        ).fit(x, y)
        digest = hashlib.sha256()
        for text, label in zip(items if items is not None else range(len(y)), y, strict=True):
            digest.update(f"{text}\0{label}\n".encode())
        self._version = f"n{len(y)}-{digest.hexdigest()[:10]}"
        return self

    @property
    def classes_(self) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise InvalidInput("the classifier is not fitted yet")
        return np.asarray(self.model_.classes_)

    def predict_proba(self, items: Sequence[str]) -> np.ndarray:
        return self.predict_proba_embeddings(self.embed(items))

    def predict_proba_embeddings(self, x: np.ndarray) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise InvalidInput("the classifier is not fitted yet")
        return np.asarray(self.model_.predict_proba(x))

    def decision_function(self, items: Sequence[str]) -> np.ndarray:
        """Logits (n_items x n_classes) for temperature scaling."""
        if not hasattr(self, "model_"):
            raise InvalidInput("the classifier is not fitted yet")
        z = self.model_.decision_function(self.embed(items))
        return np.column_stack([-z, z]) / 2.0 if z.ndim == 1 else z
