"""Item media, served from under ``$LABELWELL_HOME/media`` or, for a URL
(``s3://bucket/key``, ``https://...``), through the storage connection of the
item's project that holds it (:mod:`labelwell.work.storage`; a URL under none
is a 404, never a fetch).

The URL names an item and the index of one of its media references, never a
path, and the item is loaded through ``items.get_item`` (project membership,
and an annotator only reaches items leased to them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from labelwell.errors import NotFound
from labelwell.server.deps import current_actor
from labelwell.work import items, storage
from labelwell.work.actors import Actor
from labelwell.work.media_files import media_refs, resolve_media

router = APIRouter(include_in_schema=False)


_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private, max-age=3600",
}


@router.get("/media/items/{item_id}/{index}")
def item_media(
    request: Request,
    item_id: Annotated[int, PathParam(ge=1, le=2**63 - 1)],
    index: Annotated[int, PathParam(ge=0, le=1000)],
    actor: Annotated[Actor, Depends(current_actor)],
) -> Response:
    with request.app.state.db.read_session() as s:
        item = items.get_item(s, actor, item_id)
        refs = media_refs(item)
        if index >= len(refs):
            raise NotFound(f"item {item_id} has no media {index}")
        if "://" in refs[index]:
            media = storage.open_media(s, item.project_id, refs[index])
    if "://" not in refs[index]:
        path = resolve_media(request.app.state.settings.home / "media", refs[index])
        return FileResponse(path, headers=_HEADERS)
    if media.redirect is not None:
        return RedirectResponse(
            media.redirect, status_code=307, headers={"Cache-Control": "no-store"}
        )
    assert media.chunks is not None
    headers = dict(_HEADERS)
    if media.size is not None:
        headers["Content-Length"] = str(media.size)
    return StreamingResponse(media.chunks, media_type=media.media_type, headers=headers)
