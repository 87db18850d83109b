"""Request and response schemas, kept apart from the tables (one family per resource)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar, get_type_hints

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, create_model

from labelwell.quality.sample import SampleWarning
from labelwell.shapes import AnnotationFields, ProjectFields
from labelwell.work.media_agreement import ItemAgreement, MediaAgreement, PairAgreement
from labelwell.work.quality_report import (
    AggregatedLabel,
    AggregationWarning,
    Agreement,
    AnnotatorGold,
    Flag,
    GuidelineFlag,
    LabelAgreement,
    MethodChoiceNote,
    QualityReport,
)
from labelwell.work.queue.records import Suggestion, Task
from labelwell.work.stats import AnnotatorStats, ProjectStats

T = TypeVar("T")
R = TypeVar("R")

#: Ids are positive 63-bit integers; anything else is refused before the database.
MAX_ID = 2**63 - 1
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

Role = Literal["admin", "manager", "reviewer", "annotator"]
ProjectRole = Literal["manager", "reviewer", "annotator"]
Ordering = Literal["fifo", "random", "priority"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    """A response: its fields are all it holds (``additionalProperties: false`` in
    the OpenAPI schema), and every route sends it through its model, so the schema
    is exactly what is sent."""

    model_config = ConfigDict(extra="forbid")


class RecordPublic(Public):
    """A response read from a service's record by attribute."""

    model_config = ConfigDict(from_attributes=True)


def fields_of(record: type, *, required: bool = False) -> type[RecordPublic]:
    """A base for the response model of a service's dataclass: the record's fields,
    types and defaults, read by attribute, so the shape is written once. A subclass
    restates a field only to describe it or to give a nested record its model
    (the field keeps its place). ``required=True`` leaves out the record's defaults,
    so the schema requires every field (a response always sends them all)::

        class GuidelineFlagPublic(fields_of(GuidelineFlag)): ...  # type: ignore[misc]
    """
    hints = get_type_hints(record)
    spec: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        if required:
            default: Any = ...
        elif f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=f.default_factory)
        else:
            default = ...
        spec[f.name] = (hints[f.name], default)
    return create_model(  # type: ignore[call-overload, no-any-return]
        f"{record.__name__}Fields",
        __base__=RecordPublic,
        __module__=record.__module__,
        **spec,
    )


class Page(Public, Generic[T]):
    """A page of results; pass ``next_cursor`` back as ``cursor`` for the next one."""

    data: list[T]
    count: int
    next_cursor: str | None = None


def page_of(rows: Iterable[R], public: Callable[[R], T]) -> Page[T]:
    """Every row on one page, each made a response by ``public`` (a model's
    ``model_validate`` or ``of``)."""
    data = [public(r) for r in rows]
    return Page(data=data, count=len(data))


class LoginRequest(Strict):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


class TokenCreate(Strict):
    name: str = Field(default="", max_length=200)
    email: str | None = Field(
        default=None, max_length=320, description="Admins may create a token for another user."
    )


class TokenIssued(Public):
    id: int
    token: str = Field(description="Shown once; only its hash is stored.")
    prefix: str
    user_id: int
    kind: str = Field(default="api", description="api (until revoked) or session (a login).")
    expires_at: datetime | None = Field(
        default=None, description="A session's end as of now; use moves it forward."
    )


class TokenPublic(Public):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    kind: str
    expires_at: datetime | None
    last_used_at: datetime | None


class UserCreate(Strict):
    email: str = Field(max_length=320)
    role: Role = "annotator"
    password: str | None = Field(default=None, min_length=8, max_length=1000)
    name: str = Field(default="", max_length=200)
    skills: list[str] = Field(default_factory=list, max_length=50)
    locale: str = Field(default="en", max_length=10)


class PasswordSet(Strict):
    password: str = Field(max_length=1000)


class PasswordChange(Strict):
    current_password: str = Field(max_length=1000)
    password: str = Field(max_length=1000, description="The new password.")


class PasswordReset(Strict):
    token: str = Field(max_length=200, description="The secret of a password link.")
    password: str = Field(max_length=1000)


