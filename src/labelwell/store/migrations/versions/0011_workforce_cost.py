"""Workforce cost: pay rates, and each project's spend against its budget.

* ``pay_rates``: an amount per hour (of ``annotations.time_spent_ms``) or per
  accepted label, for everyone or scoped to a project, a global role or a
  skill (:mod:`labelwell.work.cost` picks the most specific one).
* ``project_spend``: one row per project, what its labels have cost so far
  (counted up by each submit while the project has a ``budget_cap`` setting,
  recounted when rates or the budget change).
* On PostgreSQL ``labelwell_next_task`` (as revision 0007 left it; 0008 to 0010 keep it) is replaced
  by the same function that answers ``stopped`` instead of a new lease once a
  project's spend reached its ``budget_cap`` (one primary-key lookup, made only
  in projects with a budget); a lease already held is still given again.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

import labelwell.store.tables

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = labelwell.store.tables.UTCDateTime(timezone=True)

#: the new-lease branch of labelwell_next_task starts with the qualification check
_NEW_LEASE = "        IF o_settings::jsonb -> 'qualification' IS NOT NULL"
_BUDGET = """        IF jsonb_typeof(o_settings::jsonb -> 'budget_cap') = 'number' THEN
            IF EXISTS (SELECT 1 FROM project_spend s WHERE s.project_id = p_project
                          AND s.spent >= (o_settings::jsonb ->> 'budget_cap')::double precision)
            THEN
                o_outcome := 'stopped';  -- the budget is spent (Python words the refusal)
                RETURN;
            END IF;
        END IF;
"""


def _next_task_0007() -> str:
    """labelwell_next_task as revision 0007 defines it."""
    previous = importlib.import_module("labelwell.store.migrations.versions.0007_staged_items")
    sql: str = previous._next_task_0007()
    return sql


def _next_task_0011() -> str:
    sql = _next_task_0007()
    assert sql.count(_NEW_LEASE) == 1
    return sql.replace(_NEW_LEASE, _BUDGET + _NEW_LEASE)


def upgrade() -> None:
    op.create_table(
        "pay_rates",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("skill", sa.String(length=100), nullable=True),
        sa.Column("basis", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pay_rates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pay_rates_project_id"), ["project_id"], unique=False)
    op.create_table(
        "project_spend",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("spent", sa.Float(), nullable=False, server_default="0"),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_next_task_0011())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_next_task_0007())
    op.drop_table("project_spend")
    with op.batch_alter_table("pay_rates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pay_rates_project_id"))
    op.drop_table("pay_rates")
