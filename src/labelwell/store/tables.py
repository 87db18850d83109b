"""SQLAlchemy tables: the whole labelwell store.

Every label (annotation, prediction, gold answer, consensus) carries its
provenance: the kind of producer (``source``), which one (``agent``), the
guideline version shown, the lease it came from and the time spent. Editing an
annotation writes a new revision and keeps the earlier one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: the gold items the queue may serve: gold, and not staged by an import being
#: written (the WHERE of ix_items_gold_candidates; the gold search repeats it)
SERVABLE_GOLD = "is_gold AND status IN ('open', 'full', 'done')"

ROLES = ("admin", "manager", "reviewer", "annotator")
PROJECT_ROLES = ("manager", "reviewer", "annotator")
SOURCES = ("human", "model", "labeling_function", "consensus", "synthetic")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite
    keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")
ID = BigInteger().with_variant(Integer(), "sqlite")


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class, for bulk ``insert`` without the ORM."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="annotator")
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: ``api`` (made for a script, lives until revoked) or ``session`` (a web login).
    kind: Mapped[str] = mapped_column(String(10), default="api", server_default="api")
    #: When the token stops working (NULL: never). A session's moves forward as
    #: it is used (idle timeout), never past its absolute lifetime.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordReset(Base):
    """A one-time link that sets a user's password; only its hash is stored."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    ontology: Mapped[dict[str, Any]] = mapped_column(JSONType)
    overlap: Mapped[int] = mapped_column(Integer, default=1)
    gold_ratio: Mapped[float] = mapped_column(Float, default=0.05)
    lease_seconds: Mapped[int] = mapped_column(Integer, default=1800)
    blind: Mapped[bool] = mapped_column(Boolean, default=True)
    ordering: Mapped[str] = mapped_column(String(20), default="fifo")
    required_skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    show_predictions: Mapped[bool] = mapped_column(Boolean, default=True)
    #: what a manager configured, only the keys set: typed, checked and given its
    #: defaults by :mod:`labelwell.work.project_settings`; never runtime state
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: when a manager archived it (null: active); archived projects leave the queue and the list
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class OntologyVersion(Base):
    """A project's ontology as of each change (version 1: as created), the
    changes that made it and, for a forced removal, the reason given."""

    __tablename__ = "ontology_versions"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    ontology: Mapped[dict[str, Any]] = mapped_column(JSONType)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Guideline(Base):
    __tablename__ = "guidelines"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Member(Base):
    __tablename__ = "members"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Item(Base):
    """A unit of data to label. ``n_active`` counts the slots taken (live leases
    plus accepted submissions); ``n_done`` the accepted submissions. ``status``
    is ``open`` while a slot is free, ``full`` while every slot is leased or done,
    and ``done`` once ``n_done`` reaches the project's overlap; ``staged`` before
    that while its import is being written or opened (:mod:`labelwell.work.imports`):
    the queue's candidate search, which looks only at ``open`` rows, never visits
    it."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("project_id", "external_id"),
        # Matches the queue's ORDER BY priority DESC, id so the next task is an index seek.
        Index("ix_items_queue", "project_id", "is_gold", "status", text("priority DESC"), "id"),
        Index("ix_items_review", "project_id", "review_state", "id"),
        Index("ix_items_project_order", "project_id", "id"),
        # the gold search's servable rows, in its order (migration 0025)
        Index(
            "ix_items_gold_candidates",
            "project_id",
            text("priority DESC"),
            "id",
            postgresql_where=text(SERVABLE_GOLD),
            sqlite_where=text(SERVABLE_GOLD),
        ),
        # the data manager's sort by creation time (migration 0010); no index holds
        # n_done, which every submit changes (migration 0026)
        Index("ix_items_project_created", "project_id", "created_at", "id"),
        # the data manager's sorts by the stored label columns (migration 0020;
        # NULLS FIRST on PostgreSQL)
        *(
            Index(f"ix_items_{name}", "project_id", name, "id")
            for name in (
                "label_answers",
                "label_agreement",
                "label_consensus",
                "label_last_annotator",
                "label_time_spent_ms",
                "prediction_model",
                "prediction_score",
                "prediction_uncertainty",
            )
        ),
        # room on each page for the queue's updates as heap-only tuples (migration 0026)
        {"postgresql_with": {"fillfactor": 90}},
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    media: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(10), default="open")
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    is_gold: Mapped[bool] = mapped_column(Boolean, default=False)
    n_active: Mapped[int] = mapped_column(Integer, default=0)
    n_done: Mapped[int] = mapped_column(Integer, default=0)
    #: consensus routing once the overlap is reached: review | escalated | resolved
    review_state: Mapped[str | None] = mapped_column(String(10))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # kept by triggers on annotations and predictions (migration 0020): the
    # data manager's label columns, as work/data_manager/columns.py defines them
    label_answers: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    label_agreement: Mapped[float | None] = mapped_column(Float)
    label_consensus: Mapped[str | None] = mapped_column(Text)
    label_last_annotator: Mapped[str | None] = mapped_column(String(320))
    label_time_spent_ms: Mapped[int | None] = mapped_column(BigInteger)
    prediction_model: Mapped[str | None] = mapped_column(String(200))
    prediction_score: Mapped[float | None] = mapped_column(Float)
    prediction_uncertainty: Mapped[float | None] = mapped_column(Float)


class ItemLabelsStale(Base):
    """An item whose label columns changed since they were last derived: marked
    by triggers on ``annotations`` and ``predictions``, derived and unmarked
    by whatever reads the columns (:func:`labelwell.store.derived.refresh_stale`,
    migration 0023). No foreign keys: a mark outlives its item harmlessly."""

    __tablename__ = "item_labels_stale"

    project_id: Mapped[int] = mapped_column(ID, primary_key=True)
    item_id: Mapped[int] = mapped_column(ID, primary_key=True)


class ItemAssignee(Base):
    """An item a manager assigned to a chosen annotator: the queue serves them
    their assigned items first, and an assigned item to its assignees only
    (migration 0018)."""

    __tablename__ = "item_assignees"
    __table_args__ = (Index("ix_item_assignees_user", "user_id", "project_id", "item_id"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


IMPORT_STATES = ("writing", "published", "discarded")


class Import(Base):
    """A file or batch of items. ``state`` is ``writing`` while its rows are
    stored chunk by chunk (nothing sees them), ``published`` once they all are,
    ``discarded`` when it was refused or abandoned and its rows removed;
    ``owner`` (``host:pid``) and ``heartbeat_at`` tell a writer that is gone.
    ``staged`` is true while a published import still has ``staged`` items to
    put in the queue (a restart finishes the job)."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(40))
    n_items: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(10), default="published", server_default="published")
    owner: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    staged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class GoldAnswer(Base):
    __tablename__ = "gold_answers"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Assignment(Base):
    """An item leased to an annotator. One row per (item, annotator), ever: the
    unique constraint is what guarantees nobody receives the same item twice."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("item_id", "user_id"),
        Index("ix_assignments_live", "project_id", "status", "expires_at"),
        Index("ix_assignments_user", "user_id", "project_id", "status"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: leased | submitted | skipped | expired
    status: Mapped[str] = mapped_column(String(10), default="leased")
    is_gold: Mapped[bool] = mapped_column(Boolean, default=False)
    leased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    skip_reason: Mapped[str | None] = mapped_column(Text)
    guideline_version: Mapped[int | None] = mapped_column(Integer)


class Annotation(Base):
    __tablename__ = "annotations"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_annotations_project", "project_id", "id"),
        Index("ix_annotations_item", "item_id"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(20), default="human")
    agent: Mapped[str] = mapped_column(String(320))
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)
    guideline_version: Mapped[int | None] = mapped_column(Integer)
    time_spent_ms: Mapped[int | None] = mapped_column(Integer)
    #: submitted | accepted | rejected
    status: Mapped[str] = mapped_column(String(10), default="submitted")
    is_gold_check: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id"))
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Prediction(Base):
    __tablename__ = "predictions"
    __table_args__ = (Index("ix_predictions_item", "item_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20), default="model")
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(100), default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    annotation_id: Mapped[int] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), index=True
    )
    # indexed: removing an abandoned import's items looks here for each one
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: accept | reject | fix
    decision: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str] = mapped_column(Text, default="")
    fixed_annotation_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Append-only: database triggers refuse UPDATE and DELETE on this table."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(320), default="")
    action: Mapped[str] = mapped_column(String(60))
    project_id: Mapped[int | None] = mapped_column(Integer, index=True)
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


# -- machine help's runtime state (never in ``projects.settings``) -----------


class FlywheelState(Base):
    """A project's flywheel: the retrain lease and the human-label count at the
    last retrain. The lease is taken by one guarded ``UPDATE`` (free or lapsed,
    and enough new labels), so one retrain per project runs at a time across
    every server; ``lease_owner`` is a random token of the process that holds it."""

    __tablename__ = "flywheel_state"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    labels_at_retrain: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Calibration(Base):
    """One training of a project's model: its version, the temperature fitted on
    the held-out items and how many labels it learned from. The newest keeps the
    held-out outcomes (``confidence``, ``correct``) from which routing picks a
    threshold for a target precision; older trainings keep only their summary."""

    __tablename__ = "calibrations"
    __table_args__ = (Index("ix_calibrations_project", "project_id", "id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    model_version: Mapped[str] = mapped_column(String(200))
    temperature: Mapped[float] = mapped_column(Float)
    n_labels: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[list[float] | None] = mapped_column(JSONType)
    correct: Mapped[list[bool] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpotCheck(Base):
    """An item whose model score reached the auto-approve threshold but which
    routing left for people, so their labels measure the auto-approved precision."""

    __tablename__ = "spot_checks"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


JOB_STATES = ("queued", "running", "done", "failed", "cancelled")


class Job(Base):
    """Background work (retrain, pre-label, export) for ``labelwell worker``.

    A web request or a command only inserts a row; a worker claims the oldest
    queued one with a guarded ``UPDATE`` (and ``SKIP LOCKED`` on PostgreSQL), holds
    a lease it renews while running, and writes the outcome. ``dedupe_key``
    is unique among live jobs (queued or running), so a second request for the
    same work, from any server, joins the live job instead of starting another.
    A job whose worker died (lease lapsed) is queued again, up to
    ``max_attempts``."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_state", "state", "id"),
        Index("ix_jobs_project", "project_id", "id"),
        Index(
            "uq_jobs_live_dedupe",
            "dedupe_key",
            unique=True,
            sqlite_where=text("state IN ('queued', 'running')"),
            postgresql_where=text("state IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True
    )
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DataView(Base):
    """A person's named view of a project's item table: filters, sort, search
    and columns (``state``, checked by :mod:`labelwell.work.data_manager`). The
    view named ``""`` is the layout the person last used.

    Full-text search over ``items.data`` lives outside these tables (migration
    0010): SQLite's ``items_fts`` (FTS5, filled by triggers on ``items``) and
    PostgreSQL's ``item_search`` (a ``tsvector`` per item, GIN-indexed, filled by
    a trigger on ``items``; migration 0021). A SQLite migration that rebuilds
    ``items`` (a batch column change) must create those triggers again."""

    __tablename__ = "data_views"
    __table_args__ = (UniqueConstraint("project_id", "user_id", "name"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    state: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- workforce cost ----------------------------------------------------------


class PayRate(Base):
    """What an hour of labeling (``annotations.time_spent_ms``) or an accepted
    label pays, for everyone or scoped to a project, a global role or a skill;
    :mod:`labelwell.work.cost` applies the most specific rate that matches."""

    __tablename__ = "pay_rates"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str | None] = mapped_column(String(20))
    skill: Mapped[str | None] = mapped_column(String(100))
    basis: Mapped[str] = mapped_column(String(10))
    amount: Mapped[float] = mapped_column(Float)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ProjectSpend(Base):
    """What a project's labels have cost so far, read by the lease (one primary
    key lookup) in projects with a ``budget_cap``: the queue stops when it is
    reached. Runtime state, so never in ``projects.settings``."""

    __tablename__ = "project_spend"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    spent: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- comments ------------------------------------------------------------------


class Comment(Base):
    """One message in an item's thread (:mod:`labelwell.work.comments`)."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Mention(Base):
    """A person an ``@email`` in a comment names; unread while ``seen_at`` is null."""

    __tablename__ = "mentions"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# -- storage -------------------------------------------------------------------


class StorageConnection(Base):
    """A project's bucket or folder prefix read and written through fsspec
    (:mod:`labelwell.work.storage`). ``credentials`` stay on the server: no
    response and no annotator ever sees them, only which keys are set."""

    __tablename__ = "storage_connections"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(1000))
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    credentials: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class StorageObject(Base):
    """An object a sync made an item of (a later sync skips it), or one the
    worker wrote an item's labels to (:mod:`labelwell.work.storage_targets`)."""

    __tablename__ = "storage_objects"
    __table_args__ = (Index("ix_storage_objects_item", "connection_id", "item_id"),)

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("storage_connections.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(1000), primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- synthetic data --------------------------------------------------------------

SYNTH_METHODS = ("self-instruct", "evol-instruct", "qa", "paraphrase")
SYNTH_VERDICTS = ("verified", "fixed", "rejected")


class SyntheticItem(Base):
    """Where a machine-made item came from and what its guards found
    (:mod:`labelwell.work.synth`): method, generator model, prompt version, the
    items it was made from and its ``generation`` (1 from human data, parent + 1
    from synthetic data); the human ``verdict`` before it may be trained on."""

    __tablename__ = "synthetic_items"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(200))
    prompt_version: Mapped[str] = mapped_column(String(40))
    seed_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    verdict: Mapped[str | None] = mapped_column(String(10), default=None)
    verdict_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verdict_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    flags: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- live updates ----------------------------------------------------------------


class LiveEvent(Base):
    """What changed in a project, for the live pages (:mod:`labelwell.work.events`):
    ids and counts only. Written and polled on SQLite; PostgreSQL sends events
    with ``NOTIFY`` and leaves this table empty. Pruned by age."""

    __tablename__ = "live_events"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Presence(Base):
    """Who had a project's pages open lately: each heartbeat moves ``seen_at``."""

    __tablename__ = "presence"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    page: Mapped[str] = mapped_column(String(20))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- webhooks ----------------------------------------------------------------------


class Webhook(Base):
    """A project's receiver of events (:mod:`labelwell.work.webhooks`).
    ``events`` is comma-framed (``,item.completed,export.ready,``);
    ``secret`` is the signing secret encrypted with the server's key."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_project", "project_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class WebhookDelivery(Base):
    """One event sent (or to be sent) to one webhook, with its outcome."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_hook", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_code: Mapped[int | None] = mapped_column(Integer, default=None)
    latency_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