class ResetLink(Public):
    url: str = Field(description="Shown once: the page that sets the password.")
    expires_at: datetime


class UserPublic(Public):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    name: str
    role: str
    skills: list[str]
    locale: str
    is_active: bool


class ProjectSettings(Strict):
    overlap: int | None = Field(default=None, ge=1, le=100)
    gold_ratio: float | None = Field(default=None, ge=0, le=1)
    lease_seconds: int | None = Field(default=None, ge=10, le=604800)
    blind: bool | None = None
    ordering: Ordering | None = None
    required_skills: list[str] | None = Field(default=None, max_length=50)
    show_predictions: bool | None = None
    description: str | None = Field(default=None, max_length=20000)


class ProjectCreate(ProjectSettings):
    name: str = Field(min_length=1, max_length=200)
    ontology: dict[str, Any]
    guidelines: str = Field(default="", max_length=200000)


class ProjectUpdate(ProjectSettings):
    pass


class ProjectPublic(fields_of(ProjectFields)):  # type: ignore[misc]
    created_at: datetime
    archived_at: datetime | None = Field(
        default=None, description="When it was archived; null while active."
    )


class GuidelineCreate(Strict):
    text: str = Field(max_length=200000)


class GuidelinePublic(Public):
    model_config = ConfigDict(from_attributes=True)
    version: int
    text: str
    created_at: datetime


class MemberSet(Strict):
    role: ProjectRole


class MemberPublic(Public):
    user_id: int
    email: str
    role: str


class ItemCreate(Strict):
    data: dict[str, Any]
    external_id: str | None = Field(default=None, max_length=200)
    media: list[str] = Field(default_factory=list)
    predictions: list[dict[str, Any]] = Field(default_factory=list)
    gold: dict[str, Any] | None = None


class ItemsCreate(Strict):
    items: list[ItemCreate] = Field(max_length=10000)


class ImportPublic(Public):
    model_config = ConfigDict(from_attributes=True)
    id: int
    project_id: int
    filename: str
    format: str
    n_items: int
    created_at: datetime
    #: what the importer skipped and why (prediction ids, cancelled annotations)
    warnings: list[str] = Field(default_factory=list)


class ItemPublic(Public):
    model_config = ConfigDict(from_attributes=True)
    id: int
    project_id: int
    external_id: str | None
    data: dict[str, Any]
    media: list[str]
    status: str
    priority: float
    n_done: int


class SuggestionPublic(fields_of(Suggestion)): ...  # type: ignore[misc]


class TaskPublic(fields_of(Task, required=True)):  # type: ignore[misc]
    suggestions: list[SuggestionPublic]


class SuggestionOutcome(Strict):
    """What the annotator did with a machine suggestion shown on the task."""

    prediction_id: int = Field(ge=1, le=2**63 - 1)
    outcome: Literal["accepted", "edited", "rejected"]


class SubmitRequest(Strict):
    result: dict[str, Any]
    time_spent_ms: int | None = Field(default=None, ge=0, le=7 * 86400 * 1000)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
    suggestion: SuggestionOutcome | None = None


