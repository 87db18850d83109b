"""Label quality: agreement, aggregation of answers, gold, anomalies and consensus.

The aggregation methods follow crowd-kit's conventions: one class per method,
hyperparameters in ``__init__``, fitted attributes ending in ``_``, ``fit``
returning ``self``, and a long frame ``task, worker, label`` as input.
Agreement, gold, anomaly and consensus functions live in their own modules
(``labelwell.quality.agreement`` and so on); the agreement coefficients are also
reachable from here, imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from labelwell.quality.boxes import aggregate_boxes
from labelwell.quality.dawid_skene import DawidSkene, OneCoinDawidSkene
from labelwell.quality.glad import GLAD
from labelwell.quality.mace import MACE
from labelwell.quality.majority_vote import MajorityVote, WeightedMajorityVote
from labelwell.quality.rankings import borda, ranked_pairs
from labelwell.quality.ratings import (
    BiasCorrectedMean,
    bias_corrected_mean,
    mean_rating,
    median_rating,
)
from labelwell.quality.registry import AGGREGATORS
from labelwell.quality.spans import aggregate_spans

_LAZY = {
    name: "labelwell.quality.agreement"
    for name in (
        "cohen_kappa",
        "fleiss_kappa",
        "interpret",
        "krippendorff_alpha",
        "percent_agreement",
    )
}

__all__ = [
    "AGGREGATORS",
    "GLAD",
    "MACE",
    "BiasCorrectedMean",
    "DawidSkene",
    "MajorityVote",
    "OneCoinDawidSkene",
    "WeightedMajorityVote",
    "aggregate_boxes",
    "aggregate_spans",
    "bias_corrected_mean",
    "borda",
    "mean_rating",
    "median_rating",
    "ranked_pairs",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'labelwell.quality' has no attribute {name!r}")
