"""Geometry shared by the vision formats: polygon area and extents, COCO
run-length encoding (the compressed string form of pycocotools'
``maskApi.c`` ``rleToString``/``rleFrString``), and image sizes read from file
headers so importers need no imaging library."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np


def polygon_area(flat: list[float]) -> float:
    """Shoelace formula on ``[x1, y1, x2, y2, ...]``."""
    xs = np.asarray(flat[0::2], dtype=float)
    ys = np.asarray(flat[1::2], dtype=float)
    return float(abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))) / 2.0)


def points_bbox(xs: list[float], ys: list[float]) -> list[float]:
    if not xs:
        return [0.0, 0.0, 0.0, 0.0]
    x0, y0 = min(xs), min(ys)
    return [x0, y0, max(xs) - x0, max(ys) - y0]


def rle_decode_counts(counts: str) -> list[int]:
    """COCO compressed RLE string to run lengths (``rleFrString``)."""
    out: list[int] = []
    data = counts.encode("ascii")
    p = 0
    while p < len(data):
        x = 0
        k = 0
        more = True
        while more:
            c = data[p] - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(out) > 2:
            x += out[-2]
        out.append(x)
    return out


def rle_encode_counts(runs: list[int]) -> str:
    """Run lengths to the COCO compressed string (``rleToString``)."""
    chars = bytearray()
    for i, run in enumerate(runs):
        x = run - runs[i - 2] if i > 2 else run
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            chars.append(c + 48)
    return chars.decode("ascii")


def rle_runs(rle: dict[str, Any]) -> list[int]:
    counts = rle["counts"]
    return rle_decode_counts(counts) if isinstance(counts, str) else [int(c) for c in counts]


def rle_area(rle: dict[str, Any]) -> int:
    return int(sum(rle_runs(rle)[1::2]))


def rle_bbox(rle: dict[str, Any]) -> list[float]:
    """Extents of a column-major RLE mask (as ``rleToBbox``)."""
    h = int(rle["size"][0])
    runs = np.asarray(rle_runs(rle), dtype=np.int64)
    if len(runs) < 2 or runs[1::2].sum() == 0:
        return [0.0, 0.0, 0.0, 0.0]
    ends = np.cumsum(runs)
    starts = ends - runs
    on = np.arange(len(runs)) % 2 == 1
    s, e = starts[on & (runs > 0)], ends[on & (runs > 0)] - 1
    xs = np.concatenate([s // h, e // h])
    ys_min = np.where(s // h == e // h, s % h, 0)
    ys_max = np.where(s // h == e // h, e % h, h - 1)
    x0, x1 = int(xs.min()), int(xs.max())
    y0, y1 = int(ys_min.min()), int(ys_max.max())
    return [float(x0), float(y0), float(x1 - x0 + 1), float(y1 - y0 + 1)]


def rle_to_mask(rle: dict[str, Any]) -> np.ndarray:
    h, w = (int(v) for v in rle["size"])
    runs = np.asarray(rle_runs(rle), dtype=np.int64)
    values = np.arange(len(runs)) % 2
    flat = np.repeat(values.astype(np.uint8), runs)
    return flat.reshape(w, h).T


def mask_to_rle(mask: np.ndarray) -> dict[str, Any]:
    h, w = mask.shape
    flat = np.asarray(mask, dtype=bool).T.reshape(-1)
    change = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        runs = [0, *runs]
    return {"size": [h, w], "counts": rle_encode_counts(runs)}


def image_size(path: Path) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG, JPEG, GIF or BMP header, else ``None``."""
    try:
        with path.open("rb") as fh:
            head = fh.read(32)
            if head.startswith(b"\x89PNG\r\n\x1a\n"):
                w, h = struct.unpack(">II", head[16:24])
                return int(w), int(h)
            if head[:6] in (b"GIF87a", b"GIF89a"):
                w, h = struct.unpack("<HH", head[6:10])
                return int(w), int(h)
            if head[:2] == b"BM":
                w, h = struct.unpack("<ii", head[18:26])
                return int(w), abs(int(h))
            if head[:2] == b"\xff\xd8":
                fh.seek(2)
                while True:
                    marker = fh.read(2)
                    if len(marker) < 2 or marker[0] != 0xFF:
                        return None
                    (length,) = struct.unpack(">H", fh.read(2))
                    if 0xC0 <= marker[1] <= 0xCF and marker[1] not in (0xC4, 0xC8, 0xCC):
                        h, w = struct.unpack(">xHH", fh.read(5))
                        return int(w), int(h)
                    fh.seek(length - 2, 1)
    except (OSError, struct.error):
        return None
    return None


def fmt_num(v: float) -> str:
    """Shortest text for a coordinate: integers without a decimal point."""
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)