class SkipRequest(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class AnnotationForRater(fields_of(AnnotationFields)):  # type: ignore[misc]
    """An annotation as a rater (annotator or reviewer) sees it: what was done,
    never what consensus or review made of it (``status``, ``is_current``). Gold
    answers are never reviewed by raters nor counted in consensus, so those
    fields would tell a rater which of their answers were on gold items."""

    created_at: datetime


class AnnotationPublic(AnnotationForRater):
    """An annotation as a manager sees it: the rater's view and what consensus
    or review made of it."""

    status: str
    is_current: bool


class GoldFeedback(Public):
    correct: bool
    expected: dict[str, Any]
    message: str


class SubmittedPublic(AnnotationForRater):
    """The stored submission as its rater sees it, the same for a first submit and
    a retry with the same key (by then consensus may have accepted an answer on a
    regular item, never on a gold one); ``feedback`` after a gold item where the
    project enables ``gold_feedback`` (null otherwise)."""

    feedback: GoldFeedback | None = None


class AnnotationRevise(Strict):
    result: dict[str, Any]
    time_spent_ms: int | None = Field(default=None, ge=0)


class ReviewCreate(Strict):
    decision: Literal["accept", "reject", "fix"]
    comment: str = Field(default="", max_length=20000)
    result: dict[str, Any] | None = None


class ReviewPublic(Public):
    model_config = ConfigDict(from_attributes=True)
    id: int
    annotation_id: int
    decision: str
    comment: str
    fixed_annotation_id: int | None
    created_at: datetime


class PredictionCreate(Strict):
    item_id: int = Field(ge=1, le=MAX_ID)
    result: dict[str, Any]
    model_name: str = Field(min_length=1, max_length=200)
    model_version: str = Field(default="", max_length=100)
    score: float | None = None
    source: Literal["model", "labeling_function", "synthetic"] = "model"


class PredictionsCreate(Strict):
    predictions: list[PredictionCreate] = Field(max_length=10000)


class PredictionPublic(Public):
    model_config = ConfigDict(from_attributes=True)
    id: int
    item_id: int
    source: str
    model_name: str
    model_version: str
    result: dict[str, Any]
    score: float | None
    created_at: datetime


class GoldSet(Strict):
    result: dict[str, Any]


class GoldPublic(Public):
    model_config = ConfigDict(from_attributes=True)
    item_id: int
    result: dict[str, Any]
    created_at: datetime


class AnnotatorStatsPublic(fields_of(AnnotatorStats, required=True)): ...  # type: ignore[misc]


class StatsPublic(fields_of(ProjectStats, required=True)):  # type: ignore[misc]
    annotators: list[AnnotatorStatsPublic]


class TimelinePublic(Public):
    """Current annotations over time: ``counts[i]`` were made in the ``step_s``
    seconds from ``start + i * step_s``; ``start`` is null before the first."""

    model_config = ConfigDict(from_attributes=True)
    start: datetime | None
    step_s: int
    counts: list[int]
    total: int


class AuditPublic(Public):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: int | None
    details: dict[str, Any]


class Count(Public):
    count: int


class LabelAgreementPublic(fields_of(LabelAgreement)): ...  # type: ignore[misc]


class SampleWarningPublic(fields_of(SampleWarning)):  # type: ignore[misc]
    """A figure shown on fewer items than its documented minimum, or with an
    unstable bootstrap interval (``labelwell.quality.sample``)."""

    statistic: str = Field(
        description="gold_accuracy, agreement, leaderboard, calibration or lf_accuracy."
    )
    kind: str = Field(description="small_sample or unstable_interval.")
    subject: str | None = Field(description="The annotator, model or control it is about.")
    reasons: list[str] = Field(
        default=[], description="few_resamples, degenerate, too_wide or diverged."
    )


class AgreementPublic(fields_of(Agreement)):  # type: ignore[misc]
    control: str | None = Field(description="None for the figure pooled over all controls.")
    alpha: float | None = Field(description="Krippendorff's alpha, nominal.")
    interpretation: str = Field(description="Landis-Koch band of alpha.")
    per_label: list[LabelAgreementPublic]
    n_pairable: int = Field(default=0, description="Items with two or more answers.")
    alpha_ci_low: float | None = Field(default=None, description="95% bootstrap interval.")
    warnings: list[SampleWarningPublic] = []


class AnnotatorGoldPublic(fields_of(AnnotatorGold)):  # type: ignore[misc]
    small_sample: bool = Field(default=False, description="Fewer gold items than the minimum.")


class QualityFlagPublic(fields_of(Flag)): ...  # type: ignore[misc]


class AggregatedLabelPublic(fields_of(AggregatedLabel)): ...  # type: ignore[misc]


class GuidelineFlagPublic(fields_of(GuidelineFlag)): ...  # type: ignore[misc]


class AggregationWarningPublic(fields_of(AggregationWarning)):  # type: ignore[misc]
    kind: str = Field(description="collapsed_class, below_majority_on_gold or permuted_worker.")
    fallback: bool = Field(description="True when the labels shown come from majority vote.")
    message_ko: str = Field(default="", description="The message in Korean.")


class MethodChoicePublic(fields_of(MethodChoiceNote)):  # type: ignore[misc]
    criterion: str = Field(description="held_out_gold, aic, bic or fallback.")


class MediaItemAgreementPublic(fields_of(ItemAgreement)):  # type: ignore[misc]
    score: float = Field(description="Mean over the item's annotator pairs.")


class MediaPairAgreementPublic(fields_of(PairAgreement)):  # type: ignore[misc]
    score: float = Field(description="Mean over the items both answered.")


class MediaAgreementPublic(fields_of(MediaAgreement)):  # type: ignore[misc]
    """Pairwise agreement of one media control (mask, video track, time region,
    cuboid) by one measure."""

    measure: Literal["mask_iou", "idf1", "segment_f1", "diarization", "cuboid_f1"] = Field(
        description="mask_iou: matched mask IoU; idf1: track IDF1; segment_f1: time regions "
        "matched at temporal IoU 0.5 with equal labels; diarization: 1 - DER both ways; "
        "cuboid_f1: cuboids matched at 3D IoU 0.5 with equal labels."
    )
    score: float | None = Field(description="Mean of the items' means; None without pairs.")
    items: list[MediaItemAgreementPublic]
    pairs: list[MediaPairAgreementPublic]


class QualityReportPublic(fields_of(QualityReport)):  # type: ignore[misc]
    overall: AgreementPublic
    controls: list[AgreementPublic]
    gold: list[AnnotatorGoldPublic]
    anomalies: list[QualityFlagPublic]
    labels: list[AggregatedLabelPublic]
    guideline: list[GuidelineFlagPublic]
    aggregation_warnings: list[AggregationWarningPublic] = []
    sample_warnings: list[SampleWarningPublic] = []
    method_choices: list[MethodChoicePublic] = Field(
        default=[], description="With method=auto: the method chosen per control and why."
    )
    media: list[MediaAgreementPublic] = Field(
        default=[], description="Pairwise agreement of mask, video, audio and cuboid controls."
    )


class ReviewAnnotationPublic(AnnotationPublic):
    is_gold_check: bool
    details: dict[str, Any]


class ReviewItemPublic(Public):
    id: int
    external_id: str | None
    data: dict[str, Any]
    media: list[str]
    status: str
    review_state: str | None
    disagree: bool = Field(description="its annotations' results differ (region ids aside)")
    annotations: list[ReviewAnnotationPublic]


class AdjudicateRequest(Strict):
    result: dict[str, Any]
    note: str = Field(default="", max_length=20000)


class ItemForAnnotator(Public):
    """An item as a rater (annotator or reviewer) sees it: only what labeling it
    needs. No status, counts, external id or priority, in which a gold item differs
    from the others, and responses without the model that wrote them."""

    id: int
    project_id: int
    data: dict[str, Any]
    media: list[str]


class ReviewAnnotationForReviewer(AnnotationPublic):
    """An annotation in a reviewer's queue: its details (a consensus's votes, a
    suggestion's outcome) without gold flags or gold scoring."""

    details: dict[str, Any]


class ReviewItemForReviewer(ItemForAnnotator):
    """An item of the review queue as a reviewer sees it: the rater's view of the
    item and its annotations without gold flags or scoring details."""

    review_state: str | None
    disagree: bool = Field(description="its annotations' results differ (region ids aside)")
    annotations: list[ReviewAnnotationForReviewer]


class ErrorDetail(Public):
    code: str = Field(description="not_found, forbidden, invalid_input, conflict, ...")
    message: str = Field(description="What went wrong, for a person to act on.")
    details: dict[str, Any] = Field(
        description="``field`` (and ``line`` for files) naming where, when known."
    )


class ErrorPublic(Public):
    """Every error answer of the API (4xx, and 503 while the database is out of reach)."""

    error: ErrorDetail


class HealthPublic(Public):
    status: Literal["ok"]
    version: str
    database: str = Field(description="sqlite or postgresql")
