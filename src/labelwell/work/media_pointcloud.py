"""Point-cloud frames of an item for the cuboid tool: the frame's points as the
browser's float32 buffer (parsed once and cached under
``$LABELWELL_HOME/cache/pointcloud``), a frame's camera image, and cuboid
suggestions (ground removal and clustering) for members who may see the item
(:func:`labelwell.work.media_files.item_media_file`). Nothing here stores a label.

An item names its frames in a data field (the control's source, ``pointcloud``
by default): a string for one frame or a list for a sequence; each a file under
``$LABELWELL_HOME/media`` or, for a URL, one of the item's media references. A
camera image per frame may be named the same way in another field (a string for
every frame, or a list)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput, NotFound
from labelwell.media import pointcloud
from labelwell.work import items
from labelwell.work.actors import Actor
from labelwell.work.media_files import item_media_file, media_refs, resolve_media

#: The largest frame file read (a 4-million-point binary PCD is about 64 MB).
MAX_FILE_BYTES = 256 * 1024 * 1024


def frame_file(
    session: Session, actor: Actor, item_id: int, field: str, frame: int, home: Path
) -> Path:
    """The local file of frame ``frame`` named by the item's data ``field``."""
    item = items.get_item(session, actor, item_id)
    value = item.data.get(field)
    refs = value if isinstance(value, list) else [value] if isinstance(value, str) else None
    if refs is None:
        raise NotFound(f"item {item_id} has no frames in data.{field}")
    if isinstance(value, str):
        frame = 0  # one file for every frame (a fixed camera image, a single scan)
    if frame >= len(refs):
        raise NotFound(f"item {item_id} has {len(refs)} frames in data.{field}, not {frame + 1}")
    known = media_refs(item)
    ref = str(refs[frame])
    if ref in known:
        return item_media_file(session, actor, item_id, known.index(ref), home)
    if "://" in ref:  # a URL is reached only through the item's media list
        raise NotFound(f"data.{field}[{frame}] of item {item_id} is not one of its media")
    return resolve_media(home / "media", ref)


def points(path: Path, home: Path) -> np.ndarray:
    """The frame's ``(n, 4)`` points, from the cache when the file is unchanged."""
    stat = path.stat()
    if stat.st_size > MAX_FILE_BYTES:
        raise InvalidInput(f"{path.name}: {stat.st_size} bytes is more than a frame may have")
    key = hashlib.sha256(f"{path}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:32]
    cached = home / "cache" / "pointcloud" / f"{key}.f32"
    if cached.is_file():
        return np.fromfile(cached, dtype="<f4").reshape(-1, 4)
    found = pointcloud.read_points(path.name, path.read_bytes())
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
    tmp.write_bytes(pointcloud.to_buffer(found))
    tmp.replace(cached)
    return found


def suggest(path: Path, home: Path, eps: float, min_points: int) -> list[pointcloud.CuboidProposal]:
    """Cuboids around the frame's objects (:func:`labelwell.media.pointcloud.propose_cuboids`)."""
    return pointcloud.propose_cuboids(points(path, home), eps=eps, min_points=min_points)
