"""A project's settings: one typed model holding every key, its check and its default.

``projects.settings`` keeps what a manager configures, and only the keys that
were set: each default is written once, here. Every write (the HTTP API and so
the SDK, the CLI, the web console, and services such as routing) passes through
:func:`checked` or :func:`merged`, which refuse an unknown key or a bad value
with :class:`~labelwell.errors.InvalidInput` naming ``settings.<key>``; every
reader asks :func:`settings_of` for the typed model. Runtime state (the
flywheel's lease, calibration data, spot checks) has tables of its own
(:mod:`labelwell.store.tables`), so the column stays small: the queue parses
it on every lease and submit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Annotated, Any, Protocol

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from labelwell.errors import InvalidInput

log = logging.getLogger(__name__)

#: the predictor a project trains when it names none (``assist_model``)
DEFAULT_MODEL = "minilm-logreg"

Share = Annotated[float, Field(ge=0, le=1)]
_WRITING = "writing"


class _Strict(BaseModel):
    # strict: "yes" is not a boolean nor true a number; frozen: readers share one copy
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Qualification(_Strict):
    """A new annotator first answers ``items`` gold items and gets real work once
    their accuracy reaches ``pass_mark`` (:mod:`labelwell.work.qualification`)."""

    items: int = Field(ge=1, description="Gold items a new annotator answers first.")
    pass_mark: float = Field(0.85, gt=0, le=1, description="Accuracy needed to pass.")


class ProjectSettings(_Strict):
    """Every project setting kept in ``projects.settings``, with its default."""

    # gold and quality
    gold_feedback: bool = Field(
        False, description="After a gold item, tell the annotator whether the answer was right."
    )
    gold_threshold: float = Field(
        0.80, ge=0, le=1, description="Gold accuracy under which the quality report flags."
    )
    qualification: Qualification | None = Field(
        None, description="Gold items a new annotator must pass before real work."
    )
    guideline_min_rate: float = Field(
        0.30, ge=0, le=1, description="Disagreement rate from which a label is flagged."
    )
    guideline_min_items: int = Field(
        5, ge=1, description="Items a label needs before its disagreement is flagged."
    )
    # the annotator's own labels
    edit_own_minutes: int | None = Field(
        None,
        ge=0,
        description="Minutes after submitting in which annotators may still edit their own "
        "label (a new revision); None: no limit, 0: never.",
    )
    # preference data
    prompt_targets: dict[str, dict[str, Share]] | None = Field(
        None, description="Wanted share of prompts per tag value: {tag: {value: share}}."
    )
    # machine help
    flywheel: bool = Field(False, description="Retrain after every retrain_every new labels.")
    retrain_every: int = Field(50, ge=1, description="New human labels between retrains.")
    assist_model: str = Field(DEFAULT_MODEL, description="The registered predictor trained.")
    assist_model_options: dict[str, Any] = Field(
        default_factory=dict, description="Keyword options of the predictor."
    )
    al_strategy: str = Field("margin", description="Selection strategy after a retrain.")
    al_batch: int = Field(1000, ge=1, description="Items the flywheel puts first.")
    segment_model_url: str | None = Field(
        None,
        max_length=2000,
        description="An interactive segmentation server (points or a box in, a mask out; "
        "labelwell.media.interactive) that the mask tool asks for suggestions.",
    )
    asr_url: str | None = Field(
        None,
        max_length=2000,
        description="A speech recognition server (POST /transcribe: audio segments in, text "
        "out; labelwell.media.audio) that the audio tool asks for transcripts.",
    )
    suggestion_min_score: float | None = Field(
        None, ge=0, le=1, description="Model suggestions under this score are not shown."
    )
    # workforce cost
    budget_cap: float | None = Field(
        None,
        ge=0,
        description="Spend (pay rates x work) at which the queue stops; set it with "
        "PUT /projects/{id}/budget, which counts the spend so far.",
    )

    # synthetic data guards, applied by training exports (labelwell.work.synth)
    synth_require_verification: bool = Field(
        True,
        description="Synthetic items reach training exports only once a person verified or "
        "fixed them.",
    )
    synth_max_generation: int = Field(
        1,
        ge=1,
        description="Highest generation of synthetic data in training exports (2: made from "
        "synthetic data); a higher one needs an override with a reason.",
    )
    synth_max_share: Share | None = Field(
        None,
        description="Highest share of synthetic items in a training export; more needs an "
        "override with a reason.",
    )
    synth_block_near_duplicates: bool = Field(
        True,
        description="Training exports leave out synthetic items the report flagged as "
        "near duplicates.",
    )
    synth_block_verbatim: bool = Field(
        True,
        description="Training exports leave out synthetic items the report found copying "
        "the reference corpus word for word.",
    )
    synth_max_shift_auc: float | None = Field(
        None,
        ge=0.5,
        le=1,
        description="Training exports need a synthetic report whose classifier two-sample AUC "
        "is at most this (0.5: synthetic indistinguishable from real).",
    )

    @field_validator("qualification", mode="before")
    @classmethod
    def _no_rule(cls, value: Any) -> Any:
        # an empty rule ({}, false) has always meant "no qualification"
        return value if value else None

    # Names are checked against the registries when they are written, not when read:
    # a plug-in missing where they are read is reported by the registry on use.
    @field_validator("assist_model")
    @classmethod
    def _known_predictor(cls, name: str, info: ValidationInfo) -> str:
        if _written(info):
            from labelwell.assist.predictors import PREDICTORS

            if name not in PREDICTORS:
                raise ValueError(f"unknown predictor {name!r}; known: {', '.join(PREDICTORS)}")
        return name

    @field_validator("al_strategy")
    @classmethod
    def _known_strategy(cls, name: str, info: ValidationInfo) -> str:
        if _written(info):
            from labelwell.assist.select import STRATEGIES

            if name not in STRATEGIES:
                raise ValueError(
                    f"unknown selection strategy {name!r}; known: {', '.join(STRATEGIES)}"
                )
        return name

    def to_column(self) -> dict[str, Any]:
        """The column's value: the keys that were set, as JSON."""
        return self.model_dump(mode="json", exclude_unset=True)


