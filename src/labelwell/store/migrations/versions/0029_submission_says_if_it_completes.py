"""The submit's checks say how many answers its item already has.

A submit that completes its item at overlap 2 or more decides consensus in
the same transaction. On PostgreSQL the server's submits run outside a
transaction, so such a submit first called ``labelwell_submit``, which found
that it would complete the item and stored nothing (``completes``, revision
0028), then opened a transaction and called it again: at overlap 3 one submit
in three made that extra call.

``labelwell_submission`` now also returns ``o_n_done``, the item's current
human answers as its row says when the checks are read. A submit whose answer
will reach the overlap opens its transaction before its one call
(:func:`labelwell.work.queue.submitting.submit`). The count is a forecast, not
a lock: a submit that completes an item the forecast missed (another answer
came meanwhile) still gets ``completes`` and goes on as before, and one that
no longer completes it has only run in a transaction.

Everything else in the function is as revision 0005 wrote it.

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

_ARGUMENTS = "text, bigint, boolean, jsonb, bigint, text, bigint"
_OUT = "OUT o_data text, OUT o_gold text, OUT o_prediction_ok boolean,"
_LEASE = (
    "           a.guideline_version, i.data::text\n"
    "      INTO v_project, o_item_id, o_status, o_is_gold, o_leased_at, o_expires_at,\n"
    "           o_lease_guideline, o_data\n"
)


def _revision(name: str) -> object:
    return importlib.import_module(f"labelwell.store.migrations.versions.{name}")


def _submission_0005() -> str:
    """labelwell_submission as revision 0005 left it (0004's, its token checked
    against ``expires_at``)."""
    sessions = _revision("0005_sessions")
    sql: str = sessions._functions_0004()["labelwell_submission"][0]  # type: ignore[attr-defined]
    return sql.replace(sessions._VALID, sessions._VALID_NOW)  # type: ignore[attr-defined]


def _submission_0029() -> str:
    sql = _submission_0005()
    assert sql.count(_OUT) == 1 and sql.count(_LEASE) == 1
    sql = sql.replace(_OUT, _OUT + " OUT o_n_done integer,")
    return sql.replace(
        _LEASE,
        _LEASE.replace("i.data::text\n", "i.data::text, i.n_done\n").replace(
            "o_data\n", "o_data, o_n_done\n"
        ),
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # a new result column: CREATE OR REPLACE cannot change a function's row type
    op.execute(f"DROP FUNCTION labelwell_submission({_ARGUMENTS})")
    op.execute(_submission_0029())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION labelwell_submission({_ARGUMENTS})")
    op.execute(_submission_0005())
