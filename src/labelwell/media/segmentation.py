"""Segmentation help on images: SLIC superpixels to paint by region, GrabCut
from a box, and a tiled image pyramid so very large images open at once.

Everything here takes numpy arrays or file paths and returns arrays, PNG bytes
or plain dicts; the service (:mod:`labelwell.work.media_segmentation`) finds
the item's file and the routes return the results as suggestions."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import cv2
import numpy as np
from PIL import Image
from skimage.segmentation import slic

#: side of one pyramid tile, in pixels
TILE = 512
#: superpixels and GrabCut work on the image scaled so its longer side is at most this
WORK_SIDE = 1024
#: images of at most this many pixels get their pyramid within the request
#: that first asks (well under a second); larger ones from a background job
INLINE_PIXELS = 2048 * 2048
#: longer side of the preview shown while a large image's pyramid is built
PREVIEW_SIDE = 1024
#: largest image the pyramid opens (20,000 x 20,000 microscopy and aerial scenes fit)
MAX_PIXELS = 30_000 * 30_000


@dataclass
class _PillowLimit:
    """Pillow's pixel limit is one setting for the process, checked on open and
    (TIFF) on load: :func:`_open` raises it while any thread is inside and
    restores it when the last one leaves, so that one thread's restore never
    cuts another's large image short."""

    threads: int = 0
    previous: int | None = None


_opening = _PillowLimit()
_opening_lock = threading.Lock()


@contextmanager
def _open(path: Path | IO[bytes]) -> Iterator[Image.Image]:
    """``Image.open`` allowing images up to :data:`MAX_PIXELS`."""
    with _opening_lock:
        if not _opening.threads:
            _opening.previous = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        _opening.threads += 1
    try:
        with Image.open(path) as im:
            yield im
    finally:
        with _opening_lock:
            _opening.threads -= 1
            if not _opening.threads:
                Image.MAX_IMAGE_PIXELS = _opening.previous


def read_rgb(path: Path, max_side: int | None = None) -> np.ndarray:
    """An image file as ``(h, w, 3)`` uint8 RGB, optionally shrunk (area
    averaging) so its longer side is at most ``max_side``."""
    with _open(path) as im:
        if max_side is not None and max(im.size) > max_side:
            # JPEG decoders shrink by 2^k while decoding (draft); the rest by area
            im.draft("RGB", (max_side, max_side))
        rgb = np.asarray(im.convert("RGB"))
    return rgb if max_side is None else read_rgb_array(rgb, max_side)


def read_rgb_array(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """``rgb`` shrunk (area averaging) so its longer side is at most ``max_side``."""
    if max(rgb.shape[:2]) <= max_side:
        return rgb
    k = max_side / max(rgb.shape[:2])
    size = (max(1, round(rgb.shape[1] * k)), max(1, round(rgb.shape[0] * k)))
    return np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA))


def pyramid_size(path: Path | IO[bytes]) -> tuple[int, int]:
    """``(height, width)`` of an image file, from its header (a file object
    holding only the file's first bytes does)."""
    with _open(path) as im:
        return im.size[1], im.size[0]


def builds_inline(height: int, width: int) -> bool:
    """Is an image small enough (:data:`INLINE_PIXELS`) that its pyramid is
    built within the request that first asks for it?"""
    return width * height <= INLINE_PIXELS


def superpixels(rgb: np.ndarray, n_segments: int = 400, compactness: float = 10.0) -> np.ndarray:
    """SLIC superpixels (Achanta et al., "SLIC Superpixels Compared to
    State-of-the-Art Superpixel Methods", TPAMI 34(11), 2012) by
    :func:`skimage.segmentation.slic`: an ``(h, w)`` int32 map of region ids 1..n."""
    labels = slic(
        rgb, n_segments=n_segments, compactness=compactness, start_label=1, channel_axis=-1
    )
    return np.asarray(labels, dtype=np.int32)


