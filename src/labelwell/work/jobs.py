"""Background jobs: a table a web request writes to and ``labelwell worker`` reads.

Retraining, pre-labeling and large exports take seconds to hours; a server
process that runs them stalls its annotators. A request or a command only
inserts a row (:func:`enqueue`); a worker claims the oldest queued job with a
guarded ``UPDATE`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so many workers
never take the same one), renews its lease while the job runs and writes the
outcome. A job whose worker died is queued again once its lease lapses, up to
``max_attempts``. A kind's ``dedupe`` key is unique among live jobs
(``uq_jobs_live_dedupe``): a second request for the same work, from any
server, joins the live job, which is how one retrain per project runs at a time.

Kinds register by name in :data:`JOB_KINDS` (built-ins in
:mod:`labelwell.work.job_kinds`; plug-ins through the ``labelwell.jobs`` entry
point group): an options model, who may start one, and the function that runs it.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput, LabelwellError, NotFound
from labelwell.registry import Registry
from labelwell.store.db import Database, rows_changed
from labelwell.store.tables import Job, table_of
from labelwell.work.actors import Actor
from labelwell.work.events import JOB_FINISHED, publish
from labelwell.work.policies import Permission, authorize

log = logging.getLogger(__name__)

#: A running job's lease; the worker renews it every third of this.
LEASE_S = 60.0
#: How often an idle worker looks for work.
POLL_S = 0.5
LIVE = ("queued", "running")
#: The predicate of ``uq_jobs_live_dedupe``, written as the index has it, so that
#: PostgreSQL matches ``ON CONFLICT`` to the index.
_LIVE_PREDICATE = text("state IN ('queued', 'running')")
FINISHED = ("done", "failed", "cancelled")


@dataclass(frozen=True, slots=True)
class JobRun:
    """What a kind's ``run`` gets: the job, its validated options, the database,
    labelwell's home folder and the acting user (None: the system)."""

    id: int
    project_id: int | None
    options: Any
    db: Database
    home: Path
    actor: Actor | None

    @property
    def files(self) -> Path:
        """Where jobs write files for people to download (``home/jobs``)."""
        return files_dir(self.home)


def files_dir(home: Path) -> Path:
    return home / "jobs"


@dataclass(frozen=True, slots=True)
class JobKind:
    """One kind of background work. ``run`` returns the job's result (a JSON
    object shown to whoever asked); ``dedupe`` gives the key that makes a second
    live request join the first (None: every request is a job of its own)."""

    options: type[BaseModel]
    run: Callable[[JobRun], dict[str, Any]]
    permission: Permission = Permission.manage
    dedupe: Callable[[int | None, Any], str | None] | None = None
    description: str = ""


JOB_KINDS: Registry[JobKind] = Registry(
    "job kind",
    group="labelwell.jobs",
    field="kind",
    builtins={
        **{name: "labelwell.work.job_kinds" for name in ("retrain", "prelabel", "export")},
        "storage_sync": "labelwell.work.storage_sync",
        "synth_generate": "labelwell.work.synth_jobs",
        "pyramid": "labelwell.work.media_segmentation",
        "import_pyramids": "labelwell.work.media_pyramids",
    },
)


def now() -> datetime:
    return datetime.now(UTC)


def _options(kind: JobKind, values: Mapping[str, Any] | None) -> BaseModel:
    try:
        return kind.options.model_validate(dict(values or {}))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in ("options", *first["loc"]))
        raise InvalidInput(f"{where}: {first['msg']}", field=where) from None


def enqueue(
    session: Session,
    actor: Actor | None,
    kind_name: str,
    project_id: int | None,
    options: Mapping[str, Any] | None = None,
    *,
    running_for: str | None = None,
) -> tuple[Job, bool]:
    """Queue a job (``actor`` None: the system, e.g. the flywheel after a submit).
    Returns the job and whether it is new: a request whose dedupe key matches a
    live job gets that job back. ``running_for``: the job is stored already
    running, leased to that owner (see :func:`held`)."""
    kind = JOB_KINDS.get(kind_name)
    opts = _options(kind, options)
    if actor is not None and project_id is not None:
        authorize(session, actor, project_id, kind.permission)
    key = kind.dedupe(project_id, opts) if kind.dedupe else None
    values = {
        "kind": kind_name,
        "project_id": project_id,
        "options": opts.model_dump(mode="json"),
        "state": "queued",
        "dedupe_key": key,
        "created_by": actor.id if actor else None,
        "attempts": 0,
        "max_attempts": 3,
        "created_at": now(),
    }
    if running_for is not None:
        values.update(
            state="running",
            lease_owner=running_for,
            lease_expires_at=now() + timedelta(seconds=LEASE_S),
            attempts=1,
            started_at=now(),
        )
    table = table_of(Job)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"], index_where=_LIVE_PREDICATE)
        .returning(table.c.id)
    )
    new_id = session.execute(statement).scalar()
    if new_id is not None:
        job = session.get(Job, new_id)
        assert job is not None
        return job, True
    live = session.scalar(select(Job).where(Job.dedupe_key == key, Job.state.in_(LIVE)))
    if live is None:  # finished between the insert and this read: ask again
        return enqueue(session, actor, kind_name, project_id, options, running_for=running_for)
    return live, False


