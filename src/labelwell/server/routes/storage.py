"""Storage connections of a project (:mod:`labelwell.work.storage`): managers
add them, sync a prefix into items, export to them and import from them."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from labelwell.server.deps import Ctx
from labelwell.server.schemas import ImportPublic, Page, PathId, page_of
from labelwell.server.schemas_storage import (
    StorageCreate,
    StorageExport,
    StorageExportPublic,
    StorageImport,
    StoragePublic,
    SyncPublic,
)
from labelwell.work import storage, storage_sync

router = APIRouter(tags=["storage"])

BASE = "/projects/{project_id}/storage"


@router.get(BASE, response_model=Page[StoragePublic])
def list_storage(project_id: PathId, ctx: Ctx) -> Page[StoragePublic]:
    """The project's storage connections (credentials: only which keys are set)."""
    with ctx.db.read_session() as s:
        return page_of(storage.list_connections(s, ctx.actor, project_id), StoragePublic.of)


@router.post(BASE, response_model=StoragePublic, status_code=status.HTTP_201_CREATED)
def create_storage(project_id: PathId, body: StorageCreate, ctx: Ctx) -> StoragePublic:
    """Connect the project to a bucket or folder prefix. ``file://`` and
    ``https://`` prefixes and a custom ``options.endpoint_url`` need an admin."""
    with ctx.db.session() as s:
        conn = storage.create_connection(
            s,
            ctx.actor,
            project_id,
            name=body.name,
            url=body.url,
            options=body.options,
            credentials=body.credentials,
        )
        return StoragePublic.of(conn)


@router.delete(BASE + "/{storage_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_storage(project_id: PathId, storage_id: PathId, ctx: Ctx) -> Response:
    """Remove a connection (its items stay; their media under it stop being served)."""
    with ctx.db.session() as s:
        storage.delete_connection(s, ctx.actor, project_id, storage_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(BASE + "/{storage_id}/sync", response_model=SyncPublic)
def sync_storage(project_id: PathId, storage_id: PathId, ctx: Ctx) -> SyncPublic:
    """Make an item of each object under the prefix that no earlier sync took."""
    report = storage_sync.sync(ctx.db, ctx.actor, project_id, storage_id)
    return SyncPublic(
        connection=report.connection,
        listed=report.listed,
        added_objects=report.added_objects,
        added_items=report.added_items,
        import_id=report.import_id,
    )


@router.post("/projects/{project_id}/storage-export", response_model=StorageExportPublic)
def export_to_storage(project_id: PathId, body: StorageExport, ctx: Ctx) -> StorageExportPublic:
    """Write the project's export to a URL under one of its connections (a URL
    ending in ``/`` gets a file named after the project and the time)."""
    report = storage.export_project(
        ctx.db, ctx.actor, project_id, body.url, fmt=body.format, flt=body.filter()
    )
    return StorageExportPublic(url=report.url, items=report.items, bytes=report.bytes)


@router.post(
    "/projects/{project_id}/storage-import",
    response_model=ImportPublic,
    status_code=status.HTTP_201_CREATED,
)
def import_from_storage(project_id: PathId, body: StorageImport, ctx: Ctx) -> ImportPublic:
    """Import a file stored under one of the project's connections, as an upload."""
    warnings: list[str] = []
    record = storage.import_url(
        ctx.db, ctx.actor, project_id, body.url, fmt=body.format, warn=warnings.append
    )
    return ImportPublic.model_validate(record).model_copy(update={"warnings": warnings})
