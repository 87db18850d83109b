"""Labels from files onto items already in a project: a diarizer's RTTM, a
tracker's MOTChallenge output, subtitles, KITTI boxes. Such files name items but
hold no media, so instead of creating items (``items.import_file``), each of
their rows is matched to an item by the key the exporters write (the item's
external id, else its id) and its labels are stored as predictions of one model.

Atomic like an item import: every row is matched and validated against its
item's data before anything is stored, in the caller's transaction, and a bad
row names its file line and field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ImportRow
from labelwell.store.tables import Item
from labelwell.work import labels
from labelwell.work.items import WarnFn, importer_for, read_with
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of
from labelwell.work.published import published

#: keys looked up per query (SQLite allows 32,766 bound values at most)
KEYS_PER_QUERY = 1_000


def _items_by_key(session: Session, project_id: int, keys: set[str]) -> dict[str, Item]:
    """``{key: item}`` for the keys that name an item: by external id first, else
    by id."""
    ordered = sorted(keys)
    found: list[Item] = []
    for at in range(0, len(ordered), KEYS_PER_QUERY):
        chunk = ordered[at : at + KEYS_PER_QUERY]
        ids = {int(k) for k in chunk if k.isdigit() and len(k) < 19}
        found += session.scalars(
            select(Item).where(
                Item.project_id == project_id,
                published(),
                or_(Item.external_id.in_(chunk), Item.id.in_(ids)),
            )
        ).all()
    by_external = {i.external_id: i for i in found if i.external_id is not None}
    by_id = {str(i.id): i for i in found}
    return {k: by_external.get(k) or by_id[k] for k in keys if k in by_external or k in by_id}


def _results(row: ImportRow) -> list[tuple[dict[str, Any], str | None, float | None]]:
    """``(result, annotator, score)`` for every label on a row."""
    out: list[tuple[dict[str, Any], str | None, float | None]] = [
        (a["result"], a.get("annotator"), None) for a in row.annotations
    ]
    out += [(p["result"], p.get("model_name"), p.get("score")) for p in row.predictions]
    if row.gold is not None:
        out.append((row.gold, None, None))
    return out


def attach_rows(
    session: Session,
    actor: Any,
    project_id: int,
    rows: list[ImportRow],
    *,
    model_name: str,
    model_version: str = "",
    filename: str = "input",
) -> int:
    """Store the labels of ``rows`` as predictions on the items their keys name;
    return how many were stored. A label set made by a named annotator or model
    in the file becomes model ``<model_name>/<annotator>``."""
    project = authorize(session, actor, project_id, Permission.manage)
    if not model_name.strip():
        raise InvalidInput("model_name: required (the predictions' model)", field="model_name")
    ontology = ontology_of(project)
    keys = {row.external_id for row in rows if row.external_id is not None}
    items = _items_by_key(session, project_id, keys)
    predictions = []
    for row in rows:
        where = f"{filename} line {row.line}"
        item = items.get(row.external_id or "")
        if item is None:
            raise InvalidInput(
                f"{where}: no item in this project has the external id or id {row.external_id!r}",
                line=row.line,
                field="external_id",
            )
        for result, annotator, score in _results(row):
            try:
                ontology.validate(result, item.data)
            except InvalidInput as exc:
                field = f"result.{exc.field}" if exc.field else "result"
                raise InvalidInput(f"{where}: {exc.message}", line=row.line, field=field) from None
            name = f"{model_name}/{annotator}" if annotator else model_name
            predictions.append(
                {
                    "item_id": item.id,
                    "result": result,
                    "score": score,
                    "model_name": name,
                    "model_version": model_version,
                }  # fmt: skip
            )
    return labels.add_predictions(session, actor, project_id, predictions)


def attach_file(
    session: Session,
    actor: Any,
    project_id: int,
    path: Path,
    *,
    model_name: str,
    fmt: str | None = None,
    model_version: str = "",
    warn: WarnFn | None = None,
) -> int:
    """Read ``path`` with the importer for ``fmt`` and :func:`attach_rows` it;
    what the importer skipped goes to ``warn``."""
    project = authorize(session, actor, project_id, Permission.manage)
    importer = importer_for(path, fmt, ontology_of(project), onto_items=True)
    return read_with(
        importer,
        path,
        lambda rows: attach_rows(
            session,
            actor,
            project_id,
            list(rows),
            model_name=model_name,
            model_version=model_version,
            filename=path.name,
        ),
        warn,
    )
