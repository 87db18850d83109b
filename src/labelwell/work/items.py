"""Importing items (with their predictions, existing labels and gold answers).

An import is atomic: rows are validated and written in batches inside the
caller's single transaction, so a bad row anywhere refuses the whole file and
stores nothing. Ids are allocated up front so that labels can point at their
items without a round trip per row.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from labelwell.errors import Forbidden, InvalidInput, NotFound
from labelwell.formats.registry import IMPORTERS, ImportRow
from labelwell.schema import Ontology
from labelwell.store import derived
from labelwell.store.tables import (
    SOURCES,
    Annotation,
    Assignment,
    GoldAnswer,
    Import,
    Item,
    Member,
    Prediction,
    Project,
    User,
    utcnow,
)
from labelwell.work import accounts, audit, item_data
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize, project_role
from labelwell.work.projects import ontology_of
from labelwell.work.published import published
from labelwell.work.queue import slots

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ProgressFn = Callable[[int], None]
WarnFn = Callable[[str], None]
#: What an import does with an annotator email that no user has: ``keep`` it
#: as the annotation's agent only, ``create`` an inactive placeholder user (an
#: admin may), or ``refuse`` the file, listing every such email.
ANNOTATOR_MODES = ("keep", "create", "refuse")
Stored = TypeVar("Stored")


class Annotators:
    """Maps imported annotators to users by email, so agreement, aggregation and
    gold accuracy see the same person whether they labelled here or elsewhere.
    Annotators that are not emails (tools, ``label-studio:7``) stay agents only.

    Only members of ``project_id`` are linked (an admin's import may link any
    user), so an import never puts labels on the record of someone outside the
    project; other users' emails count as unknown ones under ``mode``."""

    def __init__(
        self, session: Session, actor: Actor, mode: str = "keep", *, project_id: int
    ) -> None:
        if mode not in ANNOTATOR_MODES:
            raise InvalidInput(
                f"annotators must be one of {', '.join(ANNOTATOR_MODES)}", field="annotators"
            )
        if mode == "create" and not actor.is_admin:
            raise Forbidden("only an admin can create placeholder users for annotators")
        self.session, self.actor, self.mode = session, actor, mode
        self.project_id = project_id
        self.known: dict[str, int | None] = {}
        self.missing: dict[str, int] = {}  # email -> first line

    def resolve(self, rows: list[ImportRow]) -> None:
        """Look up (or create) the users of a batch's annotator emails."""
        emails = {
            a["annotator"].strip().lower(): row.line
            for row in rows
            for a in row.annotations
            if isinstance(a.get("annotator"), str) and _EMAIL.match(a["annotator"].strip())
        }
        new = [e for e in emails if e not in self.known]
        if not new:
            return
        query = select(User.email, User.id).where(User.email.in_(new))
        if not self.actor.is_admin:
            query = query.join(Member, Member.user_id == User.id).where(
                Member.project_id == self.project_id
            )
        found = dict(self.session.execute(query).all())
        for email in new:
            uid = found.get(email)
            if uid is None and self.mode == "create":
                user = accounts.create_user(self.session, email, actor=self.actor)
                user.is_active = False
                uid = user.id
            if uid is None:
                self.missing.setdefault(email, emails[email])
            self.known[email] = uid

    def of(self, annotator: Any) -> tuple[int | None, str | None]:
        """``(user_id, agent)`` for an imported annotation's annotator."""
        if not isinstance(annotator, str) or not annotator.strip():
            return None, None
        email = annotator.strip().lower()
        if email in self.known:
            return self.known[email], email
        return None, annotator

    def check(self, filename: str) -> None:
        if self.mode == "refuse" and self.missing:
            listed = ", ".join(sorted(self.missing))
            raise InvalidInput(
                f"{filename or 'input'}: {len(self.missing)} annotators have no user here: "
                f"{listed} (create them, or import with annotators=create or keep)",
                line=min(self.missing.values()),
                field="annotator",
            )


#: file extensions that are not the name of the format they hold
EXTENSION_FORMATS = {"jsonlines": "jsonl", "ndjson": "jsonl", "vtt": "webvtt"}


