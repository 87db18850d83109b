"""An item's video by frame number: its index (frame count, rate, size), one
frame as JPEG, and tracker suggestions for a box over the next frames (members
who may see the item; suggestions only, nothing is stored)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import Field

from labelwell.server.deps import Ctx
from labelwell.server.schemas import PathId, Public, Strict
from labelwell.work import media_video

router = APIRouter(tags=["media"])

MediaIndex = Annotated[int, PathParam(ge=0, le=1000)]
FrameNumber = Annotated[int, PathParam(ge=0, le=10_000_000)]
Coordinate = Annotated[float, Field(ge=-1e6, le=1e6)]


class VideoInfoPublic(Public):
    frames: int
    fps: float
    width: int
    height: int
    duration: float = Field(description="Seconds: frames / fps.")
    keyframes: int = Field(description="How many keyframes the video's stream has.")


class BoxIn(Strict):
    x: Coordinate
    y: Coordinate
    width: Annotated[float, Field(gt=0, le=1e6)]
    height: Annotated[float, Field(gt=0, le=1e6)]


class PropagateRequest(Strict):
    frame: int = Field(ge=0, le=10_000_000, description="The frame the box is on.")
    box: BoxIn
    count: int = Field(
        default=30, ge=1, le=media_video.MAX_PROPAGATE, description="Frames to follow."
    )


class FrameBox(Public):
    frame: int
    x: float
    y: float
    width: float
    height: float


class PropagatePublic(Public):
    tracker: str = Field(description="The OpenCV tracker that made the suggestions.")
    data: list[FrameBox]


@router.get("/items/{item_id}/video/{index}", response_model=VideoInfoPublic)
def video_info(item_id: PathId, index: MediaIndex, ctx: Ctx) -> VideoInfoPublic:
    """Frame count, frame rate and size of the item's video ``index``."""
    with ctx.db.read_session() as s:
        path = media_video.video_file(s, ctx.actor, item_id, index, ctx.settings.home)
    return VideoInfoPublic(**asdict(media_video.info(path, ctx.settings.home)))


@router.get(
    "/items/{item_id}/video/{index}/frames/{frame}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def video_frame(item_id: PathId, index: MediaIndex, frame: FrameNumber, ctx: Ctx) -> Response:
    """Frame ``frame`` (0-based, presentation order) of the item's video as JPEG."""
    with ctx.db.read_session() as s:
        path = media_video.video_file(s, ctx.actor, item_id, index, ctx.settings.home)
    data = media_video.frame_jpeg(path, frame, ctx.settings.home)
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/items/{item_id}/video/{index}/propagate", response_model=PropagatePublic)
def propagate(
    item_id: PathId, index: MediaIndex, body: PropagateRequest, ctx: Ctx
) -> PropagatePublic:
    """Suggested boxes on the next ``count`` frames, followed by a tracker from
    ``box`` on ``frame``; the annotator accepts them as keyframes or not."""
    with ctx.db.read_session() as s:
        path = media_video.video_file(s, ctx.actor, item_id, index, ctx.settings.home)
    found = media_video.propagate(
        path, body.frame, body.box.model_dump(), body.count, ctx.settings.home
    )
    return PropagatePublic(tracker="median-flow", data=[FrameBox(**b) for b in found])
