"""What the generators take and give: seed items, candidates and their provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class SeedItem:
    """A text the generators start from: ``id`` names it in provenance,
    ``generation`` is 0 for human data and n for data made n steps from it."""

    id: str
    text: str
    label: str | None = None
    generation: int = 0


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a synthetic text came from. ``generation`` is one more than the
    highest generation of its seeds, so synthetic-from-synthetic counts up."""

    method: str
    model: str
    prompt_version: str
    seed_ids: tuple[str, ...]
    generation: int
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": "synthetic",
            "method": self.method,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "seed_ids": list(self.seed_ids),
            "generation": self.generation,
            **({"details": self.details} if self.details else {}),
        }


def generation_of(seeds: list[SeedItem] | tuple[SeedItem, ...]) -> int:
    """The generation of a text made from ``seeds``."""
    return 1 + max((s.generation for s in seeds), default=0)


@dataclass(slots=True)
class Candidate:
    """One generated text with its provenance; ``fields`` holds the item's data
    (``instruction``, ``question``/``answer``/``context``, ``text``/``label``),
    ``rejected`` the filter that dropped it (None: kept)."""

    fields: dict[str, Any]
    provenance: Provenance
    rejected: str | None = None

    @property
    def kept(self) -> bool:
        return self.rejected is None
