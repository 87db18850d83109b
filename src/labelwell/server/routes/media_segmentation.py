"""Segmentation help for the mask tool: an image's tiled pyramid, its SLIC
superpixels, GrabCut from a box and the project's interactive model. Members
of the item's project who may see the item (as ``/media/items/{id}/{n}``);
the answers are suggestions, nothing is stored but the pyramid's tiles (a
large image's built by the ``pyramid`` background job)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import Field

from labelwell.server.deps import Ctx
from labelwell.server.schemas import PathId, Public, Strict
from labelwell.work import media_segmentation as service

router = APIRouter(tags=["media"])

MediaIndex = Annotated[int, PathParam(ge=0, le=1000)]
Coord = Annotated[float, Field(ge=0, le=1_000_000)]
Box = tuple[Coord, Coord, Coord, Coord]


class PyramidPublic(Public):
    width: int
    height: int
    tile: int = Field(description="Side of one tile in pixels.")
    levels: int = Field(description="Level 0 is full size, each next one half the last.")


class GrabCutRequest(Strict):
    box: Box = Field(description="[x, y, width, height] in image pixels.")


class SegmentRequest(Strict):
    points: list[tuple[Coord, Coord, Annotated[int, Field(ge=0, le=1)]]] = Field(
        default_factory=list,
        max_length=200,
        description="[x, y, 1] for a positive click, [x, y, 0] for a negative one.",
    )
    box: Box | None = None


class MaskSuggestionPublic(Public):
    rle: dict[str, object] = Field(description="COCO compressed RLE at the image's size.")
    area: int
    source: str = Field(description="grabcut, or the model's name@version.")
    score: float | None = None


def _path(ctx: Ctx, item_id: int, index: int) -> Path:
    with ctx.db.read_session() as s:
        return service.image_file(s, ctx.actor, item_id, index, ctx.settings.home)


class PyramidPendingPublic(Public):
    width: int
    height: int
    job_id: int = Field(description="The `pyramid` job building it.")
    state: str = Field(description="The job's state: queued or running.")
    progress: float = Field(description="How far the build is, 0 to 1.")
    preview: bool = Field(description="Whether a downscaled preview is ready (`.../preview`).")


@router.get(
    "/items/{item_id}/media/{index}/pyramid",
    response_model=PyramidPublic,
    responses={202: {"model": PyramidPendingPublic, "description": "Still being built."}},
)
def pyramid(item_id: PathId, index: MediaIndex, ctx: Ctx) -> PyramidPublic | JSONResponse:
    """The image's tiled pyramid (cached under the home). A large image's is
    built by a background job: until it is done, 202 with its progress."""
    found = service.open_pyramid(ctx.db, ctx.actor, item_id, index, ctx.settings.home)
    if isinstance(found, service.PyramidPending):
        body = PyramidPendingPublic(**vars(found))
        return JSONResponse(body.model_dump(mode="json"), status_code=202)
    return PyramidPublic(**found.info())


@router.get(
    "/items/{item_id}/media/{index}/tiles/{level}/{col}/{row}",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def tile(
    item_id: PathId,
    index: MediaIndex,
    level: Annotated[int, PathParam(ge=0, le=30)],
    col: Annotated[int, PathParam(ge=0, le=100_000)],
    row: Annotated[int, PathParam(ge=0, le=100_000)],
    ctx: Ctx,
) -> FileResponse:
    """One JPEG tile of the pyramid (409 while a large image's is being built)."""
    found = service.tile(ctx.db, ctx.actor, item_id, index, ctx.settings.home, (level, col, row))
    return FileResponse(
        found, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"}
    )


@router.get(
    "/items/{item_id}/media/{index}/preview",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def preview(item_id: PathId, index: MediaIndex, ctx: Ctx) -> FileResponse:
    """A downscaled JPEG of the image (at most 1024 pixels a side), shown
    while a large image's pyramid is being built; 404 until the build has
    made it (a small image: its pyramid's top tile once built)."""
    found = service.preview(ctx.db, ctx.actor, item_id, index, ctx.settings.home)
    return FileResponse(found, media_type="image/jpeg", headers={"Cache-Control": "no-cache"})


@router.get(
    "/items/{item_id}/media/{index}/superpixels",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def superpixels(
    item_id: PathId,
    index: MediaIndex,
    ctx: Ctx,
    n: Annotated[int, Query(ge=2, le=5000, description="About this many regions.")] = 400,
) -> Response:
    """SLIC superpixels as a PNG at most 1024 pixels on its longer side, whose
    colour is the region id (``R + 256 G``)."""
    png = service.superpixels(_path(ctx, item_id, index), n)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.post("/items/{item_id}/media/{index}/grabcut", response_model=MaskSuggestionPublic)
def grabcut(
    item_id: PathId, index: MediaIndex, body: GrabCutRequest, ctx: Ctx
) -> MaskSuggestionPublic:
    """GrabCut's foreground inside the box, as a suggested mask."""
    found = service.grabcut(_path(ctx, item_id, index), body.box)
    return MaskSuggestionPublic(**vars(found))


@router.post("/items/{item_id}/media/{index}/segment", response_model=MaskSuggestionPublic)
def segment(
    item_id: PathId, index: MediaIndex, body: SegmentRequest, ctx: Ctx
) -> MaskSuggestionPublic:
    """The project's interactive model (``settings.segment_model_url``) on
    clicks and/or a box, as a suggested mask."""
    with ctx.db.read_session() as s:
        url = service.model_url(s, ctx.actor, item_id)
        path = service.image_file(s, ctx.actor, item_id, index, ctx.settings.home)
    points = [(x, y, flag) for x, y, flag in body.points]
    return MaskSuggestionPublic(**vars(service.model(url, path, points, body.box)))
