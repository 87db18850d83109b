"""Fields of the HTTP API's responses that the server and the Python SDK both
read, declared once. Standard library only, so :mod:`labelwell.client` imports
them without the server; the server's response models take them through
:func:`labelwell.server.schemas.fields_of`. A side adds only what differs there
(a time is a ``datetime`` on the server and an ISO string in the SDK)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ProjectFields:
    id: int
    name: str
    description: str
    ontology: dict[str, Any]
    overlap: int
    gold_ratio: float
    lease_seconds: int
    blind: bool
    ordering: str
    required_skills: list[str]
    show_predictions: bool


@dataclass(frozen=True, slots=True)
class ProgressFields:
    """A project's items by status and how far its overlap is done."""

    project_id: int
    items: int
    gold_items: int
    by_status: dict[str, int]
    annotations: int
    overlap: int
    progress: float


@dataclass(frozen=True, slots=True)
class AnnotationFields:
    """What an annotation holds that every role may see (never its review
    ``status`` or ``is_current``, which would tell gold items apart)."""

    id: int
    item_id: int
    project_id: int
    assignment_id: int | None
    source: str
    agent: str
    result: dict[str, Any]
    guideline_version: int | None
    time_spent_ms: int | None
    revision: int
    supersedes_id: int | None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A machine suggestion on a task (newest version of each model's)."""

    id: int
    model_name: str
    model_version: str
    source: str
    score: float | None
    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TaskFields:
    """What an annotator receives before the lease's expiry: the item and its
    lease. Gold items look exactly like every other task."""

    assignment_id: int
    item_id: int
    project_id: int
    data: dict[str, Any]
    media: list[str]
