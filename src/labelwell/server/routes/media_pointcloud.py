"""An item's point-cloud frames for the cuboid tool: the points as a float32
buffer, a frame's camera image, and cuboid suggestions (RANSAC ground removal,
DBSCAN clustering) for members who may see the item; nothing here stores a label."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from pydantic import Field

from labelwell.media import pointcloud
from labelwell.server.deps import Ctx
from labelwell.server.schemas import PathId, Public, Strict
from labelwell.work import media_pointcloud

router = APIRouter(tags=["media"])

FieldName = Annotated[str, Query(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
Frame = Annotated[int, Query(ge=0, le=100_000)]
_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}


@router.get(
    "/items/{item_id}/pointcloud/points",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def pointcloud_points(
    item_id: PathId, ctx: Ctx, field: FieldName = "pointcloud", frame: Frame = 0
) -> Response:
    """Frame ``frame`` of the item's data ``field`` (PCD, PLY or KITTI ``.bin``) as
    little-endian float32 ``x, y, z, intensity`` per point; ``X-Points`` says how many."""

    def run() -> bytes:
        with ctx.db.read_session() as s:
            path = media_pointcloud.frame_file(
                s, ctx.actor, item_id, field, frame, ctx.settings.home
            )
        return pointcloud.to_buffer(media_pointcloud.points(path, ctx.settings.home))

    body = await run_in_threadpool(run)
    headers = {**_HEADERS, "X-Points": str(len(body) // 16)}
    return Response(body, media_type="application/octet-stream", headers=headers)


@router.get("/items/{item_id}/pointcloud/camera", response_class=FileResponse)
async def pointcloud_camera(
    item_id: PathId, ctx: Ctx, field: FieldName = "camera", frame: Frame = 0
) -> FileResponse:
    """The camera image of frame ``frame`` named by the item's data ``field``."""

    def run() -> FileResponse:
        with ctx.db.read_session() as s:
            path = media_pointcloud.frame_file(
                s, ctx.actor, item_id, field, frame, ctx.settings.home
            )
        return FileResponse(
            path, headers={**_HEADERS, "Content-Security-Policy": "sandbox; default-src 'none'"}
        )

    return await run_in_threadpool(run)


class SuggestRequest(Strict):
    field: str = Field("pointcloud", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    frame: int = Field(0, ge=0, le=100_000)
    eps: float = Field(0.6, gt=0, le=10, description="DBSCAN neighbourhood radius in metres.")
    min_points: int = Field(30, ge=3, le=100_000, description="Fewest points a cluster keeps.")


class CuboidSuggestion(Public):
    center: list[float]
    dimensions: list[float] = Field(description="Length (along yaw), width, height in metres.")
    rotation: list[float] = Field(description="Yaw, pitch, roll in radians (pitch, roll 0).")
    num_points: int


class SuggestionsPublic(Public):
    method: str = Field(description="How the cuboids were found.")
    data: list[CuboidSuggestion]


@router.post("/items/{item_id}/pointcloud/suggestions", response_model=SuggestionsPublic)
async def pointcloud_suggestions(
    item_id: PathId, body: SuggestRequest, ctx: Ctx
) -> SuggestionsPublic:
    """Cuboids around the objects of a frame: the ground plane found by RANSAC is
    removed and the rest clustered with DBSCAN; suggestions only, nothing is stored."""

    def run() -> list[pointcloud.CuboidProposal]:
        with ctx.db.read_session() as s:
            path = media_pointcloud.frame_file(
                s, ctx.actor, item_id, body.field, body.frame, ctx.settings.home
            )
        return media_pointcloud.suggest(path, ctx.settings.home, body.eps, body.min_points)

    found = await run_in_threadpool(run)
    return SuggestionsPublic(
        method="ransac-ground+dbscan",
        data=[
            CuboidSuggestion(
                center=list(p.center),
                dimensions=list(p.dimensions),
                rotation=[p.yaw, 0.0, 0.0],
                num_points=p.num_points,
            )
            for p in found
        ],
    )
