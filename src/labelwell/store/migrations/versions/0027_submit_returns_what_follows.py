"""A submit that completes its item returns what comes next in the same call.

On PostgreSQL a submit that reaches the project's overlap went on with two
more round trips before its commit: consensus read the item's answers
(``labelwell.work.consensus``), and the webhooks read which events the
project's hooks take (``labelwell.work.webhooks.item_completed``, at every
overlap, 1 included). ``labelwell_submit`` now reads both itself, under the
item's row lock it already holds, and returns them:

* ``o_votes``: when ``n_done`` reaches the overlap (2 or more), the item's
  current human answers and any consensus already stored, as the JSON array
  ``[[id, source, agent, result], ...]`` in id order: the rows of consensus's
  ``_VOTES`` statement (``tests/store/test_queue_functions.py`` checks the two
  say the same);
* ``o_hooks``: when ``n_done`` equals the overlap, the comma-joined events of
  the project's active hooks (``''`` when it has none).

Both are null otherwise, and the Python side then reads as before (SQLite
always does). Everything else in the function is as revision 0004 wrote it.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_OUT = "OUT o_outcome text, OUT o_annotation_id bigint, OUT o_n_done integer)"
_ARGUMENTS = "bigint, bigint, text, jsonb, jsonb, integer, text, timestamptz, integer"
_STORED = "    o_outcome := 'stored';\nEND\n"
#: the item's votes as consensus reads them (``labelwell.work.consensus._VOTES``)
VOTES_WHERE = (
    "a.item_id = v_item AND a.is_current"
    " AND (a.source = 'consensus'"
    " OR (a.source = 'human' AND a.assignment_id IS NOT NULL AND a.is_gold_check = false))"
)
_FOLLOWS = f"""    -- what a submit that completes its item reads next, in this call (0027)
    IF o_n_done >= p_overlap THEN
        IF p_overlap >= 2 THEN
            SELECT coalesce(json_agg(json_build_array(a.id, a.source, a.agent, a.result)
                                     ORDER BY a.id), '[]')::text
              INTO o_votes
              FROM annotations a
             WHERE {VOTES_WHERE};
        END IF;
        IF o_n_done = p_overlap THEN
            SELECT coalesce(string_agg(w.events, ','), '') INTO o_hooks
              FROM webhooks w WHERE w.project_id = v_project AND w.active;
        END IF;
    END IF;
"""


def _submit_0004() -> str:
    """labelwell_submit as revision 0004 defines it."""
    previous = importlib.import_module("labelwell.store.migrations.versions.0004_queue_functions")
    sql: str = previous.SUBMIT
    return sql


def _submit_0027() -> str:
    sql = _submit_0004()
    assert sql.count(_OUT) == 1 and sql.count(_STORED) == 1
    sql = sql.replace(_OUT, _OUT[:-1] + ", OUT o_votes text, OUT o_hooks text)")
    return sql.replace(_STORED, _FOLLOWS + _STORED)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # new result columns: CREATE OR REPLACE cannot change a function's row type
    op.execute(f"DROP FUNCTION labelwell_submit({_ARGUMENTS})")
    op.execute(_submit_0027())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION labelwell_submit({_ARGUMENTS})")
    op.execute(_submit_0004())
