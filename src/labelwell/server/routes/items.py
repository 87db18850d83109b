"""Items: create, import a file, list, read; predictions and gold answers."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, File, Query, UploadFile, status

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ImportRow
from labelwell.server.deps import Ctx
from labelwell.server.pagination import decode_cursor
from labelwell.server.schemas import (
    Count,
    GoldPublic,
    GoldSet,
    ImportPublic,
    ItemForAnnotator,
    ItemPublic,
    ItemsCreate,
    Page,
    PathId,
    PredictionPublic,
    PredictionsCreate,
    page_of,
)
from labelwell.server.views import item_page, item_view
from labelwell.store.tables import GoldAnswer, Import
from labelwell.work import imports, items, label_files, labels
from labelwell.work.policies import audience, check_item_filter

router = APIRouter(tags=["items"])
ITEM_STATUSES = ("open", "full", "done")


@router.post(
    "/projects/{project_id}/items", response_model=ImportPublic, status_code=status.HTTP_201_CREATED
)
def create_items(project_id: PathId, body: ItemsCreate, ctx: Ctx) -> Import:
    """Add items given inline (up to 10,000 per request); atomic like a file import."""
    rows = (
        ImportRow(
            line=i + 1,
            data=it.data,
            external_id=it.external_id,
            media=it.media,
            predictions=it.predictions,
            gold=it.gold,
        )
        for i, it in enumerate(body.items)
    )
    return imports.import_rows(ctx.db, ctx.actor, project_id, rows, filename="items", fmt="api")


def _saved(file: UploadFile, folder: Path, limit: int) -> Path:
    """The upload written to ``folder`` under its own name; refused past ``limit`` bytes."""
    path = folder / Path(file.filename or "upload").name
    size = 0
    with open(path, "wb") as out:
        while chunk := file.file.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise InvalidInput(
                    f"file: larger than the upload limit of {limit} bytes", field="file"
                )
            out.write(chunk)
    return path


@router.post(
    "/projects/{project_id}/import",
    response_model=ImportPublic,
    status_code=status.HTTP_201_CREATED,
)
def import_file(
    project_id: PathId,
    ctx: Ctx,
    file: UploadFile = File(...),
    format: str | None = Query(
        None, description="jsonl, json, csv or parquet; by default from the file name"
    ),
    annotators: str = Query(
        "keep",
        description="annotator emails with no user here: keep (the label's annotator only), "
        "create (inactive placeholder users; admins only) or refuse (list them, store nothing)",
    ),
) -> ImportPublic:
    """Upload a file of items. A bad row refuses the whole file, naming its line;
    what the importer skipped is in ``warnings``."""
    with tempfile.TemporaryDirectory(prefix="labelwell-import-") as tmp:
        path = _saved(file, Path(tmp), ctx.settings.max_upload_bytes)
        # chunk by chunk, each in a short transaction: annotators keep working
        warnings: list[str] = []
        record = imports.import_file(
            ctx.db,
            ctx.actor,
            project_id,
            path,
            fmt=format,
            annotators=annotators,
            warn=warnings.append,
        )
    return ImportPublic.model_validate(record).model_copy(update={"warnings": warnings})


@router.post(
    "/projects/{project_id}/import-predictions",
    response_model=Count,
    status_code=status.HTTP_201_CREATED,
)
def import_predictions(
    project_id: PathId,
    ctx: Ctx,
    model: str = Query(..., min_length=1, description="the model the predictions are stored as"),
    file: UploadFile = File(...),
    format: str | None = Query(
        None, description="mot, rttm, webvtt, srt, kitti...; by default from the file name"
    ),
) -> Count:
    """Attach a label file's labels to the items it names (by external id, else id)
    as predictions of ``model``; a file naming an unknown item, or a bad line,
    stores nothing."""
    with tempfile.TemporaryDirectory(prefix="labelwell-import-") as tmp:
        path = _saved(file, Path(tmp), ctx.settings.max_upload_bytes)
        with ctx.db.session() as s:
            n = label_files.attach_file(s, ctx.actor, project_id, path, fmt=format,
                                        model_name=model)  # fmt: skip
    return Count(count=n)


@router.get(
    "/projects/{project_id}/items",
    response_model=Page[ItemPublic] | Page[ItemForAnnotator],
)
def list_items(
    project_id: PathId,
    ctx: Ctx,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    status: str | None = Query(
        None, pattern="^(open|full|done)$", description="managers only (it would tell gold)"
    ),
) -> Page[ItemPublic] | Page[ItemForAnnotator]:
    """Items of a project: managers get the full record; annotators (their own
    items) and reviewers get :class:`ItemForAnnotator`."""
    with ctx.db.read_session() as s:
        seen = audience(s, ctx.actor, project_id)
        check_item_filter(seen, status)
        rows = items.list_items(
            s, ctx.actor, project_id, after=decode_cursor(cursor), limit=limit, status=status
        )
        return item_page(rows, seen, limit)


@router.get("/items/{item_id}", response_model=ItemPublic | ItemForAnnotator)
def get_item(item_id: PathId, ctx: Ctx) -> ItemPublic | ItemForAnnotator:
    with ctx.db.read_session() as s:
        item = items.get_item(s, ctx.actor, item_id)
        return item_view(item, audience(s, ctx.actor, item.project_id))


@router.post(
    "/projects/{project_id}/predictions", response_model=Count, status_code=status.HTTP_201_CREATED
)
def add_predictions(project_id: PathId, body: PredictionsCreate, ctx: Ctx) -> Count:
    with ctx.db.session() as s:
        n = labels.add_predictions(
            s, ctx.actor, project_id, [p.model_dump() for p in body.predictions]
        )
    return Count(count=n)


@router.get("/items/{item_id}/predictions", response_model=Page[PredictionPublic])
def list_predictions(item_id: PathId, ctx: Ctx) -> Page[PredictionPublic]:
    with ctx.db.read_session() as s:
        return page_of(
            labels.list_predictions(s, ctx.actor, item_id), PredictionPublic.model_validate
        )


@router.put("/items/{item_id}/gold", response_model=GoldPublic)
def set_gold(item_id: PathId, body: GoldSet, ctx: Ctx) -> GoldAnswer:
    with ctx.db.session() as s:
        return labels.set_gold(s, ctx.actor, item_id, body.result)


@router.get("/items/{item_id}/gold", response_model=GoldPublic)
def get_gold(item_id: PathId, ctx: Ctx) -> GoldAnswer:
    with ctx.db.read_session() as s:
        return labels.get_gold(s, ctx.actor, item_id)
