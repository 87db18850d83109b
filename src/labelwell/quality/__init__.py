"""Label quality: agreement, aggregation of answers, gold, anomalies and consensus.

The aggregation methods follow crowd-kit's conventions: one class per method,
hyperparameters in ``__init__``, fitted attributes ending in ``_``, ``fit``
returning ``self``, and a long frame ``task, worker, label`` as input.
Agreement, gold, anomaly and consensus functions live in their own modules
(``labelwell.quality.agreement`` and so on); import them from there.
"""

from labelwell.quality.dawid_skene import DawidSkene, OneCoinDawidSkene
from labelwell.quality.glad import GLAD
from labelwell.quality.mace import MACE
from labelwell.quality.majority_vote import MajorityVote, WeightedMajorityVote
from labelwell.quality.registry import AGGREGATORS

__all__ = [
    "AGGREGATORS",
    "GLAD",
    "MACE",
    "DawidSkene",
    "MajorityVote",
    "OneCoinDawidSkene",
    "WeightedMajorityVote",
]