def get(session: Session, actor: Actor, job_id: int) -> Job:
    """A job its project's managers (admins: any job) may see."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    if job.project_id is None:
        if not actor.is_admin and job.created_by != actor.id:
            raise NotFound(f"job {job_id} not found")
    else:
        try:
            authorize(session, actor, job.project_id, JOB_KINDS.get(job.kind).permission)
        except LabelwellError:
            raise NotFound(f"job {job_id} not found") from None
    return job


def listing(
    session: Session, actor: Actor, project_id: int, *, limit: int = 50, before: int | None = None
) -> list[Job]:
    """A project's jobs, newest first."""
    authorize(session, actor, project_id, Permission.manage)
    query = select(Job).where(Job.project_id == project_id)
    if before is not None:
        query = query.where(Job.id < before)
    return list(session.scalars(query.order_by(Job.id.desc()).limit(limit)))


def cancel(session: Session, actor: Actor, job_id: int) -> Job:
    """Stop a queued or running job. A running one's outcome is discarded when
    its worker finishes (the worker is not interrupted mid-write)."""
    job = get(session, actor, job_id)
    if job.state not in LIVE:
        raise Conflict(f"job {job_id} is {job.state} already", details={"state": job.state})
    job.state = "cancelled"
    job.finished_at = now()
    job.lease_owner = None
    session.flush()
    return job


def requeue_lapsed(session: Session) -> int:
    """Running jobs whose lease lapsed (their worker died): queued again, or
    failed once they have used every attempt."""
    moment = now()
    lapsed = and_(Job.state == "running", Job.lease_expires_at < moment)
    failed = rows_changed(
        session,
        update(Job)
        .where(lapsed, Job.attempts >= Job.max_attempts)
        .values(
            state="failed",
            lease_owner=None,
            finished_at=moment,
            error="the worker running it stopped on every attempt",
        ),
    )
    again = rows_changed(
        session, update(Job).where(lapsed).values(state="queued", lease_owner=None)
    )
    return failed + again


def _waiting(db: Database) -> bool:
    """Whether a job is queued or a running one's lease lapsed: read without a
    write transaction, so an idle worker never takes SQLite's writer lock."""
    moment = now()
    with db.read_session() as s:
        found = s.scalar(
            select(Job.id)
            .where(
                or_(
                    Job.state == "queued",
                    and_(Job.state == "running", Job.lease_expires_at < moment),
                )
            )
            .limit(1)
        )
    return found is not None


def claim(db: Database, owner: str, *, lease_s: float = LEASE_S) -> Job | None:
    """Take the oldest queued job for ``owner``; None when there is none."""
    if not _waiting(db):
        return None
    with db.session() as s:
        requeue_lapsed(s)
        while True:
            oldest = select(Job.id).where(Job.state == "queued").order_by(Job.id).limit(1)
            if db.dialect == "postgresql":
                oldest = oldest.with_for_update(skip_locked=True)
            job_id = s.scalar(oldest)
            if job_id is None:
                return None
            moment = now()
            taken = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == "queued")
                .values(
                    state="running",
                    lease_owner=owner,
                    lease_expires_at=moment + timedelta(seconds=lease_s),
                    attempts=Job.attempts + 1,
                    started_at=moment,
                )
                .returning(Job.id)
            ).scalar()
            if taken is not None:  # else another worker took it first: the next one
                job = s.get(Job, job_id, populate_existing=True)
                assert job is not None
                s.expunge(job)
                return job


def renew(db: Database, job_id: int, owner: str, *, lease_s: float = LEASE_S) -> bool:
    """Extend a running job's lease; False once it is no longer ``owner``'s
    (cancelled, or taken back after a lapse)."""
    with db.session() as s:
        changed = rows_changed(
            s,
            update(Job)
            .where(Job.id == job_id, Job.state == "running", Job.lease_owner == owner)
            .values(lease_expires_at=now() + timedelta(seconds=lease_s)),
        )
    return bool(changed)


