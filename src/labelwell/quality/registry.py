"""Aggregation methods by name, so the CLI and API list them from one place."""

from __future__ import annotations

from labelwell.quality._frame import Aggregator
from labelwell.quality.bwa import BWA
from labelwell.quality.dawid_skene import DawidSkene, OneCoinDawidSkene
from labelwell.quality.ebcc import EBCC
from labelwell.quality.glad import GLAD
from labelwell.quality.mace import MACE
from labelwell.quality.majority_vote import MajorityVote, Wawa, WeightedMajorityVote

AGGREGATORS: dict[str, type[Aggregator]] = {
    "mv": MajorityVote,
    "wmv": WeightedMajorityVote,
    "wawa": Wawa,
    "ds": DawidSkene,
    "onecoin": OneCoinDawidSkene,
    "glad": GLAD,
    "mace": MACE,
    "bwa": BWA,
    "ebcc": EBCC,
}


def register(name: str, cls: type[Aggregator]) -> None:
    """Add an aggregation method under ``name`` (a name already taken is an error)."""
    if name in AGGREGATORS and AGGREGATORS[name] is not cls:
        raise ValueError(f"aggregator {name!r} is already registered")
    AGGREGATORS[name] = cls
