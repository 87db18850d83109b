"""Segmentation help for an item's image: its tiled pyramid, superpixels,
GrabCut from a box and the project's interactive model. Every answer is a
suggestion for the mask tool; nothing here stores a label.

A small image's pyramid is built within the request that first asks for it.
A large one's (more than :data:`~labelwell.media.segmentation.INLINE_PIXELS`;
a 20,000 x 20,000 scan takes minutes) is the ``pyramid`` background job, run by
``labelwell worker``: the request enqueues it and answers at once with its
progress and whether a preview is there. The job's dedupe key is the file, so
however many requests and servers ask, one job builds it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput, NotFound
from labelwell.formats._geometry import mask_to_rle
from labelwell.media import segmentation as seg
from labelwell.media.interactive import ask_model
from labelwell.store.db import Database
from labelwell.store.tables import Item, Job
from labelwell.work import jobs
from labelwell.work.actors import Actor
from labelwell.work.media_files import item_media_file, model_server, resolve_media
from labelwell.work.policies import Permission


@dataclass(frozen=True)
class MaskSuggestion:
    """A suggested mask at the image's full size, as COCO RLE."""

    rle: dict[str, object]
    area: int
    source: str
    score: float | None = None


def _work_image(path: Path) -> tuple[np.ndarray, float, tuple[int, int]]:
    """The image shrunk for the maths, the factor from full size to it, and
    the full ``(height, width)``."""
    try:
        full = seg.pyramid_size(path)
        rgb = seg.read_rgb(path, seg.WORK_SIDE)
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"the media file is not an image this server can read: {exc}") from None
    return rgb, rgb.shape[1] / full[1], full


def image_file(session: Session, actor: Actor, item_id: int, index: int, home: Path) -> Path:
    """The item's image as a local file (the maths below runs after the
    session is closed, on this path)."""
    return item_media_file(session, actor, item_id, index, home)


def model_url(session: Session, actor: Actor, item_id: int) -> str:
    """The item's project's interactive model (``settings.segment_model_url``)."""
    return model_server(
        session, actor, item_id, "segment_model_url", "has no interactive segmentation model"
    )


@dataclass(frozen=True)
class PyramidPending:
    """A large image whose pyramid the ``pyramid`` job is building."""

    width: int
    height: int
    job_id: int
    state: str
    progress: float
    preview: bool


class PyramidOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        max_length=4000,
        description="The image file, under the home's media folder or its media cache.",
    )


def _cache(home: Path) -> Path:
    return home / "cache" / "tiles"


def _unreadable(exc: Exception) -> InvalidInput:
    return InvalidInput(f"the media file is not an image this server can read: {exc}")


def _build(path: Path, home: Path) -> seg.Pyramid:
    try:
        return seg.pyramid(path, _cache(home))
    except (OSError, ValueError) as exc:
        raise _unreadable(exc) from None


def _dedupe_key(path: str) -> str:
    return f"pyramid:{hashlib.sha256(path.encode()).hexdigest()[:40]}"


def _job_file(home: Path, path: str) -> Path:
    """The job's image: only files where :func:`item_media_file` puts them
    (the media folder, the media cache)."""
    for root in (home / "media", home / "cache" / "media"):
        try:
            return resolve_media(root, path)
        except NotFound:
            continue
    raise NotFound(f"no media file {path!r}")


def run_pyramid_job(run: jobs.JobRun) -> dict[str, Any]:
    """The ``pyramid`` job: build (or find) the image's pyramid."""
    return _build(_job_file(run.home, run.options.path), run.home).info()


jobs.JOB_KINDS.register(
    "pyramid",
    jobs.JobKind(
        PyramidOptions,
        run_pyramid_job,
        permission=Permission.view,
        dedupe=lambda _, options: _dedupe_key(options.path),
        description="Build a large image's tiled pyramid for the mask tool.",
    ),
)


