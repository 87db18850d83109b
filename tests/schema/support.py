"""Small helpers shared by the schema tests."""

from __future__ import annotations

from typing import Any

from labelwell.schema import Ontology


def one(control: dict[str, Any]) -> Ontology:
    """An ontology holding a single control."""
    return Ontology.from_dict({"name": "t", "controls": [control]})
