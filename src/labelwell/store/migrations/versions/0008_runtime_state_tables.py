"""Machine help's runtime state leaves ``projects.settings`` for tables of its own.

Until now ``projects.settings["assist_state"]`` held the flywheel's retrain
lease and label count, the last training's model version, temperature and
held-out outcomes (two arrays as long as the held-out share of the labels),
and every item routing ever left for a spot check, a list that only grew.
The queue parses ``settings`` on every lease and submit, so all of it was
read and decoded for every task; and the lease was taken under a lock on the
project row, which the queue's own writes need too.

* ``flywheel_state``: one row per project, the lease (owner, expiry), taken
  by a guarded ``UPDATE``, and the human-label count at the last retrain.
* ``calibrations``: one row per training (model version, temperature, labels
  learned from); the newest keeps the held-out confidences and outcomes.
* ``spot_checks``: one row per spot-checked item, indexed by project.

Upgrade moves ``assist_state`` into these tables (spot checks of items that
no longer exist are dropped: nothing can be measured on them) and removes it
from ``settings``; downgrade writes it back from the tables and drops them.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import labelwell.store.tables

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = labelwell.store.tables.UTCDateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
STATE = "assist_state"

_projects = sa.table("projects", sa.column("id", _ID), sa.column("settings", _JSON))
_items = sa.table("items", sa.column("id", _ID), sa.column("project_id", _ID))
_flywheel = sa.table(
    "flywheel_state",
    sa.column("project_id", _ID),
    sa.column("lease_owner", sa.String),
    sa.column("lease_expires_at", _WHEN),
    sa.column("labels_at_retrain", sa.Integer),
)
_calibrations = sa.table(
    "calibrations",
    sa.column("id", _ID),
    sa.column("project_id", _ID),
    sa.column("model_version", sa.String),
    sa.column("temperature", sa.Float),
    sa.column("n_labels", sa.Integer),
    sa.column("confidence", _JSON),
    sa.column("correct", _JSON),
    sa.column("created_at", _WHEN),
)
_spot_checks = sa.table(
    "spot_checks",
    sa.column("item_id", _ID),
    sa.column("project_id", _ID),
    sa.column("created_at", _WHEN),
)


def _create_tables() -> None:
    op.create_table(
        "flywheel_state",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", _WHEN, nullable=True),
        sa.Column("labels_at_retrain", sa.Integer(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id"),
    )
    op.create_table(
        "calibrations",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=False),
        sa.Column("n_labels", sa.Integer(), nullable=False),
        sa.Column("confidence", _JSON, nullable=True),
        sa.Column("correct", _JSON, nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_calibrations_project", "calibrations", ["project_id", "id"])
    op.create_table(
        "spot_checks",
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id"),
    )
    op.create_index("ix_spot_checks_project_id", "spot_checks", ["project_id"])


def _when(text: Any) -> datetime | None:
    """An ISO timestamp the flywheel wrote (UTC), or None when unreadable."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _move_out(conn: sa.Connection, project_id: int, state: dict[str, Any], now: datetime) -> None:
    if "lease" in state or "labels_at_retrain" in state:
        found = state.get("lease")
        lease: dict[str, Any] = found if isinstance(found, dict) else {}
        owner = lease.get("owner")
        conn.execute(
            sa.insert(_flywheel),
            [
                {
                    "project_id": project_id,
                    "lease_owner": str(owner)[:64] if owner else None,
                    "lease_expires_at": _when(lease.get("until")) if owner else None,
                    "labels_at_retrain": int(state.get("labels_at_retrain") or 0),
                }
            ],
        )
    calibration = state.get("calibration")
    if isinstance(calibration, dict) or "model_version" in state:
        calibration = calibration if isinstance(calibration, dict) else {}
        conn.execute(
            sa.insert(_calibrations),
            [
                {
                    "project_id": project_id,
                    "model_version": str(state.get("model_version") or "")[:200],
                    "temperature": float(state.get("temperature") or 1.0),
                    "n_labels": int(state.get("trained_on") or 0),
                    "confidence": calibration.get("confidence"),
                    "correct": calibration.get("correct"),
                    "created_at": now,
                }
            ],
        )
    wanted = {int(i) for i in state.get("spot_checks") or () if isinstance(i, int)}
    if wanted:
        present = conn.execute(
            sa.select(_items.c.id).where(
                _items.c.project_id == project_id, _items.c.id.in_(sorted(wanted))
            )
        ).scalars()
        rows = [
            {"item_id": i, "project_id": project_id, "created_at": now} for i in sorted(present)
        ]
        if rows:
            conn.execute(sa.insert(_spot_checks), rows)


def upgrade() -> None:
    _create_tables()
    conn = op.get_bind()
    now = datetime.now(UTC)
    projects = conn.execute(sa.select(_projects.c.id, _projects.c.settings)).all()
    for project_id, settings in projects:
        if not isinstance(settings, dict) or STATE not in settings:
            continue
        state = settings[STATE]
        if isinstance(state, dict):
            _move_out(conn, project_id, state, now)
        rest = {k: v for k, v in settings.items() if k != STATE}
        conn.execute(sa.update(_projects).where(_projects.c.id == project_id).values(settings=rest))


def _state_of(conn: sa.Connection, project_id: int) -> dict[str, Any]:
    """``assist_state`` as the code before this revision kept it."""
    state: dict[str, Any] = {}
    flywheel = conn.execute(
        sa.select(
            _flywheel.c.lease_owner, _flywheel.c.lease_expires_at, _flywheel.c.labels_at_retrain
        ).where(_flywheel.c.project_id == project_id)
    ).first()
    if flywheel is not None:
        owner, until, labels = flywheel
        state["lease"] = {"owner": owner, "until": until.isoformat()} if owner and until else None
        state["labels_at_retrain"] = labels
    newest = (
        conn.execute(
            sa.select(_calibrations)
            .where(_calibrations.c.project_id == project_id)
            .order_by(_calibrations.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if newest is not None:
        state["model_version"] = newest["model_version"]
        state["temperature"] = newest["temperature"]
        state["trained_on"] = newest["n_labels"]
        if newest["confidence"] is not None:
            state["calibration"] = {
                "confidence": newest["confidence"],
                "correct": newest["correct"],
            }
    spot = (
        conn.execute(
            sa.select(_spot_checks.c.item_id)
            .where(_spot_checks.c.project_id == project_id)
            .order_by(_spot_checks.c.item_id)
        )
        .scalars()
        .all()
    )
    if spot:
        state["spot_checks"] = list(spot)
    return state


def downgrade() -> None:
    conn = op.get_bind()
    with_state = sa.union(
        sa.select(_flywheel.c.project_id),
        sa.select(_calibrations.c.project_id),
        sa.select(_spot_checks.c.project_id),
    )
    for project_id in conn.execute(with_state).scalars().all():
        settings = conn.execute(
            sa.select(_projects.c.settings).where(_projects.c.id == project_id)
        ).scalar_one()
        merged = {**(settings or {}), STATE: _state_of(conn, project_id)}
        conn.execute(
            sa.update(_projects).where(_projects.c.id == project_id).values(settings=merged)
        )
    op.drop_index("ix_spot_checks_project_id", table_name="spot_checks")
    op.drop_table("spot_checks")
    op.drop_index("ix_calibrations_project", table_name="calibrations")
    op.drop_table("calibrations")
    op.drop_table("flywheel_state")
