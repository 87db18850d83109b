"""Video frames and tracker suggestions for an item's video, for members who may
see the item (:func:`labelwell.work.media_files.item_media_file`). Frame indexes
are cached under ``$LABELWELL_HOME/cache/video``; open decoders and recent
frames are kept per process. Nothing here stores a label."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from labelwell.media import video
from labelwell.work.actors import Actor
from labelwell.work.media_files import item_media_file

#: Most frames one propagation may follow.
MAX_PROPAGATE = 120


@dataclass(frozen=True)
class VideoInfo:
    frames: int
    fps: float
    width: int
    height: int
    duration: float
    keyframes: int


@lru_cache(maxsize=4)
def readers(home: Path) -> video.ReaderCache:
    """The process's open videos for one labelwell home."""
    return video.ReaderCache(home / "cache" / "video")


def video_file(session: Session, actor: Actor, item_id: int, index: int, home: Path) -> Path:
    """The item's video ``index`` as a local file (NotFound if the actor may not see it)."""
    return item_media_file(session, actor, item_id, index, home)


def info(path: Path, home: Path) -> VideoInfo:
    found = readers(home).reader(path).index
    return VideoInfo(
        frames=found.frames,
        fps=found.fps,
        width=found.width,
        height=found.height,
        duration=found.frames / found.fps if found.fps else 0.0,
        keyframes=len(found.keyframes),
    )


def frame_jpeg(path: Path, frame: int, home: Path) -> bytes:
    return readers(home).jpeg(path, frame)


def propagate(
    path: Path, frame: int, box: dict[str, float], count: int, home: Path
) -> list[dict[str, float]]:
    """Tracker suggestions for the ``count`` frames after ``frame`` (at most
    :data:`MAX_PROPAGATE`)."""
    reader = readers(home).reader(path)
    return video.propagate(reader, frame, box, min(count, MAX_PROPAGATE))
