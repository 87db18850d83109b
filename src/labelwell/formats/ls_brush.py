"""Label Studio's brush RLE: the bit-packed run-length code of ``@thi.ng/rle-pack``
(https://github.com/thi-ng/umbrella/blob/develop/packages/rle-pack/src/index.ts)
over the RGBA bytes of an image, ``width * height * 4`` values, as Label Studio's
``BrushLabels`` regions store it (``value: {format: "rle", rle: [byte, ...]}``).

The stream is big-endian bits: the value count (32 bits), the word size minus one
(5 bits), four run-length field sizes minus one (4 bits each), then chunks of
``flag (1), size index (2), length - 1 (size bits)`` followed by one word (a
repeated run, flag 1) or ``length`` words (literals, flag 0).

:func:`encode_rle` writes exactly what ``label_studio_sdk.converter.brush.encode_rle``
(formerly ``label_studio_converter.brush``) writes with its defaults (8-bit words,
field sizes 3, 4, 8, 16): single values as one-word literals, longer runs with the
smallest field that holds them, runs over 256 with the 16-bit field, split every
65,536 values, and 1 to 8 zero bits of padding. :func:`decode_rle` reads any
stream the format allows, as the Label Studio front end does."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from labelwell.errors import InvalidInput

RLE_SIZES = (3, 4, 8, 16)
WORD_SIZE = 8
_HEADER_BITS = 32 + 5 + 4 * 4
_MAX_CHUNK = 1 << 16


def encode_rle(values: np.ndarray) -> list[int]:
    """Brush RLE bytes of a flat array of 0-255 values (RGBA bytes of an image)."""
    v = np.asarray(values).reshape(-1)
    if v.size and (v.min() < 0 or v.max() > 255):
        raise InvalidInput("brush values must lie in 0..255")
    v = v.astype(np.int64)
    num = v.size
    if num >= 1 << 32:
        raise InvalidInput(f"{num} values do not fit the 32-bit count of a brush RLE")
    header_vals = [num, WORD_SIZE - 1, *(s - 1 for s in RLE_SIZES)]
    header_widths = [32, 5, 4, 4, 4, 4]
    if num:
        change = np.flatnonzero(v[1:] != v[:-1]) + 1
        starts = np.concatenate([[0], change])
        lengths = np.diff(np.concatenate([starts, [num]]))
        words = v[starts]
        # Size index: 0 for 1..8 (a single value is a literal chunk), 1 for 9..16,
        # 2 for 17..256, 3 for longer runs, cut into chunks of at most 65,536.
        idx = np.searchsorted(np.array([8, 16, 256]), lengths, side="left")
        chunks = np.where(idx == 3, -(-lengths // _MAX_CHUNK), 1)
        run = np.repeat(np.arange(lengths.size), chunks)
        first = np.cumsum(chunks) - chunks
        k = np.arange(run.size) - first[run]
        chunk_len = np.where(k < chunks[run] - 1, _MAX_CHUNK, lengths[run] - k * _MAX_CHUNK)
        chunk_idx = idx[run]
        fields_val = np.stack(
            [(lengths[run] > 1).astype(np.int64), chunk_idx, chunk_len - 1, words[run]], axis=1
        )
        sizes = np.asarray(RLE_SIZES, dtype=np.int64)
        fields_w = np.stack(
            [
                np.ones(run.size, dtype=np.int64),
                np.full(run.size, 2, dtype=np.int64),
                sizes[chunk_idx],
                np.full(run.size, WORD_SIZE, dtype=np.int64),
            ],
            axis=1,
        )
        vals = np.concatenate([np.asarray(header_vals, dtype=np.int64), fields_val.reshape(-1)])
        widths = np.concatenate([np.asarray(header_widths, dtype=np.int64), fields_w.reshape(-1)])
    else:
        vals = np.asarray(header_vals, dtype=np.int64)
        widths = np.asarray(header_widths, dtype=np.int64)
    total = int(widths.sum())
    field_start = np.cumsum(widths) - widths
    shift = np.repeat(widths - 1, widths) - (np.arange(total) - np.repeat(field_start, widths))
    bits = ((np.repeat(vals, widths) >> shift) & 1).astype(np.uint8)
    pad = 8 - total % 8  # the reference always pads, a whole zero byte when aligned
    bits = np.concatenate([bits, np.zeros(pad, dtype=np.uint8)])
    return np.packbits(bits).tolist()


class _Bits:
    """Big-endian bit fields of up to 32 bits read from a byte string."""

    def __init__(self, data: bytes) -> None:
        self.data = data + b"\0" * 5
        self.total = 8 * len(data)
        self.pos = 0

    def read(self, width: int) -> int:
        end = self.pos + width
        if end > self.total:
            raise InvalidInput(f"brush RLE ends inside a field at bit {self.pos}")
        byte = self.pos >> 3
        window = int.from_bytes(self.data[byte : byte + 5], "big")
        value = (window >> (40 - (self.pos & 7) - width)) & ((1 << width) - 1)
        self.pos = end
        return value


def _as_bytes(rle: Sequence[int] | bytes) -> bytes:
    if isinstance(rle, bytes | bytearray):
        return bytes(rle)
    if not isinstance(rle, list | tuple):
        raise InvalidInput(f"brush RLE must be a list of bytes, got {type(rle).__name__}")
    for i, b in enumerate(rle):
        if type(b) is not int or not 0 <= b <= 255:
            raise InvalidInput(f"brush RLE item {i} is {b!r}, not a byte 0..255")
    return bytes(rle)


def decode_rle(rle: Sequence[int] | bytes) -> np.ndarray:
    """The values of a brush RLE (uint8 for words up to 8 bits, as the front end).

    Chunk boundaries depend on the chunk before, so fields are read in one pass;
    the values are then laid out with numpy."""
    bits = _Bits(_as_bytes(rle))
    if bits.total < _HEADER_BITS:
        raise InvalidInput(f"brush RLE of {bits.total // 8} bytes has no complete header")
    num = bits.read(32)
    word = bits.read(5) + 1
    sizes = [bits.read(4) + 1 for _ in range(4)]
    dtype = np.uint8 if word < 9 else np.uint16 if word < 17 else np.uint32
    counts: list[int] = []
    words: list[int] = []
    done = 0
    while done < num:
        repeat = bits.read(1)
        n = 1 + bits.read(sizes[bits.read(2)])
        if done + n > num:
            raise InvalidInput(f"brush RLE runs past its {num} values (at value {done})")
        if repeat:
            counts.append(n)
            words.append(bits.read(word))
        else:
            counts.extend([1] * n)
            words.extend(bits.read(word) for _ in range(n))
        done += n
    return np.repeat(np.asarray(words, dtype=dtype), np.asarray(counts, dtype=np.int64))


def mask_to_brush(mask: np.ndarray) -> list[int]:
    """Brush RLE of a boolean ``(height, width)`` mask: every RGBA byte 255 on the
    mask and 0 off it, as ``label_studio_sdk.converter.brush.mask2rle`` of ``mask * 255``."""
    m = np.asarray(mask, dtype=bool)
    return encode_rle(np.repeat(m.reshape(-1).astype(np.uint8) * 255, 4))


def brush_to_mask(rle: Sequence[int] | bytes, height: int, width: int) -> NDArray[np.bool_]:
    """Boolean ``(height, width)`` mask of a brush RLE: pixels whose alpha byte is
    not zero (the converter's ``decode_from_annotation`` takes the alpha channel)."""
    values = decode_rle(rle)
    if values.size != height * width * 4:
        raise InvalidInput(
            f"brush RLE holds {values.size} values, the image needs "
            f"{width} x {height} x 4 = {width * height * 4}"
        )
    mask: NDArray[np.bool_] = values.reshape(height, width, 4)[:, :, 3] != 0
    return mask


def polygon_to_mask(points: Sequence[Sequence[float]], height: int, width: int) -> np.ndarray:
    """Boolean mask of the pixels whose centres lie inside a polygon (even-odd rule),
    for painting polygon masks as brush strokes. Each edge toggles the pixels right
    of where it crosses a row's centre line; a running parity fills between."""
    pts = np.asarray([p[:2] for p in points], dtype=float)
    x0, y0 = pts[:, 0], pts[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    cy = np.arange(height) + 0.5
    # Half-open rule: an edge covers rows with min(y0, y1) <= cy < max(y0, y1).
    lo, hi = np.minimum(y0, y1), np.maximum(y0, y1)
    crosses = (cy[:, None] >= lo) & (cy[:, None] < hi)
    rows, edges = np.nonzero(crosses)
    t = (cy[rows] - y0[edges]) / (y1[edges] - y0[edges])
    xs = x0[edges] + t * (x1[edges] - x0[edges])
    # Pixel c is right of the crossing when c + 0.5 > x, i.e. c >= floor(x - 0.5) + 1.
    cols = np.clip(np.floor(xs - 0.5).astype(np.int64) + 1, 0, width)
    toggles = np.zeros((height, width + 1), dtype=np.int64)
    np.add.at(toggles, (rows, cols), 1)
    return (np.cumsum(toggles[:, :width], axis=1) % 2).astype(bool)
