"""Request and response models of the synthetic-data routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelwell.server.schemas import Public

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


class ShiftPublic(Public):
    label: str | None
    n_real: int
    n_synthetic: int
    mmd2: float | None
    p_value: float | None
    auc: float | None


class DuplicatePublic(Public):
    item_id: int
    of_item_id: int
    similarity: float
    by: str
    against: str


class CopyPublic(Public):
    item_id: int
    start: int
    end: int
    reference: int
    excerpt: str


class VerificationPublic(Public):
    total: int
    verified: int
    fixed: int
    rejected: int
    pending: int
    verify_rate: float | None
    error_rate: float | None

    @classmethod
    def of(cls, v: Any) -> VerificationPublic:
        return cls(**{k: getattr(v, k) for k in cls.model_fields})


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
            verification=VerificationPublic.of(rep.verification),
            shift=[
                ShiftPublic(**{k: getattr(s, k) for k in ShiftPublic.model_fields})
                for s in rep.shift
            ],
            plot_svg=rep.plot_svg,
            duplicates=[
                DuplicatePublic(**{k: getattr(d, k) for k in DuplicatePublic.model_fields})
                for d in rep.duplicates
            ],
            copies=[
                CopyPublic(**{k: getattr(c, k) for k in CopyPublic.model_fields})
                for c in rep.copies
            ],
        )


class OverridePublic(Public):
    at: datetime
    by: str
    reason: str
    synthetic_share: float | None
    overridden: list[str]


class SynthSummaryPublic(Public):
    """The stored state of a project's synthetic data: nothing is recomputed."""

    n_synthetic: int
    by_method: dict[str, int]
    by_generation: dict[str, int]
    verification: VerificationPublic
    near_duplicates: int
    verbatim: int
    last_report: dict[str, Any] | None
    caps: dict[str, Any]
    overrides: list[OverridePublic]

    @classmethod
    def of(cls, summary: Any) -> SynthSummaryPublic:
        v = summary.verification
        return cls(
            n_synthetic=summary.n_synthetic,
            by_method=summary.by_method,
            by_generation={str(k): n for k, n in summary.by_generation.items()},
            verification=VerificationPublic.of(v),
            near_duplicates=summary.near_duplicates,
            verbatim=summary.verbatim,
            last_report=summary.last_report,
            caps=summary.caps,
            overrides=[
                OverridePublic(**{k: getattr(o, k) for k in OverridePublic.model_fields})
                for o in summary.overrides
            ],
        )
