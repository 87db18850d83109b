"""Request and response models of the synthetic-data routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelwell.server.schemas import Public, fields_of
from labelwell.synth.guards import Shift
from labelwell.work.synth_report import Copy, Duplicate, Override, SynthSummary, Verification

MAX_REFERENCES = 1_000
MAX_REFERENCE_CHARS = 2_000_000


class SynthItemPublic(Public):
    item_id: int
    method: str
    model: str
    prompt_version: str
    seed_ids: list[str]
    generation: int
    verdict: str | None
    verdict_at: datetime | None
    flags: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> SynthItemPublic:
        return cls(
            item_id=row.item_id,
            method=row.method,
            model=row.model,
            prompt_version=row.prompt_version,
            seed_ids=[str(s) for s in row.seed_ids or []],
            generation=row.generation,
            verdict=row.verdict,
            verdict_at=row.verdict_at,
            flags=dict(row.flags or {}),
            created_at=row.created_at,
        )


class SynthVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Literal["verified", "fixed", "rejected"]
    fixed: dict[str, Any] | None = Field(
        None, description="With 'fixed': the corrected values of the item's data fields."
    )


class SynthReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field("text", max_length=100, description="The items' text field.")
    label_control: str | None = Field(None, max_length=100, description="Shift per this label.")
    embed: bool = Field(
        False, description="Embed the items (MiniLM) for the shift test and cosine duplicates."
    )
    references: list[str] | None = Field(
        None,
        max_length=MAX_REFERENCES,
        description="The reference corpus for verbatim overlaps (none: keep the last flags).",
    )
    min_chars: int = Field(50, ge=8, le=10_000)
    minhash_threshold: float = Field(0.8, gt=0, le=1)
    cosine_threshold: float = Field(0.95, gt=0, le=1)
    n_permutations: int = Field(200, ge=10, le=5_000)


class ShiftPublic(fields_of(Shift)): ...  # type: ignore[misc]


class DuplicatePublic(fields_of(Duplicate)): ...  # type: ignore[misc]


class CopyPublic(fields_of(Copy)): ...  # type: ignore[misc]


class VerificationPublic(fields_of(Verification)):  # type: ignore[misc]
    # read from the record's properties
    pending: int
    verify_rate: float | None
    error_rate: float | None


class SynthReportPublic(Public):
    n_real: int
    n_synthetic: int
    by_method: dict[str, int]
    by_generation: dict[str, int]
    verification: VerificationPublic
    shift: list[ShiftPublic]
    plot_svg: str | None
    duplicates: list[DuplicatePublic]
    copies: list[CopyPublic]

    @classmethod
    def of(cls, rep: Any) -> SynthReportPublic:
        return cls(
            n_real=rep.n_real,
            n_synthetic=rep.n_synthetic,
            by_method=rep.by_method,
            by_generation={str(k): n for k, n in rep.by_generation.items()},
            verification=VerificationPublic.model_validate(rep.verification),
            shift=[ShiftPublic.model_validate(s) for s in rep.shift],
            plot_svg=rep.plot_svg,
            duplicates=[DuplicatePublic.model_validate(d) for d in rep.duplicates],
            copies=[CopyPublic.model_validate(c) for c in rep.copies],
        )


class OverridePublic(fields_of(Override)):  # type: ignore[misc]
    at: datetime


class SynthSummaryPublic(fields_of(SynthSummary)):  # type: ignore[misc]
    """The stored state of a project's synthetic data: nothing is recomputed."""

    by_generation: dict[str, int]
    verification: VerificationPublic
    overrides: list[OverridePublic]

    @classmethod
    def of(cls, summary: SynthSummary) -> SynthSummaryPublic:
        fields = {name: getattr(summary, name) for name in cls.model_fields}
        by_generation = {str(k): n for k, n in summary.by_generation.items()}
        return cls.model_validate({**fields, "by_generation": by_generation})