def importer_for(
    path: Path,
    fmt: str | None = None,
    ontology: Ontology | None = None,
    *,
    onto_items: bool = False,
) -> Any:
    """The registered importer for ``fmt`` (by default the file's extension); formats
    that map foreign labels onto the ontology receive it. Formats whose files hold
    no media (``onto_items_only``) are refused unless the labels go ``onto_items``
    already in the project (:mod:`labelwell.work.label_files`)."""
    name = fmt or ("folder" if path.is_dir() else path.suffix.lstrip(".").lower())
    name = EXTENSION_FORMATS.get(name, name)
    if name not in IMPORTERS:
        raise InvalidInput(
            f"{path.name}: unknown import format {name!r}; known: {', '.join(sorted(IMPORTERS))}",
            field="format",
        )
    importer = IMPORTERS[name]()
    if getattr(importer, "onto_items_only", False) and not onto_items:
        raise InvalidInput(
            f"{path.name}: {name} files name items but hold no media, so they cannot create "
            "items; attach their labels to the project's items as a model's predictions "
            "(labelwell import --predictions-of MODEL; POST /projects/{id}/import-predictions)",
            field="format",
        )
    if ontology is not None and hasattr(importer, "ontology"):
        importer.ontology = ontology
    return importer


def _allocate_ids(session: Session, table: str, n: int) -> Iterator[int]:
    if n == 0:
        return iter(())
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        ids = session.scalars(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": n},
        ).all()
        return iter(ids)
    # SQLite: the transaction holds the write lock (BEGIN IMMEDIATE), so max+1.. is ours.
    start = (session.scalar(text(f"SELECT max(id) FROM {table}")) or 0) + 1
    return iter(range(start, start + n))


def checked_batches(
    rows: Iterable[ImportRow], ontology: Ontology, filename: str, size: int
) -> Iterator[list[ImportRow]]:
    """``rows`` in batches of ``size``, each row validated (:func:`_check_row`)
    as the batch fills. An external_id repeated within a batch is refused here;
    across batches (and against items stored before) by the query that stores
    the batch, which sees the rows stored so far."""
    seen_external: set[str] = set()
    batch: list[ImportRow] = []
    for row in rows:
        where = f"{filename or 'input'} line {row.line}"
        _check_row(row, ontology, where)
        if row.external_id is not None:
            if row.external_id in seen_external:
                raise InvalidInput(
                    f"{where}: external_id {row.external_id!r} appears twice",
                    line=row.line,
                    field="external_id",
                )
            seen_external.add(row.external_id)
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
            seen_external.clear()
    if batch:
        yield batch


def _check_row(row: ImportRow, ontology: Ontology, where: str) -> None:
    def located(exc: InvalidInput, prefix: str) -> InvalidInput:
        field = f"{prefix}.{exc.field}" if exc.field else prefix
        return InvalidInput(f"{where}: {prefix}: {exc.message}", line=row.line, field=field)

    item_data.check_row(row, where)
    try:
        ontology.validate_data(row.data)
    except InvalidInput as exc:
        raise located(exc, "data") from None
    for index, prediction in enumerate(row.predictions):
        try:
            ontology.validate(prediction["result"], row.data)
        except InvalidInput as exc:
            raise located(exc, f"predictions[{index}].result") from None
        score = prediction.get("score")
        if score is not None and not isinstance(score, int | float):
            raise InvalidInput(
                f"{where}: predictions[{index}].score must be a number",
                line=row.line,
                field=f"predictions[{index}].score",
            )
    for index, annotation in enumerate(row.annotations):
        try:
            ontology.validate(annotation["result"], row.data)
        except InvalidInput as exc:
            raise located(exc, f"annotations[{index}].result") from None
        source = annotation.get("source", "human")
        if source not in SOURCES:
            raise InvalidInput(
                f"{where}: annotations[{index}].source must be one of {', '.join(SOURCES)}",
                line=row.line,
                field=f"annotations[{index}].source",
            )
    if row.gold is not None:
        try:
            ontology.validate(row.gold, row.data)
        except InvalidInput as exc:
            raise located(exc, "gold") from None


