"""Segmentation masks (COCO run-length encoding or a polygon) and panoptic segments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labelwell.schema._checks import MAX_INT, Reader, fail, json_type, key_problem, show
from labelwell.schema.controls.base import register_control
from labelwell.schema.controls.image import ImageControl, ImageSize, check_polygon
from labelwell.schema.labels import read_labels

_RLE_KEYS = frozenset({"size", "counts"})


def decode_rle_string(counts: str) -> list[int] | None:
    """Run lengths of a COCO compressed RLE string, or None if it is malformed.

    The format of ``rleFrString`` in the COCO API (``maskApi.c``): each count is
    written 5 bits per character (offset 48), bit 6 marks continuation, the last
    character's bit 5 is a sign, and counts after the second are deltas from the
    count two places back."""
    runs: list[int] = []
    k = x = 0
    more = False
    for char in counts:
        c = ord(char) - 48
        if not 0 <= c < 64:
            return None
        x |= (c & 0x1F) << (5 * k)
        more = bool(c & 0x20)
        k += 1
        if not more:
            if c & 0x10:
                x |= -1 << (5 * k)
            if len(runs) > 2:
                x += runs[-2]
            runs.append(x)
            k = x = 0
    return None if more else runs


def check_rle(field: str, rle: Any, size: ImageSize) -> None:
    """A COCO RLE ``{"size": [h, w], "counts": str | list[int]}`` whose runs cover
    exactly h * w pixels, and whose size is the image's when the data gives it."""
    if type(rle) is not dict:
        fail(field, f"must be an object {{size, counts}}, got {json_type(rle)} {show(rle)}")
    if rle.keys() != _RLE_KEYS:
        key_problem(field, rle, _RLE_KEYS, _RLE_KEYS)
    dims = rle["size"]
    if (
        type(dims) is not list
        or len(dims) != 2
        or not all(type(v) is int and 0 < v <= MAX_INT for v in dims)
    ):
        fail(f"{field}.size", f"must be [height, width] positive integers, got {show(dims)}")
    h, w = dims
    width, height = size
    if (height is not None and h != height) or (width is not None and w != width):
        fail(f"{field}.size", f"[{h}, {w}] is not the image size [{height}, {width}]")
    counts = rle["counts"]
    if type(counts) is str:
        runs = decode_rle_string(counts)
        if runs is None:
            fail(f"{field}.counts", "is not a valid COCO compressed RLE string")
    elif type(counts) is list:
        runs = counts
        for j, run in enumerate(runs):
            if type(run) is not int:
                fail(f"{field}.counts[{j}]", f"must be an integer, got {show(run)}")
    else:
        fail(f"{field}.counts", f"must be a string or a list of integers, got {json_type(counts)}")
    if any(run < 0 for run in runs):
        fail(f"{field}.counts", "has a negative run length")
    total = sum(runs)
    if total != h * w:
        fail(f"{field}.counts", f"runs cover {total} pixels, the mask has {h} x {w} = {h * w}")


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class Mask(ImageControl):
    """Masks ``{"id", "label", "rle": {"size": [h, w], "counts"}}`` or with a
    ``"points"`` polygon instead of ``"rle"``."""

    type = "mask"
    region_keys = (frozenset({"rle", "points"}), frozenset())

    def region_checker(self) -> Callable[[dict[str, Any], int, Any], None]:
        key = self.name

        def check(region: dict[str, Any], i: int, size: ImageSize) -> None:
            rle, points = region.get("rle"), region.get("points")
            if (rle is None) == (points is None):
                fail(f"{key}[{i}]", "needs exactly one of rle or points")
            if rle is not None:
                check_rle(f"{key}[{i}].rle", rle, size)
            else:
                check_polygon(f"{key}[{i}].points", points, size)

        return check


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class Panoptic(Mask):
    """Panoptic segments: a mask plus ``"instance_id": int`` and ``"is_thing": bool``,
    which must agree with the label's declared ``is_thing``; (label, instance_id)
    pairs are unique."""

    type = "panoptic"
    region_keys = (frozenset({"rle", "points", "instance_id", "is_thing"}),) + (
        frozenset({"instance_id", "is_thing"}),
    )

    @classmethod
    def _read_options(cls, r: Reader) -> dict[str, Any]:
        return {"labels": read_labels(r, panoptic=True)}

    def region_checker(self) -> Callable[[dict[str, Any], int, Any], None]:
        key = self.name
        mask_check = super().region_checker()
        things = {label.name: bool(label.is_thing) for label in self.labels}

        def check(region: dict[str, Any], i: int, size: ImageSize) -> None:
            instance, is_thing = region["instance_id"], region["is_thing"]
            if type(instance) is not int or not 0 <= instance <= MAX_INT:
                fail(
                    f"{key}[{i}].instance_id",
                    f"must be a non-negative integer, got {show(instance)}",
                )
            if type(is_thing) is not bool:
                fail(f"{key}[{i}].is_thing", f"must be true or false, got {show(is_thing)}")
            declared = things[region["label"]]
            if is_thing != declared:
                fail(
                    f"{key}[{i}].is_thing",
                    f"label {region['label']!r} is declared is_thing: {str(declared).lower()}",
                )
            mask_check(region, i, size)

        return check

    def finish_checker(self) -> Callable[[list[Any], Any], None] | None:
        key = self.name

        def check(regions: list[Any], size: ImageSize) -> None:
            seen: set[tuple[str, int]] = set()
            for i, region in enumerate(regions):
                pair = (region["label"], region["instance_id"])
                if pair in seen:
                    fail(f"{key}[{i}].instance_id", f"duplicate instance {pair[1]} of {pair[0]!r}")
                seen.add(pair)

        return check
