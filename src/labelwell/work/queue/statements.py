"""The queue's statements, written once for SQLite and PostgreSQL.

Each one is a single indexed lookup or guarded update; the comments name the
index it uses. Column lists are fixed so that callers unpack rows by position.
"""

from __future__ import annotations

from labelwell.store.raw import Statement
from labelwell.store.tables import SERVABLE_GOLD
from labelwell.work.published import PUBLISHED_PROBE_SQL, PUBLISHED_SQL
from labelwell.work.queue import assignees, slots

#: the project as the queue needs it, the current guideline version and the
#: caller's membership role (primary key; ix on guidelines and members' keys)
PROJECT = Statement(
    "SELECT p.id, p.name, p.overlap, p.gold_ratio, p.lease_seconds, p.blind,"
    " CAST(p.required_skills AS TEXT), p.show_predictions, CAST(p.settings AS TEXT),"
    " CAST(p.ontology AS TEXT),"
    " (SELECT max(g.version) FROM guidelines g WHERE g.project_id = p.id),"
    " (SELECT m.role FROM members m WHERE m.project_id = p.id AND m.user_id = ?)"
    " FROM projects p WHERE p.id = ?"
)

#: whether the project is archived (it serves no new tasks; primary key)
ARCHIVED = Statement("SELECT archived_at FROM projects WHERE id = ?")

#: a live lease the annotator already holds (ix_assignments_user)
LIVE_LEASE = Statement(
    "SELECT id, item_id, expires_at, guideline_version FROM assignments"
    " WHERE user_id = ? AND project_id = ? AND status = 'leased' AND expires_at > ?"
    " ORDER BY id LIMIT 1"
)

#: lapsed leases become ``expired`` (ix_assignments_live)
EXPIRE_LEASES = Statement(
    "UPDATE assignments SET status = 'expired', finished_at = ?"
    " WHERE project_id = ? AND status = 'leased' AND expires_at < ?"
    " RETURNING item_id, is_gold"
)

#: slots go back to their item (lapsed or skipped leases), with ``(slots, item id)``
RETURN_SLOTS = Statement(
    f"UPDATE items SET n_active = n_active - ?, status = {slots.STATUS_AFTER_RELEASE} WHERE id = ?"
)

def _not_seen(mark: str, probe: str = "") -> str:
    """The item was never given to this annotator and its import is published.
    PostgreSQL's form (``probe=" OFFSET 0"``) keeps each subquery a probe of its
    unique key per candidate, never an anti-join planned from statistics that
    a new table lacks (which read the annotator's whole history per candidate;
    migration 0030)."""
    return (
        " AND NOT EXISTS (SELECT 1 FROM assignments a"
        f" WHERE a.item_id = i.id AND a.user_id = {mark}{probe})"
        f" AND {PUBLISHED_PROBE_SQL if probe else PUBLISHED_SQL}"
    )


_NOT_SEEN = _not_seen("?")
_NOT_SEEN_PG = _not_seen("%s", " OFFSET 0")

#: the next open item this annotator has never been given, of a published
#: import and assigned to nobody (ix_items_queue; the unique (item_id, user_id)
#: index, the imports' and item_assignees' primary keys answer the NOT EXISTS).
#: Items of an import in progress are ``staged``, outside the index range this
#: search reads. ``LIMIT`` is 1, or 0 where a gold item was found: every lease
#: sends all candidate statements (see ``TAKE_SLOT``).
CANDIDATE = Statement(
    "SELECT i.id FROM items i WHERE i.project_id = ? AND i.is_gold = ? AND i.status = 'open'"
    + _NOT_SEEN
    + f" AND {assignees.UNASSIGNED}"
    + " ORDER BY i.priority DESC, i.id LIMIT ?",
    postgresql=(
        "SELECT i.id FROM items i WHERE i.project_id = %s AND i.is_gold = %s"
        " AND i.status = 'open'"
        + _NOT_SEEN_PG
        + f" AND {assignees.UNASSIGNED}"
        + " ORDER BY i.priority DESC, i.id LIMIT %s FOR UPDATE OF i SKIP LOCKED"
    ),
)

#: the same search among the items assigned to this annotator, which come
#: first, with ``(user, project, is_gold, user, LIMIT)`` (ix_item_assignees_user)
ASSIGNED_CANDIDATE = Statement(
    f"SELECT i.id {assignees.sql(assignees.MINE)} AND i.is_gold = ? AND i.status = 'open'"
    + _NOT_SEEN
    + " ORDER BY i.priority DESC, i.id LIMIT ?",
    postgresql=(
        f"SELECT i.id {assignees.sql(assignees.MINE, '%s', '%s')}"
        " AND i.is_gold = %s AND i.status = 'open'"
        + _NOT_SEEN_PG
        + " ORDER BY i.priority DESC, i.id LIMIT %s FOR UPDATE OF i SKIP LOCKED"
    ),
)

