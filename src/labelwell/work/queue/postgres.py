"""The queue on PostgreSQL: each step is one call of a server-side function
(migration 0004), not one round trip per statement.

The functions run the statements of :mod:`labelwell.work.queue.statements` in
the server and return the columns the Python queue reads on SQLite, so the
rules (and their wording) stay in Python: what is refused, and why, is decided
by :mod:`.leasing` and :mod:`.submitting` from what these calls return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from psycopg import errors as pg_errors

from labelwell.errors import Conflict, Unauthorized
from labelwell.store.raw import Raw, Statement, dumps, loads, when
from labelwell.work.accounts import INVALID_TOKEN, bearer_hash
from labelwell.work.actors import Actor, Bearer
from labelwell.work.queue.project import QueueProject, project_of
from labelwell.work.queue.records import (
    Draft,
    Pending,
    Submitted,
    Task,
    Written,
    task_of,
)
from labelwell.work.webhooks import events_in

NEXT_TASK = Statement("SELECT * FROM labelwell_next_task(?, ?, ?, ?json, ?, ?, ?, ?, ?)")
SUBMISSION = Statement("SELECT * FROM labelwell_submission(?, ?, ?, ?json, ?, ?, ?)")
SUBMIT = Statement("SELECT * FROM labelwell_submit(?, ?, ?, ?json, ?json, ?, ?, ?, ?, ?)")


@dataclass(frozen=True)
class Function:
    """A queue function as the code calls it: the statement and the argument
    types PostgreSQL lists for it (``pg_get_function_identity_arguments``)."""

    call: Statement
    arguments: str


_CALLER = "p_token_hash text, p_user bigint, p_admin boolean, p_skills jsonb"

#: every ``labelwell_*`` function the migrations leave, as the code calls it
#: (``tests/store/test_queue_functions.py`` compares them with the database's)
FUNCTIONS = {
    "labelwell_next_task": Function(
        NEXT_TASK,
        f"{_CALLER}, p_project bigint, p_now timestamp with time zone, p_reclaim boolean,"
        " p_draw double precision, p_pick double precision",
    ),
    "labelwell_submission": Function(
        SUBMISSION,
        f"{_CALLER}, p_assignment bigint, p_key text, p_prediction bigint",
    ),
    "labelwell_submit": Function(
        SUBMIT,
        "p_user bigint, p_assignment bigint, p_agent text, p_result jsonb, p_details jsonb,"
        " p_time_spent_ms integer, p_key text, p_now timestamp with time zone,"
        " p_overlap integer, p_complete boolean",
    ),
}

#: the project's columns in the functions' results, in the order of the
#: ``PROJECT`` statement's (:func:`~labelwell.work.queue.project.project_of`)
_PROJECT = (
    "o_project_id",
    "o_name",
    "o_overlap",
    "o_gold_ratio",
    "o_lease_seconds",
    "o_blind",
    "o_required_skills",
    "o_show_predictions",
    "o_settings",
    "o_ontology",
    "o_guideline_version",
    "o_role",
)
_BIGINT = 2**63 - 1


def _project(row: dict[str, Any], actor: Actor, project_id: int) -> QueueProject:
    return project_of(tuple(row[name] for name in _PROJECT), actor, project_id)


def _caller(who: Actor | Bearer) -> tuple[Any, ...]:
    """The functions' first parameters: a token's hash, or who calls."""
    if isinstance(who, Bearer):
        return (bearer_hash(who), None, False, None)
    return (None, who.id, who.is_admin, dumps(list(who.skills)))


def _actor(who: Actor | Bearer, row: dict[str, Any]) -> Actor:
    """``who``, or the owner of the token the function resolved;
    ``Unauthorized`` for a token it did not accept."""
    if row["o_outcome"] == "unauthorized":
        raise Unauthorized(INVALID_TOKEN)
    if isinstance(who, Actor):
        return who
    skills = tuple(loads(row["o_skills"]) or ())
    return Actor(row["o_user_id"], row["o_email"], row["o_user_role"], skills)


def lease(
    db: Raw,
    who: Actor | Bearer,
    project_id: int,
    *,
    now: datetime,
    reclaim: bool,
    draw: float,
    pick: float,
) -> tuple[str, Actor, QueueProject, Task | None]:
    """Lease the next task in one call. Returns ``(outcome, actor, project, task)``:
    ``leased`` or ``held`` (a live lease given again) with the task, ``empty``
    (nothing left for the annotator), ``ineligible`` (a required skill
    missing) or ``qualification`` (the Python queue leases) without one.
    ``draw`` decides gold (gold when below the project's ``gold_ratio``) and
    ``pick`` which gold item; both uniform in [0, 1)."""
    row = db.named(NEXT_TASK, (*_caller(who), project_id, now, reclaim, draw, pick))
    assert row is not None
    actor = _actor(who, row)
    outcome = row["o_outcome"]
    project = _project(row, actor, project_id)
    if outcome not in ("leased", "held"):
        return outcome, actor, project, None
    lease = (
        row["o_assignment_id"],
        row["o_item_id"],
        row["o_expires_at"],
        row["o_lease_guideline"],
    )
    item = (row["o_data"], row["o_media"])
    task = task_of(project, lease, item, loads(row["o_suggestions"]) or [])
    return outcome, actor, project, task


def pending(
    db: Raw,
    who: Actor | Bearer,
    assignment_id: int,
    key: str | None,
    prediction_id: int | None,
) -> tuple[Actor, Pending | None]:
    """Who submits and what the submit checks, in one call; no ``Pending`` when
    the caller holds no such lease."""
    if prediction_id is not None and not 0 < prediction_id <= _BIGINT:
        prediction_id = 0  # no such prediction
    row = db.named(SUBMISSION, (*_caller(who), assignment_id, key, prediction_id))
    assert row is not None
    actor = _actor(who, row)
    if row["o_outcome"] == "no_lease":
        return actor, None
    project = _project(row, actor, row["o_project_id"])
    gold = loads(row["o_gold"])
    if row["o_outcome"] == "stored":
        stored = Submitted.of_row(orjson.loads(row["o_stored"]))
        return actor, Pending(project, stored=stored, gold=gold)
    return actor, Pending(
        project,
        item_id=row["o_item_id"],
        status=row["o_status"],
        is_gold=bool(row["o_is_gold"]),
        leased_at=when(row["o_leased_at"]),
        expires_at=when(row["o_expires_at"]),
        guideline_version=row["o_lease_guideline"],
        data=loads(row["o_data"]),
        gold=gold,
        prediction_ok=row["o_prediction_ok"],
        n_done=row["o_n_done"],
    )


def write(
    db: Raw,
    actor: Actor,
    assignment_id: int,
    todo: Pending,
    draft: Draft,
    *,
    complete: bool,
) -> Written:
    """Store the submission in one call, the lease locked and its status checked
    again. The outcome is ``stored``, or the lease's status that refused it
    (``submitted``, ``skipped``, ``expired``: lapsed with its item labeled by
    others since, ``no_lease``); a write that completed its item also brings
    the item's votes and the project's hook events (migration 0027). Unless
    ``complete`` (the caller is in a transaction), a write that would complete
    its item at overlap 2 or more stores nothing and the outcome is
    ``completes`` (migration 0028)."""
    try:
        row = db.named(
            SUBMIT,
            (
                actor.id,
                assignment_id,
                actor.email,
                dumps(draft.result),
                dumps(draft.details),
                draft.time_spent_ms,
                draft.key,
                draft.now,
                todo.project.overlap,
                complete,
            ),
        )
    except pg_errors.UniqueViolation:
        raise Conflict(
            f"idempotency key {draft.key!r} was already used for another assignment"
        ) from None
    assert row is not None
    votes, hooks = row["o_votes"], row["o_hooks"]
    return Written(
        row["o_outcome"],
        row["o_annotation_id"],
        row["o_n_done"],
        votes=None if votes is None else orjson.loads(votes),
        hooks=None if hooks is None else events_in(hooks),
    )
