"""Segmentation help for an item's image: its tiled pyramid, superpixels,
GrabCut from a box and the project's interactive model. Every answer is a
suggestion for the mask tool; nothing here stores a label."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.formats._geometry import mask_to_rle
from labelwell.media import segmentation as seg
from labelwell.media.interactive import ask_model
from labelwell.work.actors import Actor
from labelwell.work.media_files import item_media_file, model_server


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


def pyramid(path: Path, home: Path) -> seg.Pyramid:
    try:
        return seg.pyramid(path, home / "cache" / "tiles")
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"the media file is not an image this server can read: {exc}") from None


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