def _settle(
    db: Database, job_id: int, owner: str, state: str, *, result: Any = None, error: Any = None
) -> bool:
    with db.session() as s:
        changed = rows_changed(
            s,
            update(Job)
            .where(Job.id == job_id, Job.state == "running", Job.lease_owner == owner)
            .values(
                state=state,
                result=result,
                error=error,
                lease_owner=None,
                lease_expires_at=None,
                finished_at=now(),
            ),
        )
        project_id, kind = s.execute(select(Job.project_id, Job.kind).where(Job.id == job_id)).one()
        if changed and project_id is not None:
            publish(s, project_id, JOB_FINISHED, {"job_id": job_id, "kind": kind, "state": state})
    return bool(changed)


def _actor(db: Database, user_id: int | None) -> Actor | None:
    if user_id is None:
        return None
    from labelwell.store.tables import User

    with db.read_session() as s:
        user = s.get(User, user_id)
        return Actor.of(user) if user is not None and user.is_active else None


def run_claimed(db: Database, job: Job, owner: str, home: Path) -> str:
    """Run a claimed job to its end, renewing its lease meanwhile; returns the
    state it ended in. Errors end the job ``failed`` with their message; an
    unexpected one is logged with its traceback here, never shown to users."""
    stop = threading.Event()

    def keep_lease() -> None:
        while not stop.wait(LEASE_S / 3):
            if not renew(db, job.id, owner):
                return

    heartbeat = threading.Thread(target=keep_lease, name=f"job-{job.id}-lease", daemon=True)
    heartbeat.start()
    try:
        kind = JOB_KINDS.get(job.kind)
        options = _options(kind, job.options)
        actor = _actor(db, job.created_by)
        if job.created_by is not None and actor is None:
            raise InvalidInput("the user who asked for this job is no longer active")
        files_dir(home).mkdir(parents=True, exist_ok=True)
        result = kind.run(JobRun(job.id, job.project_id, options, db, home, actor))
    except LabelwellError as error:
        stop.set()
        _settle(db, job.id, owner, "failed", error=error.message)
        return "failed"
    except Exception as error:
        stop.set()
        log.exception("job %s (%s) failed", job.id, job.kind)
        _settle(db, job.id, owner, "failed", error=f"internal error ({type(error).__name__})")
        return "failed"
    finally:
        stop.set()
    return "done" if _settle(db, job.id, owner, "done", result=result) else "cancelled"


@contextmanager
def held(
    db: Database,
    actor: Actor | None,
    kind_name: str,
    project_id: int | None,
    options: Mapping[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """Do a kind's work here and now (a command or a request that waits for it)
    under a job row stored running for this process: the row's dedupe key keeps
    an equal job out, from this server, another one or a worker, until the work
    ends (``Conflict`` when one is live already). Put the result in the dict
    this yields; the job ends done with it, or failed with the error raised."""
    owner = f"inline-{uuid.uuid4().hex[:16]}"
    with db.session() as s:
        job, new = enqueue(s, actor, kind_name, project_id, options, running_for=owner)
        job_id, state = job.id, job.state
    if not new:
        raise Conflict(
            f"an equal {kind_name} job is {state} already (job {job_id})",
            details={"job_id": job_id, "state": state},
        )
    stop = threading.Event()

    def keep_lease() -> None:
        while not stop.wait(LEASE_S / 3):
            if not renew(db, job_id, owner):
                return

    threading.Thread(target=keep_lease, name=f"job-{job_id}-lease", daemon=True).start()
    result: dict[str, Any] = {}
    try:
        yield result
    except LabelwellError as error:
        stop.set()
        _settle(db, job_id, owner, "failed", error=error.message)
        raise
    except BaseException as error:
        stop.set()
        _settle(db, job_id, owner, "failed", error=f"internal error ({type(error).__name__})")
        raise
    stop.set()
    _settle(db, job_id, owner, "done", result=result)


def work(
    db: Database,
    home: Path,
    *,
    once: bool = False,
    poll_s: float = POLL_S,
    stop: threading.Event | None = None,
    owner: str | None = None,
) -> int:
    """The worker loop: claim and run jobs until ``stop`` is set (``once``:
    until no job is queued). Returns how many jobs it ran."""
    owner = owner or f"worker-{uuid.uuid4().hex[:16]}"
    stop = stop or threading.Event()
    ran = 0
    from labelwell.work import storage_targets, webhooks

    while not stop.is_set():
        job = claim(db, owner)
        if job is None:
            if webhooks.deliver_due(db, home, owner=owner):
                continue  # webhook deliveries fell due: sent between jobs
            if storage_targets.write_completed(db):
                continue  # completed items' labels written to target storage
            if once:
                break
            stop.wait(poll_s)
            continue
        state = run_claimed(db, job, owner, home)
        log.info("job %s (%s): %s", job.id, job.kind, state)
        ran += 1
    return ran


def counts(session: Session) -> dict[str, int]:
    """Jobs per state, for ``labelwell worker --status`` and health checks."""
    rows = session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    return {state: int(n) for state, n in rows}