NAMES: tuple[str, ...] = tuple(ProjectSettings.model_fields)


def _written(info: ValidationInfo) -> bool:
    """Whether the field being validated is one the caller writes now."""
    return info.field_name in ((info.context or {}).get(_WRITING) or ())


def _refusal(error: ValidationError) -> InvalidInput:
    """One message naming each bad setting; ``field`` is the first one."""
    problems = []
    for e in error.errors():
        where = "settings." + ".".join(str(p) for p in e["loc"])
        if e["type"] == "extra_forbidden" and len(e["loc"]) == 1:
            what = f"not a project setting; known: {', '.join(NAMES)}"
        else:
            what = str(e["msg"]).removeprefix("Value error, ")
            what = what[:1].lower() + what[1:]
        problems.append((where, what))
    return InvalidInput(
        "; ".join(f"{where}: {what}" for where, what in problems), field=problems[0][0]
    )


def checked(
    values: Mapping[str, Any] | None, *, written: Iterable[str] | None = None
) -> ProjectSettings:
    """``values`` as settings, or :class:`InvalidInput` naming what is wrong.
    Predictor and strategy names are looked up in their registries for the keys
    ``written`` (all of them by default)."""
    if values is not None and not isinstance(values, Mapping):
        raise InvalidInput("settings: must be an object of named settings", field="settings")
    values = dict(values or {})
    context = {_WRITING: set(values if written is None else written)}
    try:
        return ProjectSettings.model_validate(values, context=context)
    except ValidationError as error:
        raise _refusal(error) from None


def merged(current: Mapping[str, Any] | None, changes: Mapping[str, Any]) -> ProjectSettings:
    """``current`` with ``changes`` applied (a key set to None goes back to its
    default), checked; the keys not named keep their values."""
    if not isinstance(changes, Mapping):
        raise InvalidInput("settings: must be an object of named settings", field="settings")
    unknown = sorted(set(changes) - set(NAMES))
    if unknown:
        raise InvalidInput(
            f"settings.{unknown[0]}: not a project setting; known: {', '.join(NAMES)}",
            field=f"settings.{unknown[0]}",
        )
    values = read(current).to_column()
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return checked(values, written=changes)


def read(values: Mapping[str, Any] | None) -> ProjectSettings:
    """Settings as read from the column. Values the model refuses (written before
    settings were checked, or by an older version) are left out with a warning,
    so a stale key never stops the queue; the next write drops them."""
    try:
        return ProjectSettings.model_validate(dict(values or {}))
    except ValidationError:
        pass
    kept: dict[str, Any] = {}
    for key, value in (values or {}).items():
        try:
            ProjectSettings.model_validate({key: value})
        except ValidationError:
            continue
        kept[key] = value
    log.warning(
        "project settings: ignoring %s (not a setting or not a valid value)",
        ", ".join(sorted(set(values or {}) - set(kept))),
    )
    return ProjectSettings.model_validate(kept)


@lru_cache(maxsize=512)
def parsed(text: str | None) -> ProjectSettings:
    """The column's JSON text as settings, parsed once per distinct text (the queue
    reads the column as text with every lease)."""
    return read(orjson.loads(text) if text else None)


class HasSettings(Protocol):
    @property
    def settings(self) -> Any: ...


def settings_of(project: HasSettings) -> ProjectSettings:
    """The typed settings of a project row (or of the queue's view of one)."""
    value = project.settings
    if isinstance(value, ProjectSettings):
        return value
    return read(value)
