"""Machine help: predictors, calibration, confidence routing and active learning.

Library code on arrays: no server and no database. The project side (queue
priority, retraining after new labels) builds on these functions.

The names below load their module on first use (PEP 562), so a process that
needs one part (the embedding cache, say) does not pay for the others' imports
(SciPy's statistics for calibration and routing: about 75 MB and half a
second).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# numpy only; and imported here so that ``labelwell.assist.select`` is the
# function, not the module of the same name
from labelwell.assist.select import DEFAULT_STRATEGY, STRATEGIES, gradient_embeddings, select

if TYPE_CHECKING:
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

#: where each public name lives
_HOME = {
    "TemperatureScaling": "calibration",
    "expected_calibration_error": "calibration",
    "negative_log_likelihood": "calibration",
    "PREDICTORS": "predictors",
    "Prediction": "predictors",
    "Predictor": "predictors",
    "create_predictor": "predictors",
    "register_predictor": "predictors",
    "to_predictions": "predictors",
    "Route": "routing",
    "RoutingDecision": "routing",
    "RoutingMonitor": "routing",
    "RoutingPolicy": "routing",
    "ThresholdChoice": "routing",
    "route": "routing",
    "threshold_for_precision": "routing",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'labelwell.assist' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"labelwell.assist.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})


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
