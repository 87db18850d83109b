"""Label Studio's brush RLE (``labelwell.formats.ls_brush``) against bytes made by
label-studio-sdk 2.1.2's own encoder (``fixtures/label_studio_brush_rle.json``,
made by ``fixtures/label_studio_make_fixtures.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from labelwell.errors import InvalidInput
from labelwell.formats.ls_brush import (
    brush_to_mask,
    decode_rle,
    encode_rle,
    mask_to_brush,
    polygon_to_mask,
)

FIXTURE = Path(__file__).parent / "fixtures" / "label_studio_brush_rle.json"


def make_mask(spec: dict) -> np.ndarray:
    """The recipe of ``label_studio_make_fixtures.make_mask``."""
    m = np.zeros((spec["height"], spec["width"]), dtype=bool)
    for y0, y1, x0, x1 in spec["boxes"]:
        m[y0:y1, x0:x1] = True
    if spec.get("checker"):
        m = np.add.outer(np.arange(spec["height"]), np.arange(spec["width"])) % 2 == 1
    return m


def test_masks_encode_to_the_sdk_bytes_and_back():
    doc = json.loads(FIXTURE.read_text())
    assert len(doc["masks"]) == 6
    for spec in doc["masks"]:
        mask = make_mask(spec)
        assert mask_to_brush(mask) == spec["rle"], spec["height"]
        back = brush_to_mask(spec["rle"], spec["height"], spec["width"])
        assert back.dtype == bool and np.array_equal(back, mask)


def test_runs_of_every_length_class_match_the_sdk():
    values = json.loads(FIXTURE.read_text())["values"]
    lengths = values["run_lengths"]
    words = (np.arange(len(lengths)) * 37 + 5) % 256
    arr = np.repeat(words, lengths).astype(np.uint8)
    assert encode_rle(arr) == values["rle"]
    assert np.array_equal(decode_rle(values["rle"]), arr)
    assert np.array_equal(decode_rle(bytes(values["rle"])), arr)


@pytest.mark.parametrize("seed", range(5))
def test_decode_of_encode_is_exact(seed):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(1, 90, size=2)
    mask = rng.random((h, w)) < rng.random()
    assert np.array_equal(brush_to_mask(mask_to_brush(mask), h, w), mask)
    values = np.repeat(rng.integers(0, 256, 60), rng.integers(1, 400, 60)).astype(np.uint8)
    assert np.array_equal(decode_rle(encode_rle(values)), values)


def test_empty_array_and_padding():
    # count 0, word size 8 (7), sizes 3, 4, 8, 16 (2, 3, 7, 15): 53 bits, 3 of padding.
    assert encode_rle(np.zeros(0, dtype=np.uint8)) == [0, 0, 0, 0, 57, 27, 248]
    assert decode_rle([0, 0, 0, 0, 57, 27, 248]).size == 0


def test_literal_chunks_of_several_words_decode():
    # Hand-packed: 3 values, word size 8, sizes (3, 4, 8, 16); one literal chunk
    # (flag 0, size index 0, length - 1 = 2) of the words 1, 2, 3.
    bits = f"{3:032b}{7:05b}{2:04b}{3:04b}{7:04b}{15:04b}" + "0" + "00" + "010"
    bits += "".join(f"{v:08b}" for v in (1, 2, 3))
    bits += "0" * (-len(bits) % 8)
    data = [int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)]
    assert decode_rle(data).tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("rle", "message"),
    [
        ([0, 0, 0], "no complete header"),
        ([0, 0, 0, 9, 57, 27, 248], "ends inside a field"),
        ([0, 0, 0, 1, 57, 27, 252, 255, 255], "runs past"),
        ([0, 0, 300], "not a byte"),
        ("abc", "list of bytes"),
    ],
)
def test_bad_rle_is_refused(rle, message):
    with pytest.raises(InvalidInput, match=message):
        decode_rle(rle)


def test_wrong_image_size_is_refused():
    rle = mask_to_brush(np.ones((4, 5), dtype=bool))
    with pytest.raises(InvalidInput, match="5 x 5 x 4 = 100"):
        brush_to_mask(rle, 5, 5)


def _inside(px: float, py: float, pts: list[list[float]]) -> bool:
    """Ray casting with the half-open rule, one point at a time (the reference)."""
    inside = False
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True):
        if min(y0, y1) <= py < max(y0, y1):
            x = x0 + (py - y0) / (y1 - y0) * (x1 - x0)
            if x < px:
                inside = not inside
    return inside


@pytest.mark.parametrize(
    "pts",
    [
        [[1, 1], [8, 1], [8, 5], [1, 5]],
        [[0.2, 0.3], [11.7, 2.1], [6.4, 9.9]],
        [[2, 1], [10, 1], [10, 9], [6, 4], [2, 9]],  # concave
        [[0, 0], [12, 10], [12, 0], [0, 10]],  # self-crossing (even-odd)
    ],
)
def test_polygon_painting_matches_point_in_polygon(pts):
    h, w = 10, 12
    want = np.array(
        [[_inside(c + 0.5, r + 0.5, pts) for c in range(w)] for r in range(h)], dtype=bool
    )
    assert np.array_equal(polygon_to_mask(pts, h, w), want)
