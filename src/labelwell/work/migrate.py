"""Migrating a whole Label Studio project: its labeling config becomes the
ontology (:mod:`labelwell.formats.label_studio_config`, what cannot be converted
is listed), its tasks the items with their predictions (model versions),
annotations (annotators, lead times) and ground truth.

Idempotent: an item is a Label Studio task by its id (``external_id``), an
annotation by its id (``details.external_id``), a prediction by its model and
result. Running it again adds only the tasks, annotations and predictions that
are new, through the same import as any file (:mod:`labelwell.work.imports`)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from labelwell.errors import Conflict, InvalidInput, NotFound
from labelwell.formats.label_studio import LabelStudioImporter
from labelwell.formats.label_studio_config import ontology_from_config
from labelwell.formats.label_studio_prefs import RLHF_FIELDS
from labelwell.formats.registry import ImportRow
from labelwell.schema import Ontology
from labelwell.store.db import Database
from labelwell.store.tables import Annotation, GoldAnswer, Item, Prediction, utcnow
from labelwell.work import imports, projects
from labelwell.work.actors import Actor
from labelwell.work.items import Annotators, ProgressFn, _check_row
from labelwell.work.policies import Permission, authorize
from labelwell.work.queue import slots


@dataclass
class Migration:
    project_id: int
    project: str
    created: bool
    #: tasks that became items in this run
    items: int = 0
    #: annotations and predictions added to items migrated before
    annotations: int = 0
    predictions: int = 0
    #: tasks migrated before with nothing new
    unchanged: int = 0
    #: config tags that have no labelwell control, each with its reason
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _project(db: Database, actor: Actor, into: str, ontology: dict[str, Any]) -> tuple[int, bool]:
    """The project ``into``, created with ``ontology`` when there is none; an
    existing one must have the same controls."""
    wanted = Ontology.from_dict(ontology)
    with db.session() as s:
        try:
            found = projects.get_project_by_name_or_id(s, into)
        except NotFound:
            return projects.create_project(s, actor, into, wanted).id, True
        project = authorize(s, actor, found.id, Permission.manage)
        have = projects.ontology_of(project)
        if have.to_dict()["controls"] != wanted.to_dict()["controls"]:
            raise Conflict(
                f"project {project.name!r} exists with other controls than the Label Studio "
                "config's; migrate into a new project (--into)"
            )
        return project.id, False


def from_export(
    db: Database,
    actor: Actor,
    label_config: str,
    export: Path,
    *,
    into: str,
    annotators: str = "keep",
    progress: ProgressFn | None = None,
) -> Migration:
    """Migrate a Label Studio JSON export (``export``) of a project whose
    labeling config is ``label_config`` into the project ``into``."""
    conv = ontology_from_config(label_config, into)
    project_id, created = _project(db, actor, into, conv.ontology)
    out = Migration(project_id, into, created, skipped=list(conv.skipped))
    importer = LabelStudioImporter(
        Ontology.from_dict(conv.ontology),
        pairwise_fields=conv.pairwise_fields or RLHF_FIELDS,
        ranker_buckets=conv.ranker_buckets,
        ground_truth="both",
    )
    rows = list(importer.read(export))
    out.warnings.extend(importer.warnings)
    with db.read_session() as s:
        known = _known_items(s, project_id, [r.external_id for r in rows if r.external_id])
    new = [r for r in rows if r.external_id not in known]
    if new:
        record = imports.import_rows(
            db,
            actor,
            project_id,
            new,
            filename=export.name,
            fmt="label_studio",
            progress=progress,
            annotators=annotators,
        )
        out.items = record.n_items
    again = [r for r in rows if r.external_id in known]
    if again:
        _add_new_labels(db, actor, project_id, again, known, annotators, export.name, out)
    return out


def _known_items(s: Any, project_id: int, external_ids: list[str]) -> dict[str, int]:
    known: dict[str, int] = {}
    for i in range(0, len(external_ids), 1000):
        chunk = external_ids[i : i + 1000]
        known.update(
            s.execute(
                select(Item.external_id, Item.id).where(
                    Item.project_id == project_id, Item.external_id.in_(chunk)
                )
            ).all()
        )
    return known


def _add_new_labels(
    db: Database,
    actor: Actor,
    project_id: int,
    rows: list[ImportRow],
    known: dict[str, int],
    annotators: str,
    filename: str,
    out: Migration,
) -> None:
    """Annotations, predictions and gold of tasks migrated before that are not
    stored yet, in one transaction."""
    with db.session() as s:
        project = authorize(s, actor, project_id, Permission.manage)
        ontology = projects.ontology_of(project)
        ids = [known[str(r.external_id)] for r in rows]
        seen_anns: dict[int, set[str]] = {}
        for item_id, details in s.execute(
            select(Annotation.item_id, Annotation.details).where(Annotation.item_id.in_(ids))
        ):
            ext = (details or {}).get("external_id")
            if ext is not None:
                seen_anns.setdefault(item_id, set()).add(str(ext))
        seen_preds: dict[int, list[tuple[str, Any]]] = {}
        for item_id, name, result in s.execute(
            select(Prediction.item_id, Prediction.model_name, Prediction.result).where(
                Prediction.item_id.in_(ids)
            )
        ):
            seen_preds.setdefault(item_id, []).append((name, result))
        with_gold = set(s.scalars(select(GoldAnswer.item_id).where(GoldAnswer.item_id.in_(ids))))
        people = Annotators(s, actor, annotators, project_id=project_id)
        fresh: list[tuple[int, ImportRow]] = []
        for row in rows:
            item_id = known[str(row.external_id)]
            row.annotations = [
                a
                for a in row.annotations
                if str(a.get("external_id")) not in seen_anns.get(item_id, set())
            ]
            row.predictions = [
                p
                for p in row.predictions
                if (str(p.get("model_name") or "imported"), p["result"])
                not in seen_preds.get(item_id, [])
            ]
            if item_id in with_gold:
                row.gold = None
            if row.annotations or row.predictions or row.gold is not None:
                _check_row(row, ontology, f"{filename} line {row.line}")
                fresh.append((item_id, row))
            else:
                out.unchanged += 1
        people.resolve([row for _, row in fresh])
        people.check(filename)
        now = utcnow()
        for item_id, row in fresh:
            item = s.get(Item, item_id)
            assert item is not None
            for a in row.annotations:
                user_id, agent = people.of(a.get("annotator"))
                details = {"migrated": filename, "created_at": a.get("created_at")}
                if a.get("external_id") is not None:
                    details["external_id"] = str(a["external_id"])
                s.add(
                    Annotation(
                        item_id=item_id,
                        project_id=project_id,
                        user_id=user_id,
                        source=a.get("source", "human"),
                        agent=str(agent or f"import:{filename}"),
                        result=a["result"],
                        time_spent_ms=a.get("time_spent_ms"),
                        details=details,
                        created_at=now,
                    )
                )
                if a.get("source", "human") == "human" and item.n_done < project.overlap:
                    item.n_done += 1
                    item.n_active += 1
                out.annotations += 1
            item.status = slots.initial_status(item.n_done, project.overlap)
            for p in row.predictions:
                s.add(
                    Prediction(
                        item_id=item_id,
                        project_id=project_id,
                        model_name=str(p.get("model_name") or "imported"),
                        result=p["result"],
                        score=p.get("score"),
                        created_at=now,
                    )
                )
                out.predictions += 1
            if row.gold is not None:
                item.is_gold = True
                s.add(
                    GoldAnswer(
                        item_id=item_id,
                        project_id=project_id,
                        result=row.gold,
                        created_by=actor.id,
                        created_at=now,
                    )
                )


def from_label_studio(
    db: Database,
    actor: Actor,
    url: str,
    token: str,
    ls_project: int,
    *,
    into: str | None = None,
    annotators: str = "keep",
    progress: ProgressFn | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Migration:
    """Migrate project ``ls_project`` of the Label Studio server at ``url`` (its
    API, with a legacy API token): the config from ``/api/projects/{id}``, the
    tasks from its JSON export, annotators' emails from ``/api/users``. The
    project ``into`` defaults to the Label Studio project's title."""
    headers = {"Authorization": f"Token {token}"}
    base = url.rstrip("/")
    with httpx.Client(base_url=base, headers=headers, timeout=300, transport=transport) as http:
        meta = _get(http, f"/api/projects/{ls_project}", base)
        tasks = _get(
            http,
            f"/api/projects/{ls_project}/export",
            base,
            params={"exportType": "JSON", "download_all_tasks": "true"},
        )
        try:
            users = _get(http, "/api/users", base)
        except InvalidInput:
            users = []  # annotators stay label-studio:<id>
    if not isinstance(meta, dict) or not isinstance(meta.get("label_config"), str):
        raise InvalidInput(f"{base}: project {ls_project} has no label_config", field="project")
    if not isinstance(tasks, list):
        raise InvalidInput(f"{base}: the export of project {ls_project} is not a list of tasks")
    emails = {
        u["id"]: u["email"]
        for u in (users if isinstance(users, list) else [])
        if isinstance(u, dict) and isinstance(u.get("email"), str) and u["email"]
    }
    for task in tasks:
        for ann in (task.get("annotations") or []) if isinstance(task, dict) else []:
            by = ann.get("completed_by") if isinstance(ann, dict) else None
            if isinstance(by, int) and by in emails:
                ann["completed_by"] = {"id": by, "email": emails[by]}
    name = into or str(meta.get("title") or f"label-studio-{ls_project}")
    with tempfile.TemporaryDirectory(prefix="labelwell-migrate-") as tmp:
        path = Path(tmp) / f"label-studio-project-{ls_project}.json"
        path.write_bytes(orjson.dumps(tasks))
        return from_export(
            db,
            actor,
            meta["label_config"],
            path,
            into=name,
            annotators=annotators,
            progress=progress,
        )


def _get(http: httpx.Client, path: str, base: str, params: dict[str, str] | None = None) -> Any:
    """GET a JSON answer; failures name the address and the status, never the token."""
    try:
        r = http.get(path, params=params)
    except httpx.HTTPError as exc:
        raise InvalidInput(
            f"{base}{path}: Label Studio did not answer ({exc})", field="url"
        ) from None
    if r.status_code in (401, 403):
        raise InvalidInput(f"{base}{path}: the token was refused ({r.status_code})", field="token")
    if r.status_code == 404:
        raise InvalidInput(f"{base}{path}: not found (404)", field="project")
    if r.status_code != 200:
        raise InvalidInput(f"{base}{path}: Label Studio answered {r.status_code}", field="url")
    try:
        return r.json()
    except ValueError:
        raise InvalidInput(f"{base}{path}: the answer is not JSON", field="url") from None
