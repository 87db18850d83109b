import numpy as np
import pytest

from labelwell.assist.predictors import (
    PREDICTORS,
    EmbeddingPredictor,
    Predictor,
    create_predictor,
    predict,
    register_predictor,
    to_predictions,
)
from labelwell.errors import InvalidInput


class CentroidPredictor:
    """A user's own model: nearest class centroid on 1-d numbers."""

    name = "centroid"

    def __init__(self, sharpness: float = 1.0):
        self.sharpness = sharpness

    @property
    def version(self):
        return f"centroids-{len(self.centroids_)}"

    def fit(self, items, labels):
        x, y = np.asarray(items, dtype=float), np.asarray(labels)
        self.classes_ = np.unique(y)
        self.centroids_ = np.array([x[y == c].mean() for c in self.classes_])
        return self

    def predict_proba(self, items):
        d = -self.sharpness * np.abs(np.asarray(items, dtype=float)[:, None] - self.centroids_)
        e = np.exp(d - d.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def test_users_register_their_own_predictor():
    try:
        register_predictor("centroid")(CentroidPredictor)
        model = create_predictor("centroid", sharpness=2.0)
        model.fit([0.0, 1.0, 9.0, 10.0], ["low", "low", "high", "high"])
        assert isinstance(model, Predictor) and not isinstance(model, EmbeddingPredictor)
        rows = predict(model, [0.2, 9.7], ids=["a", "b"])
        assert [(r.item, r.label, r.model, r.version) for r in rows] == [
            ("a", "low", "centroid", "centroids-2"),
            ("b", "high", "centroid", "centroids-2"),
        ]
        assert rows[0].score == pytest.approx(model.predict_proba([0.2]).max())
        assert {"centroid", "minilm-logreg", "http", "label-studio"} <= set(PREDICTORS)
    finally:
        PREDICTORS.unregister("centroid")


def test_to_predictions_takes_the_top_class_and_checks_shapes():
    rows = to_predictions([7, 8], np.array([[0.2, 0.8], [0.6, 0.4]]), ["no", "yes"], "m", "1")
    assert [(r.item, r.label, r.score) for r in rows] == [(7, "yes", 0.8), (8, "no", 0.6)]
    with pytest.raises(InvalidInput):
        to_predictions([1], np.array([[0.5, 0.5]]), ["a", "b", "c"], "m", "1")
