"""What the queue hands out (a task) and takes back (a submission), built from
the columns its statements read on either database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from labelwell.shapes import AnnotationFields, Suggestion, TaskFields
from labelwell.store.raw import loads, when
from labelwell.work.actors import Actor
from labelwell.work.policies import rater_data
from labelwell.work.queue.project import QueueProject


@dataclass(frozen=True, slots=True)
class Task(TaskFields):
    """What an annotator receives: the item, its lease and the machine
    suggestions (:class:`labelwell.shapes.TaskFields`, as the SDK reads them)."""

    expires_at: datetime
    guideline_version: int | None
    suggestions: list[Suggestion] = field(default_factory=list)


def task_of(
    project: QueueProject,
    lease: tuple[int, int, Any, int | None],
    item: tuple[str, str | None],
    predictions: list[Any],
) -> Task:
    """A task from its lease ``(assignment id, item id, expires at, guideline
    version)``, the item's ``(data, media)`` JSON text and the item's prediction
    rows ``(id, source, model name, model version, score, result)``, oldest first."""
    assignment_id, item_id, expires_at, guideline_version = lease
    expires = when(expires_at)
    assert expires is not None
    return Task(
        assignment_id=assignment_id,
        item_id=item_id,
        project_id=project.id,
        data=annotator_view(loads(item[0])),
        media=loads(item[1]) or [],
        expires_at=expires,
        guideline_version=guideline_version,
        suggestions=_suggestions(project, predictions) if project.show_predictions else [],
    )


def _suggestions(project: QueueProject, predictions: list[Any]) -> list[Suggestion]:
    # confidence routing hides model suggestions below this score (label from scratch)
    hide_below = project.settings.suggestion_min_score
    # One suggestion per model: the newest version's (rows come oldest first).
    latest: dict[tuple[str, str], Any] = {}
    for p in predictions:
        if hide_below is None or p[1] != "model" or (p[4] or 0.0) >= hide_below:
            latest[(p[1], p[2])] = p
    return [
        Suggestion(p[0], p[2], p[3], p[1], p[4], p[5] if isinstance(p[5], dict) else loads(p[5]))
        for p in sorted(latest.values(), key=lambda p: p[0])
    ]


def annotator_view(data: dict[str, Any]) -> dict[str, Any]:
    """The item as an annotator sees it (:func:`labelwell.work.policies.rater_data`):
    responses without the model that wrote them, so comparisons stay blind."""
    return rater_data(data)


@dataclass(frozen=True, slots=True)
class Submitted(AnnotationFields):
    """A stored submission: the fields of an annotation every role may see
    (:class:`~labelwell.shapes.AnnotationFields`), those only its writer and the
    server see, and ``feedback`` after a gold item where the project shows it."""

    user_id: int | None
    status: str
    is_gold_check: bool
    is_current: bool
    idempotency_key: str | None
    details: dict[str, Any]
    created_at: datetime
    feedback: dict[str, Any] | None = None
    #: the project retrains its model after new labels (the ``flywheel`` setting)
    flywheel: bool = False

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> Submitted:
        """From an annotation row by column name (the stored one a retry returns)."""
        created_at = when(row["created_at"])
        assert created_at is not None
        return cls(
            id=row["id"],
            item_id=row["item_id"],
            project_id=row["project_id"],
            user_id=row["user_id"],
            assignment_id=row["assignment_id"],
            source=row["source"],
            agent=row["agent"],
            result=_json(row["result"]),
            guideline_version=row["guideline_version"],
            time_spent_ms=row["time_spent_ms"],
            status=row["status"],
            is_gold_check=bool(row["is_gold_check"]),
            revision=row["revision"],
            supersedes_id=row["supersedes_id"],
            is_current=bool(row["is_current"]),
            idempotency_key=row["idempotency_key"],
            details=_json(row["details"]) or {},
            created_at=created_at,
        )


def _json(value: Any) -> Any:
    return loads(value) if isinstance(value, str | bytes) else value


@dataclass(slots=True)
class Pending:
    """What a submit checks before it writes: the lease, its item and project,
    the gold answer (gold items) and whether the named suggestion belongs to the
    item; or ``stored``, the submission a retry with the same key returns."""

    project: QueueProject
    stored: Submitted | None = None
    item_id: int = 0
    status: str = ""
    is_gold: bool = False
    leased_at: datetime | None = None
    expires_at: datetime | None = None
    guideline_version: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    gold: dict[str, Any] | None = None
    prediction_ok: bool | None = None
    #: the item's current human answers when the checks were read (PostgreSQL)
    n_done: int | None = None


def submitted_event(todo: Pending, actor: Actor) -> dict[str, Any]:
    """The live event of a submit, but for what its write tells: ids (the
    ``annotation_id`` and the item's count, ``done``, are added by the write)."""
    payload: dict[str, Any] = {"item_id": todo.item_id, "user_id": actor.id}
    if todo.is_gold:
        payload["gold"] = True
    return payload


@dataclass(frozen=True, slots=True)
class Draft:
    """A checked submission, ready to be written."""

    result: dict[str, Any]
    details: dict[str, Any]
    time_spent_ms: int | None
    key: str | None
    now: datetime


@dataclass(frozen=True, slots=True)
class Written:
    """What a submit's writes came to: ``outcome`` is ``stored`` or the lease's
    status that refused them; ``n_done`` the item's count after them (None for
    gold). A write that completed its item may also carry what the submit reads
    next, read in the same call (PostgreSQL, migration 0027): the item's
    ``votes`` for consensus and the events its project's ``hooks`` take."""

    outcome: str
    annotation_id: int | None = None
    n_done: int | None = None
    votes: list[list[Any]] | None = None
    hooks: set[str] | None = None
