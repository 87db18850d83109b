"""Aggregation methods by name, so the CLI and API list them from one place.

Listing the names imports none of the methods (the CLI builds its choices from
them); a method's module is imported when the method is first used. Plug-ins add
methods through the ``labelwell.aggregators`` entry-point group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labelwell.registry import Registry

if TYPE_CHECKING:
    from labelwell.quality._frame import Aggregator

AGGREGATORS: Registry[type[Aggregator]] = Registry(
    "aggregation method",
    group="labelwell.aggregators",
    field="method",
    builtins={
        "mv": "labelwell.quality.majority_vote:MajorityVote",
        "wmv": "labelwell.quality.majority_vote:WeightedMajorityVote",
        "wawa": "labelwell.quality.majority_vote:Wawa",
        "ds": "labelwell.quality.dawid_skene:DawidSkene",
        "onecoin": "labelwell.quality.dawid_skene:OneCoinDawidSkene",
        "glad": "labelwell.quality.glad:GLAD",
        "mace": "labelwell.quality.mace:MACE",
        "bwa": "labelwell.quality.bwa:BWA",
        "ebcc": "labelwell.quality.ebcc:EBCC",
    },
)
