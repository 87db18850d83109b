"""Sessions that end and passwords that can be reset.

* ``api_tokens.kind``: ``api`` (made by a person for a script, lives until
  revoked) or ``session`` (made by a web login).
* ``api_tokens.expires_at``: the moment the token stops working, or NULL for
  never. A session's is pushed forward as it is used (its idle timeout) but
  never past its absolute lifetime, so one comparison checks both.
* ``password_resets``: one-time, expiring links that set a password; only the
  SHA-256 of the link's secret is stored.

On PostgreSQL the queue functions of revision 0004 resolve the caller's token
themselves; they are replaced here by the same functions that also refuse a
token past its ``expires_at``.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

import labelwell.store.tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = labelwell.store.tables.UTCDateTime(timezone=True)

# Revision 0004's caller check, and the same check with the token's expiry.
_VALID = "u.is_active AND t.revoked_at IS NULL"
_VALID_NOW = f"{_VALID} AND (t.expires_at IS NULL OR t.expires_at > now())"
_RESOLVING = ("labelwell_next_task", "labelwell_submission")


def _functions_0004() -> dict[str, tuple[str, str]]:
    module = importlib.import_module("labelwell.store.migrations.versions.0004_queue_functions")
    return module.FUNCTIONS  # type: ignore[no-any-return]


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=10), nullable=False, server_default="api")
        )
        batch_op.add_column(sa.Column("expires_at", _WHEN, nullable=True))
    op.create_table(
        "password_resets",
        sa.Column("id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.Column("used_at", _WHEN, nullable=True),
        sa.Column("created_by", _ID, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_resets_user_id"), ["user_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        functions = _functions_0004()
        for name in _RESOLVING:
            sql = functions[name][0]
            assert _VALID in sql, name
            op.execute(sql.replace(_VALID, _VALID_NOW))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        functions = _functions_0004()
        for name in _RESOLVING:
            op.execute(functions[name][0])
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_resets_user_id"))
    op.drop_table("password_resets")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never a batch copy: on SQLite a
    # batch copy drops the table, and its implicit DELETE fires the foreign keys that
    # point at it (SET NULL, CASCADE) on every row.
    op.drop_column("api_tokens", "expires_at")
    op.drop_column("api_tokens", "kind")