#: up to ``LIMIT`` (50, or 0 when no gold is drawn) gold items this annotator
#: has never been given, of published imports, not still staged (one is drawn
#: at random)
GOLD_CANDIDATES = Statement(
    # ix_items_gold_candidates's WHERE as it is (SQLite uses a partial index
    # only for a query that repeats its terms)
    f"SELECT i.id FROM items i WHERE i.project_id = ? AND {SERVABLE_GOLD}"
    + _NOT_SEEN
    + " ORDER BY i.priority DESC, i.id LIMIT ?",
    postgresql=(
        f"SELECT i.id FROM items i WHERE i.project_id = %s AND {SERVABLE_GOLD}"
        + _NOT_SEEN_PG
        + " ORDER BY i.priority DESC, i.id LIMIT %s"
    ),
)

#: take ``slots`` of the item's ``overlap``, if one is free, with
#: ``(slots, slots, overlap, item id, slots, overlap)``: 1 for a regular item;
#: 0 for a gold item, which has no slots, so the row stays as it is. Gold and
#: regular leases send the same statements (no timing tells gold apart).
TAKE_SLOT = Statement(
    "UPDATE items SET n_active = n_active + ?,"
    f" status = CASE WHEN ? = 0 THEN status ELSE {slots.sql(slots.STATUS_AFTER_TAKE)} END"
    f" WHERE id = ? AND (? = 0 OR ({slots.sql(slots.SLOT_FREE)}))"
)

#: a lapsed lease takes its slot back, if the item is not done meanwhile
RETAKE_SLOT = Statement(
    f"UPDATE items SET n_active = n_active + 1, status = {slots.sql(slots.STATUS_AFTER_TAKE)}"
    f" WHERE id = ? AND {slots.sql(slots.SLOT_FREE_AGAIN)}"
)

NEW_LEASE = Statement(
    "INSERT INTO assignments (item_id, project_id, user_id, status, is_gold, leased_at,"
    " expires_at, guideline_version) VALUES (?, ?, ?, 'leased', ?, ?, ?, ?) RETURNING id"
)

ITEM_VIEW = Statement("SELECT CAST(data AS TEXT), CAST(media AS TEXT) FROM items WHERE id = ?")

#: machine suggestions, oldest first (ix_predictions_item)
SUGGESTIONS = Statement(
    "SELECT id, source, model_name, model_version, score, CAST(result AS TEXT)"
    " FROM predictions WHERE item_id = ? ORDER BY id"
)

#: the lease being submitted, with the item's data (primary keys; SQLite only:
#: PostgreSQL reads it in ``labelwell_submission``)
LEASE_FOR_SUBMIT = Statement(
    "SELECT a.user_id, a.project_id, a.item_id, a.status, a.is_gold, a.leased_at,"
    " a.expires_at, a.guideline_version, CAST(i.data AS TEXT)"
    " FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.id = ?"
)

_ANNOTATION_COLUMNS = (
    "id, item_id, project_id, user_id, assignment_id, source, agent, CAST(result AS TEXT),"
    " guideline_version, time_spent_ms, status, is_gold_check, revision, supersedes_id,"
    " is_current, idempotency_key, CAST(details AS TEXT), created_at"
)

#: the names of ``_ANNOTATION_COLUMNS``, in order
ANNOTATION_FIELDS = (
    "id",
    "item_id",
    "project_id",
    "user_id",
    "assignment_id",
    "source",
    "agent",
    "result",
    "guideline_version",
    "time_spent_ms",
    "status",
    "is_gold_check",
    "revision",
    "supersedes_id",
    "is_current",
    "idempotency_key",
    "details",
    "created_at",
)

#: a submission stored under this idempotency key (unique (user_id, idempotency_key))
BY_IDEMPOTENCY_KEY = Statement(
    f"SELECT {_ANNOTATION_COLUMNS} FROM annotations WHERE user_id = ? AND idempotency_key = ?"
)

PREDICTION_OF_ITEM = Statement("SELECT 1 FROM predictions WHERE id = ? AND item_id = ?")

GOLD_ANSWER = Statement("SELECT CAST(result AS TEXT) FROM gold_answers WHERE item_id = ?")

NEW_ANNOTATION = Statement(
    "INSERT INTO annotations (item_id, project_id, user_id, assignment_id, source, agent,"
    " result, guideline_version, time_spent_ms, status, is_gold_check, revision,"
    " is_current, idempotency_key, details, created_at)"
    " VALUES (?, ?, ?, ?, 'human', ?, ?json, ?, ?, 'submitted', ?, 1, ?, ?, ?json, ?)"
    " RETURNING id"
)

LEASE_SUBMITTED = Statement(
    "UPDATE assignments SET status = 'submitted', finished_at = ? WHERE id = ?"
)

#: count the submission on the item and move its status on
ITEM_LABELED = Statement(
    f"UPDATE items SET n_done = n_done + 1, status = {slots.sql(slots.STATUS_AFTER_LABEL)}"
    " WHERE id = ? RETURNING n_done"
)
