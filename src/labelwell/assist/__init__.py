"""Machine help: predictors, calibration, confidence routing and active learning.

Library code on arrays: no server and no database. The project side (queue
priority, retraining after new labels) builds on these functions.
"""

from labelwell.assist.calibration import (
    TemperatureScaling,
    expected_calibration_error,
    negative_log_likelihood,
)
from labelwell.assist.predictors import (
    PREDICTORS,
    Prediction,
    Predictor,
    create_predictor,
    register_predictor,
    to_predictions,
)
from labelwell.assist.routing import (
    Route,
    RoutingDecision,
    RoutingMonitor,
    RoutingPolicy,
    ThresholdChoice,
    route,
    threshold_for_precision,
)
from labelwell.assist.select import DEFAULT_STRATEGY, STRATEGIES, gradient_embeddings, select

__all__ = [
    "DEFAULT_STRATEGY",
    "PREDICTORS",
    "STRATEGIES",
    "Prediction",
    "Predictor",
    "Route",
    "RoutingDecision",
    "RoutingMonitor",
    "RoutingPolicy",
    "TemperatureScaling",
    "ThresholdChoice",
    "create_predictor",
    "expected_calibration_error",
    "gradient_embeddings",
    "negative_log_likelihood",
    "register_predictor",
    "route",
    "select",
    "threshold_for_precision",
    "to_predictions",
]
