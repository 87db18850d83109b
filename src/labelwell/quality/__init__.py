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

#: Public names and the module that defines each; imported on first use, so that
#: ``import labelwell.quality.<module>`` stays light (the CLI starts fast).
_LAZY = {
    "aggregate_boxes": "labelwell.quality.boxes",
    "BWA": "labelwell.quality.bwa",
    "DawidSkene": "labelwell.quality.dawid_skene",
    "OneCoinDawidSkene": "labelwell.quality.dawid_skene",
    "EBCC": "labelwell.quality.ebcc",
    "GLAD": "labelwell.quality.glad",
    "MACE": "labelwell.quality.mace",
    "MajorityVote": "labelwell.quality.majority_vote",
    "WeightedMajorityVote": "labelwell.quality.majority_vote",
    "Wawa": "labelwell.quality.majority_vote",
    "borda": "labelwell.quality.rankings",
    "ranked_pairs": "labelwell.quality.rankings",
    "BiasCorrectedMean": "labelwell.quality.ratings",
    "bias_corrected_mean": "labelwell.quality.ratings",
    "mean_rating": "labelwell.quality.ratings",
    "median_rating": "labelwell.quality.ratings",
    "AGGREGATORS": "labelwell.quality.registry",
    "aggregate_spans": "labelwell.quality.spans",
    "cuboid_agreement": "labelwell.quality.cuboids",
    "aggregate_masks": "labelwell.quality.masks",
    "mask_agreement": "labelwell.quality.masks",
    "cuboid_iou": "labelwell.quality.cuboids",
    **{
        name: "labelwell.quality.temporal"
        for name in (
            "aggregate_segments",
            "diarization_error",
            "segment_agreement",
            "temporal_iou",
        )
    },
    **{
        name: "labelwell.quality.agreement"
        for name in (
            "cohen_kappa",
            "fleiss_kappa",
            "interpret",
            "krippendorff_alpha",
            "percent_agreement",
        )
    },
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'labelwell.quality' has no attribute {name!r}")