def import_rows(
    session: Session,
    actor: Actor,
    project_id: int,
    rows: Iterable[ImportRow],
    *,
    filename: str = "",
    fmt: str = "",
    batch_size: int = 5_000,
    progress: ProgressFn | None = None,
    annotators: str = "keep",
) -> Import:
    """Validate and store ``rows``; raise InvalidInput (with line and field) on the
    first bad one. The caller commits, or rolls back on error. Annotator emails
    map to users as ``annotators`` says (:data:`ANNOTATOR_MODES`)."""
    project = authorize(session, actor, project_id, Permission.manage)
    people = Annotators(session, actor, annotators, project_id=project_id)
    ontology = ontology_of(project)
    record = Import(project_id=project_id, filename=filename[:500], format=fmt, created_by=actor.id)
    session.add(record)
    session.flush()
    total = 0
    for batch in checked_batches(rows, ontology, filename, batch_size):
        people.resolve(batch)
        total += _write_batch(session, project, record, batch, actor, people)
        if progress:
            progress(total)
    people.check(filename)
    record.n_items = total
    audit.record(
        session,
        actor,
        "items.import",
        project_id=project_id,
        target_type="import",
        target_id=record.id,
        details={"filename": filename, "items": total},
    )
    return record


def _write_batch(
    session: Session,
    project: Project,
    record: Import,
    batch: list[ImportRow],
    actor: Actor,
    people: Annotators,
) -> int:
    now = utcnow()
    externals = [r.external_id for r in batch if r.external_id is not None]
    if externals:
        clash = session.scalar(
            select(Item.external_id)
            .where(Item.project_id == project.id, Item.external_id.in_(externals))
            .limit(1)
        )
        if clash is not None:
            row = next(r for r in batch if r.external_id == clash)
            raise InvalidInput(
                f"{record.filename or 'input'} line {row.line}: an item with external_id "
                f"{clash!r} already exists in project {project.name!r} (stored before, or earlier "
                "in this file)",
                line=row.line,
                field="external_id",
            )
    ids = _allocate_ids(session, "items", len(batch))
    rng = random.Random() if project.ordering == "random" else None
    sqlite = _is_sqlite(session)
    created = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
    project_id, overlap, import_id = project.id, project.overlap, record.id
    # an import still being written keeps its items out of the queue's index range
    staged = record.state == "writing"
    items: list[tuple[Any, ...]] = []
    predictions: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    golds: list[dict[str, Any]] = []
    for row in batch:
        item_id = next(ids)
        done = 0
        if row.annotations:
            humans = sum(1 for a in row.annotations if a.get("source", "human") == "human")
            done = min(humans, overlap)
        is_gold = row.gold is not None
        items.append(
            (
                item_id,
                project_id,
                row.external_id,
                _dumps(row.data),
                _dumps(row.media),
                slots.initial_status(done, overlap, staged=staged),
                rng.random() if rng else 0.0,
                int(is_gold) if sqlite else is_gold,
                done,
                done,
                import_id,
                created,
            )
        )
        for p in row.predictions:
            predictions.append(
                {
                    "item_id": item_id,
                    "project_id": project.id,
                    "source": p.get("source", "model"),
                    "model_name": str(p.get("model_name") or p.get("model") or "imported"),
                    "model_version": str(p.get("model_version") or ""),
                    "result": p["result"],
                    "score": p.get("score"),
                    "created_at": now,
                }
            )
        for a in row.annotations:
            user_id, agent = people.of(a.get("annotator"))
            annotations.append(
                {
                    "item_id": item_id,
                    "project_id": project.id,
                    "user_id": user_id,
                    "source": a.get("source", "human"),
                    "agent": str(agent or f"import:{record.filename}"),
                    "result": a["result"],
                    "time_spent_ms": a.get("time_spent_ms"),
                    "status": "submitted",
                    "revision": 1,
                    "is_current": True,
                    "is_gold_check": False,
                    "details": _annotation_details(record.id, a),
                    "created_at": now,
                }
            )
        if row.gold is not None:
            golds.append(
                {
                    "item_id": item_id,
                    "project_id": project.id,
                    "result": row.gold,
                    "created_by": actor.id,
                    "created_at": now,
                }
            )
    _insert_items(session, items, sqlite)
    if predictions:
        session.execute(insert(Prediction), predictions)
    if annotations:
        session.execute(insert(Annotation), annotations)
    if golds:
        session.execute(insert(GoldAnswer), golds)
    if staged and items:  # the insert triggers skip an import being written
        derived.fill_written(session, import_id, items[0][0], items[-1][0])
    return len(batch)


