"""Only the submit that completes its item opens a transaction.

At overlap 2 or more, the submit that brings an item to the overlap decides
its consensus in the same transaction (``labelwell.work.consensus``). Not
knowing beforehand which submit that would be, every such submit on
PostgreSQL opened a transaction: ``BEGIN``, ``labelwell_submit``, ``COMMIT``,
three round trips where the others need one, with the item's row locked from
the function's update until the ``COMMIT`` came back.

``labelwell_submit`` takes ``p_complete`` now. Called with ``false`` (the
caller is not in a transaction), it locks the item's row first and, when this
submit would complete the item, writes nothing and answers ``completes``; the
caller then opens its transaction and calls again with ``true``. Every other
submit stores its answer in the one autocommitted call. The lock taken for the
check is held to the end of the call, so no other submit can complete the
item in between: a submit stored without a transaction never completes its
item. Gold checks do not count towards the overlap and never ask. Otherwise
the function is revision 0027's.

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_ARGUMENTS_0027 = "bigint, bigint, text, jsonb, jsonb, integer, text, timestamptz, integer"
_ARGUMENTS = _ARGUMENTS_0027 + ", boolean"
_PARAMETERS = "p_now timestamptz, p_overlap integer,\n"
_DECLARE = "    v_guideline integer;\n"
_CHECKED = "    -- a lapsed lease whose slot went back to the queue"
_COMPLETES = """    -- outside a transaction, a submit that would complete its item stores
    -- nothing: the caller asks again in one (revision 0028)
    IF NOT p_complete AND NOT v_gold AND p_overlap >= 2 THEN
        SELECT n_done INTO v_done FROM items WHERE id = v_item FOR UPDATE;
        IF v_done + 1 >= p_overlap THEN
            o_outcome := 'completes';
            RETURN;
        END IF;
    END IF;
"""


def _submit_0027() -> str:
    """labelwell_submit as revision 0027 defines it."""
    previous = importlib.import_module(
        "labelwell.store.migrations.versions.0027_submit_returns_what_follows"
    )
    sql: str = previous._submit_0027()
    return sql


def _submit_0028() -> str:
    sql = _submit_0027()
    assert sql.count(_PARAMETERS) == 1 and sql.count(_DECLARE) == 1 and sql.count(_CHECKED) == 1
    sql = sql.replace(_PARAMETERS, "p_now timestamptz, p_overlap integer, p_complete boolean,\n")
    sql = sql.replace(_DECLARE, _DECLARE + "    v_done integer;\n")
    return sql.replace(_CHECKED, _COMPLETES + _CHECKED)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION labelwell_submit({_ARGUMENTS_0027})")
    op.execute(_submit_0028())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION labelwell_submit({_ARGUMENTS})")
    op.execute(_submit_0027())