def label_map_png(labels: np.ndarray) -> bytes:
    """An id map as an RGB PNG whose colour encodes the id as ``R + 256 G``
    (the browser reads the id under the pointer from it)."""
    ids = labels.astype(np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= 256**2):
        raise ValueError("ids must lie in 0..65535")
    rgb = np.stack([ids % 256, ids // 256, np.zeros_like(ids)], axis=-1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, "PNG")
    return buf.getvalue()


def grabcut(rgb: np.ndarray, box: tuple[int, int, int, int], iterations: int = 5) -> np.ndarray:
    """Foreground inside ``box = (x, y, w, h)`` by GrabCut (Rother, Kolmogorov and
    Blake, "GrabCut: interactive foreground extraction using iterated graph
    cuts", SIGGRAPH 2004) through :func:`cv2.grabCut`: a bool ``(h, w)`` mask."""
    height, width = rgb.shape[:2]
    x, y, w, h = (int(v) for v in box)
    x, y = max(0, min(x, width - 1)), max(0, min(y, height - 1))
    w, h = max(1, min(w, width - x)), max(1, min(h, height - y))
    mask = np.zeros((height, width), np.uint8)
    if w < 3 or h < 3 or (w >= width - 1 and h >= height - 1):
        # GrabCut needs background outside the box: a box the size of the image has none
        mask[y : y + h, x : x + w] = 1
        return mask.astype(bool)
    bgd = np.zeros((1, 65), np.float64)
    fgd = np.zeros((1, 65), np.float64)
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    cv2.grabCut(bgr, mask, (x, y, w, h), bgd, fgd, iterations, cv2.GC_INIT_WITH_RECT)
    return np.asarray((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD), dtype=bool)


def flood_region(rgb: np.ndarray, seed: tuple[int, int], tolerance: int = 24) -> np.ndarray:
    """Pixels connected to ``seed = (x, y)`` whose colour is within ``tolerance``
    of their neighbour's (:func:`cv2.floodFill`, floating range): a bool mask."""
    height, width = rgb.shape[:2]
    x, y = max(0, min(int(seed[0]), width - 1)), max(0, min(int(seed[1]), height - 1))
    mask = np.zeros((height + 2, width + 2), np.uint8)
    lo = (tolerance,) * 3
    flags = 4 | cv2.FLOODFILL_MASK_ONLY | (255 << 8)
    cv2.floodFill(np.array(rgb, copy=True, order="C"), mask, (x, y), (0, 0, 0), lo, lo, flags)
    return mask[1:-1, 1:-1] > 0


def scale_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A bool mask resized (nearest neighbour) to ``size = (height, width)``."""
    if mask.shape == size:
        return mask
    out = cv2.resize(mask.astype(np.uint8), (size[1], size[0]), interpolation=cv2.INTER_NEAREST)
    return out.astype(bool)


@dataclass(frozen=True)
class Pyramid:
    """A tiled image pyramid on disk: level 0 is full size, each next level half
    of the one before, the last fits in one tile (as Deep Zoom and OpenSeadragon
    lay them out, counted from the top)."""

    folder: Path
    width: int
    height: int
    tile: int
    levels: int

    def info(self) -> dict[str, int]:
        return {
            "width": self.width,
            "height": self.height,
            "tile": self.tile,
            "levels": self.levels,
        }

    def tile_path(self, level: int, col: int, row: int) -> Path | None:
        """The JPEG of one tile, or None outside the pyramid."""
        if not 0 <= level < self.levels:
            return None
        w, h = level_size(self.width, self.height, level)
        if not (0 <= col < math.ceil(w / self.tile) and 0 <= row < math.ceil(h / self.tile)):
            return None
        return self.folder / str(level) / f"{col}_{row}.jpg"


def level_size(width: int, height: int, level: int) -> tuple[int, int]:
    return max(1, math.ceil(width / 2**level)), max(1, math.ceil(height / 2**level))


def levels_for(width: int, height: int, tile: int = TILE) -> int:
    return 1 + max(0, math.ceil(math.log2(max(width, height) / tile)))


def pyramid_folder(source: Path, cache: Path, tile: int = TILE) -> Path:
    """Where the pyramid of ``source`` lives under ``cache``: keyed by the
    file's path, size and mtime, so a changed file gets a new one."""
    stat = source.stat()
    key = hashlib.sha256(f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{tile}".encode())
    return cache / key.hexdigest()[:32]


def cached_pyramid(source: Path, cache: Path, tile: int = TILE) -> Pyramid | None:
    """The pyramid of ``source`` if it was built already, else None (reads one
    small manifest; never builds)."""
    folder = pyramid_folder(source, cache, tile)
    manifest = folder / "pyramid.json"
    if not manifest.is_file():
        return None
    meta = json.loads(manifest.read_text())
    return Pyramid(folder, meta["width"], meta["height"], meta["tile"], meta["levels"])


def preview_path(folder: Path) -> Path:
    """The downscaled JPEG (at most :data:`PREVIEW_SIDE` a side) a pyramid's
    build writes first, shown while the tiles are made."""
    return folder.with_name(folder.name + ".preview.jpg")


def build_progress(folder: Path) -> float:
    """How far the build of the pyramid in ``folder`` is, 0 to 1 (0 before it
    starts; 1 once the manifest is there)."""
    if (folder / "pyramid.json").is_file():
        return 1.0
    try:
        return float(json.loads(_progress_path(folder).read_text())["done"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


def _progress_path(folder: Path) -> Path:
    return folder.with_name(folder.name + ".progress.json")


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _jpeg(rgb: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 88])
    assert ok
    return bytes(data.tobytes())


def _is_jpeg(path: Path) -> bool:
    with _open(path) as im:
        return im.format == "JPEG"


def pyramid(source: Path, cache: Path, tile: int = TILE) -> Pyramid:
    """Build the pyramid of ``source`` under ``cache`` (or read it back if it
    is there). On the way it writes a preview (:func:`preview_path`; from a
    JPEG's DCT-scaled decode before anything else, which is cheap) and its
    progress (:func:`build_progress`): one unit per tile, the full decode
    counted as much as the tiles of level 0."""
    found = cached_pyramid(source, cache, tile)
    if found is not None:
        return found
    folder = pyramid_folder(source, cache, tile)
    cache.mkdir(parents=True, exist_ok=True)
    progress = _progress_path(folder)
    preview = preview_path(folder)
    if _is_jpeg(source):
        _write_atomic(preview, _jpeg(read_rgb(source, PREVIEW_SIDE)))
    full_h, full_w = pyramid_size(source)
    levels = levels_for(full_w, full_h, tile)
    counts = []
    for level in range(levels):
        w, h = level_size(full_w, full_h, level)
        counts.append(math.ceil(w / tile) * math.ceil(h / tile))
    total, done = sum(counts) + counts[0], 0
    last = -1.0

    def step(n: int) -> None:
        nonlocal done, last
        done += n
        fraction = round(done / total, 3)
        if fraction - last >= 0.01 or done == total:
            last = fraction
            _write_atomic(progress, json.dumps({"done": fraction}).encode())

    step(0)
    rgb = read_rgb(source)
    height, width = rgb.shape[:2]
    step(counts[0])
    if not preview.is_file():
        _write_atomic(preview, _jpeg(read_rgb_array(rgb, PREVIEW_SIDE)))
    tmp = folder.with_name(folder.name + f".{os.getpid()}.tmp")
    for level in range(levels):
        if level:
            w, h = level_size(width, height, level)
            rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
        (tmp / str(level)).mkdir(parents=True, exist_ok=True)
        for row in range(math.ceil(rgb.shape[0] / tile)):
            for col in range(math.ceil(rgb.shape[1] / tile)):
                part = rgb[row * tile : (row + 1) * tile, col * tile : (col + 1) * tile]
                (tmp / str(level) / f"{col}_{row}.jpg").write_bytes(_jpeg(part))
                step(1)
    meta = {"width": width, "height": height, "tile": tile, "levels": levels}
    (tmp / "pyramid.json").write_text(json.dumps(meta))
    try:
        tmp.rename(folder)
    except OSError:  # another process built it first: theirs is as good
        shutil.rmtree(tmp, ignore_errors=True)
    progress.unlink(missing_ok=True)
    return Pyramid(folder, width, height, tile, levels)


def demo_street(seed: int, width: int = 640, height: int = 400) -> np.ndarray:
    """A synthetic street for the demo: sky, road, a pavement and a few cars of
    different colours, with a little noise so superpixels and GrabCut have
    something to work on."""
    rng = np.random.default_rng(seed)
    rgb = np.zeros((height, width, 3), np.float64)
    horizon = int(height * rng.uniform(0.35, 0.45))
    sky = np.linspace(0, 1, horizon)[:, None, None]
    rgb[:horizon] = (120, 170, 230) * (1 - sky) + (200, 220, 240) * sky
    rgb[horizon:] = (90, 90, 95)
    pavement = horizon + int(height * 0.08)
    rgb[horizon:pavement] = (170, 160, 150)
    for _ in range(int(rng.integers(2, 4))):
        w = int(rng.integers(width // 8, width // 5))
        h = int(w * rng.uniform(0.4, 0.55))
        x = int(rng.integers(0, width - w))
        y = int(rng.integers(pavement + 5, height - h))
        colour = rng.choice([(200, 40, 40), (40, 90, 200), (230, 200, 60), (30, 30, 30)])
        rgb[y : y + h, x : x + w] = colour
        rgb[y + h - h // 4 : y + h, x + w // 8 : x + w // 8 + h // 4] = (15, 15, 15)
        rgb[y + h - h // 4 : y + h, x + w - w // 8 - h // 4 : x + w - w // 8] = (15, 15, 15)
    rgb += rng.normal(0, 4, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)