def _annotation_details(import_id: int, annotation: dict[str, Any]) -> dict[str, Any]:
    """Where an imported annotation came from: the import, its time there and
    its id there (``external_id``, which a re-run migration skips)."""
    details = {"import_id": import_id, "created_at": annotation.get("created_at")}
    if annotation.get("external_id") is not None:
        details["external_id"] = str(annotation["external_id"])
    return details


_ITEM_COLUMNS = (
    "id, project_id, external_id, data, media, status, priority, is_gold, "
    "n_active, n_done, import_id, created_at"
)


def _is_sqlite(session: Session) -> bool:
    return session.bind is not None and session.bind.dialect.name == "sqlite"


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _insert_items(session: Session, rows: list[tuple[Any, ...]], sqlite: bool) -> None:
    """The import hot path: one driver-level executemany of pre-serialised rows."""
    marks = ", ".join(["?" if sqlite else "%s"] * 12)
    session.connection().exec_driver_sql(
        f"INSERT INTO items ({_ITEM_COLUMNS}) VALUES ({marks})", rows
    )


def import_file(
    session: Session,
    actor: Actor,
    project_id: int,
    path: Path,
    *,
    fmt: str | None = None,
    batch_size: int = 5_000,
    progress: ProgressFn | None = None,
    annotators: str = "keep",
    warn: WarnFn | None = None,
) -> Import:
    """Import a file; what the importer skipped (its ``warnings``) goes to ``warn``."""
    project = authorize(session, actor, project_id, Permission.manage)
    importer = importer_for(path, fmt, ontology_of(project))
    options = {"batch_size": batch_size, "progress": progress, "annotators": annotators}
    return read_into(importer, path, warn, import_rows, session, actor, project_id, **options)


def read_into(
    importer: Any,
    path: Path,
    warn: WarnFn | None,
    import_rows: Callable[..., Stored],
    *target: Any,
    **options: Any,
) -> Stored:
    """:func:`read_with`, storing the rows by ``import_rows(*target, rows,
    filename=, fmt=, **options)``: the file's name and the importer's format
    are recorded on the import."""
    return read_with(
        importer,
        path,
        lambda rows: import_rows(*target, rows, filename=path.name, fmt=importer.name, **options),
        warn,
    )


def read_with(
    importer: Any, path: Path, store: Callable[[Iterable[ImportRow]], Stored], warn: WarnFn | None
) -> Stored:
    """``store`` the rows ``importer`` reads from ``path``: a file that is not
    UTF-8 is refused by name, and what the importer skipped goes to ``warn``."""
    try:
        record = store(importer.read(path))
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    if warn is not None:
        for message in getattr(importer, "warnings", ()):
            warn(message)
    return record


def count_items(session: Session, project_id: int) -> int:
    return (
        session.scalar(select(func.count()).where(Item.project_id == project_id, published())) or 0
    )


def list_items(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    after: int = 0,
    limit: int = 100,
    status: str | None = None,
) -> list[Item]:
    """Items of a project; annotators see only the items leased to them."""
    authorize(session, actor, project_id, Permission.view)
    query = select(Item).where(Item.project_id == project_id, Item.id > after, published())
    if status is not None:
        query = query.where(Item.status == status)
    if project_role(session, actor, project_id) == "annotator":
        mine = select(Assignment.item_id).where(
            Assignment.user_id == actor.id, Assignment.project_id == project_id
        )
        query = query.where(Item.id.in_(mine))
    return list(session.scalars(query.order_by(Item.id).limit(limit)))


def get_item(session: Session, actor: Actor, item_id: int) -> Item:
    item = session.scalar(select(Item).where(Item.id == item_id, published()))
    if item is None:
        raise NotFound(f"no item {item_id}")
    authorize(session, actor, item.project_id, Permission.view)
    if (
        project_role(session, actor, item.project_id) == "annotator"
        and session.scalar(
            select(Assignment.id).where(
                Assignment.item_id == item_id, Assignment.user_id == actor.id
            )
        )
        is None
    ):
        raise NotFound(f"no item {item_id}")
    return item