def open_pyramid(
    db: Database, actor: Actor, item_id: int, index: int, home: Path
) -> seg.Pyramid | PyramidPending:
    """The image's pyramid when it is built (a small image's is built here and
    now), else the job building it (enqueued on first ask) and its progress."""
    with db.read_session() as s:
        path = item_media_file(s, actor, item_id, index, home)
        item = s.get(Item, item_id)
        assert item is not None
        project_id = item.project_id
    found = seg.cached_pyramid(path, _cache(home))
    if found is not None:
        return found
    try:
        height, width = seg.pyramid_size(path)
    except (OSError, ValueError) as exc:
        raise _unreadable(exc) from None
    if seg.builds_inline(height, width):
        return _build(path, home)
    key = _dedupe_key(str(path))
    with db.read_session() as s:
        last = s.scalar(select(Job).where(Job.dedupe_key == key).order_by(Job.id.desc()).limit(1))
        job_id, state = (last.id, last.state) if last is not None else (0, "")
        if last is not None and state == "failed":
            changed = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            if last.created_at.replace(tzinfo=last.created_at.tzinfo or UTC) > changed:
                raise InvalidInput(f"the image's pyramid could not be built: {last.error}")
    if state not in jobs.LIVE:
        with db.session() as s:
            job, _ = jobs.enqueue(s, None, "pyramid", project_id, {"path": str(path)})
            job_id, state = job.id, job.state
    found = seg.cached_pyramid(path, _cache(home))  # done while we asked
    if found is not None:
        return found
    folder = seg.pyramid_folder(path, _cache(home))
    return PyramidPending(
        width=width,
        height=height,
        job_id=job_id,
        state=state,
        progress=seg.build_progress(folder),
        preview=seg.preview_path(folder).is_file(),
    )


def tile(
    db: Database, actor: Actor, item_id: int, index: int, home: Path, at: tuple[int, int, int]
) -> Path:
    """One JPEG tile ``(level, col, row)`` of the image's pyramid."""
    found = open_pyramid(db, actor, item_id, index, home)
    if isinstance(found, PyramidPending):
        raise Conflict(
            f"the image is still being prepared ({round(found.progress * 100)}%)",
            details={"job_id": found.job_id},
        )
    path = found.tile_path(*at)
    if path is None:
        raise NotFound(f"no tile {'/'.join(map(str, at))} in this image's pyramid")
    return path


def preview(db: Database, actor: Actor, item_id: int, index: int, home: Path) -> Path:
    """A downscaled JPEG of the image: the one the ``pyramid`` job writes
    first, else (a small image) the pyramid's top tile."""
    with db.read_session() as s:
        path = item_media_file(s, actor, item_id, index, home)
    found = seg.preview_path(seg.pyramid_folder(path, _cache(home)))
    if found.is_file():
        return found
    built = seg.cached_pyramid(path, _cache(home))
    top = None if built is None else built.tile_path(built.levels - 1, 0, 0)
    if top is None:
        raise NotFound(f"no preview of media {index} of item {item_id} yet")
    return top


def superpixels(path: Path, n_segments: int) -> bytes:
    """SLIC superpixels of the image (at most ``seg.WORK_SIDE`` on its longer
    side) as a PNG whose colour is the region id (``R + 256 G``)."""
    rgb, _, _ = _work_image(path)
    return seg.label_map_png(seg.superpixels(rgb, n_segments=n_segments))


def grabcut(path: Path, box: tuple[float, float, float, float]) -> MaskSuggestion:
    """GrabCut inside ``box`` (full-size pixels) on the shrunk image, the mask
    scaled back to full size."""
    rgb, k, full = _work_image(path)
    _check_box(box, full)
    x, y, w, h = (v * k for v in box)
    mask = seg.grabcut(rgb, (round(x), round(y), max(1, round(w)), max(1, round(h))))
    return _suggestion(mask, full, "grabcut")


def model(
    url: str,
    path: Path,
    points: list[tuple[float, float, int]],
    box: tuple[float, float, float, float] | None,
) -> MaskSuggestion:
    """The project's interactive model (``settings.segment_model_url``) on the
    shrunk image, its mask scaled back to full size."""
    rgb, k, full = _work_image(path)
    if box is not None:
        _check_box(box, full)
    if not points and box is None:
        raise InvalidInput("give at least one point or a box", field="points")
    answer = ask_model(
        url,
        rgb,
        [(x * k, y * k, flag) for x, y, flag in points],
        None if box is None else (box[0] * k, box[1] * k, box[2] * k, box[3] * k),
    )
    return _suggestion(answer.mask, full, f"{answer.model}@{answer.version}", answer.score)


def _check_box(box: tuple[float, float, float, float], full: tuple[int, int]) -> None:
    x, y, w, h = box
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > full[1] + 1 or y + h > full[0] + 1:
        raise InvalidInput(
            f"box {list(box)} is not inside the {full[1]} x {full[0]} image", field="box"
        )


def _suggestion(
    mask: np.ndarray, full: tuple[int, int], source: str, score: float | None = None
) -> MaskSuggestion:
    big = seg.scale_mask(mask, full)
    return MaskSuggestion(rle=mask_to_rle(big), area=int(big.sum()), source=source, score=score)
