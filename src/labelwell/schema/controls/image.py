"""Image regions in pixels, top-left origin: boxes, polygons and keypoints.
Each must lie within the image when the item data gives ``width`` and ``height``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labelwell.schema._checks import MAX_INT, NUMBER, Reader, fail, json_type, show
from labelwell.schema.controls.base import (
    RegionControl,
    data_number,
    number_at,
    register_control,
)
from labelwell.schema.labels import read_labels

# Pixel coordinates converted from normalised ones may overshoot the edge by a rounding error.
EDGE_TOLERANCE = 1e-6

ImageSize = tuple[float | None, float | None]


def image_size(data: Any) -> ImageSize:
    return data_number(data, "width"), data_number(data, "height")


def check_point(point: Any, length: int, field: str, *parts: Any) -> tuple[float, float]:
    """The x, y of an ``[x, y]`` (or ``[x, y, v]``) point at ``field.format(*parts)``."""
    if type(point) is not list or len(point) != length:
        fail(field.format(*parts), f"must be a list of {length} numbers, got {show(point)}")
    x = number_at(point[0], field + "[0]", *parts)
    y = number_at(point[1], field + "[1]", *parts)
    return x, y


def check_inside(field: str, x: float, y: float, size: ImageSize) -> None:
    width, height = size
    if x < -EDGE_TOLERANCE or (width is not None and x > width + EDGE_TOLERANCE):
        fail(field, f"x = {x} is outside the image (width {width})")
    if y < -EDGE_TOLERANCE or (height is not None and y > height + EDGE_TOLERANCE):
        fail(field, f"y = {y} is outside the image (height {height})")


class ImageControl(RegionControl):
    default_source = "image"

    def check_data(self, data: dict[str, Any]) -> None:
        super().check_data(data)
        data_number(data, "width", prefix="")
        data_number(data, "height", prefix="")

    def prepare(self, data: Any) -> ImageSize:
        return image_size(data)


def check_polygon(field: str, points: Any, size: ImageSize) -> None:
    if type(points) is not list or len(points) < 3:
        fail(field, f"must be a list of at least 3 [x, y] points, got {show(points)}")
    width, height = size
    tol = EDGE_TOLERANCE
    for j, point in enumerate(points):
        x, y = check_point(point, 2, "{}[{}]", field, j)
        if (
            x < -tol
            or y < -tol
            or (width is not None and x > width + tol)
            or (height is not None and y > height + tol)
        ):
            check_inside(f"{field}[{j}]", x, y, size)


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class BBox(ImageControl):
    """Boxes ``{"id", "label", "x", "y", "width", "height"}``; width, height > 0."""

    type = "bbox"
    region_keys = (frozenset({"x", "y", "width", "height"}),) * 2

    def region_checker(self) -> Callable[[dict[str, Any], int, Any], None]:
        key = self.name
        tol = EDGE_TOLERANCE

        def explain(box: dict[str, Any], i: int) -> None:
            x = number_at(box["x"], "{}[{}].x", key, i)
            y = number_at(box["y"], "{}[{}].y", key, i)
            w = number_at(box["width"], "{}[{}].width", key, i)
            h = number_at(box["height"], "{}[{}].height", key, i)
            for name, v in (("x", x), ("y", y), ("width", w), ("height", h)):
                if not -MAX_INT <= v <= MAX_INT:
                    fail(f"{key}[{i}].{name}", f"{v} is out of range")
            if w <= 0:
                fail(f"{key}[{i}].width", f"{w} is not positive")
            if h <= 0:
                fail(f"{key}[{i}].height", f"{h} is not positive")
            if x < -tol:
                fail(f"{key}[{i}].x", f"{x} is left of the image")
            fail(f"{key}[{i}].y", f"{y} is above the image")

        def check(box: dict[str, Any], i: int, size: ImageSize) -> None:
            x, y, w, h = box["x"], box["y"], box["width"], box["height"]
            # One expression for the common case; the range tests also refuse nan,
            # infinities and integers too large for float arithmetic.
            if not (
                type(x) in NUMBER
                and type(y) in NUMBER
                and type(w) in NUMBER
                and type(h) in NUMBER
                and -tol <= x <= MAX_INT
                and -tol <= y <= MAX_INT
                and 0 < w <= MAX_INT
                and 0 < h <= MAX_INT
            ):
                explain(box, i)
            width, height = size
            if width is not None and x + w > width + tol:
                fail(f"{key}[{i}].width", f"x + width = {x + w} is past the image width {width}")
            if height is not None and y + h > height + tol:
                fail(
                    f"{key}[{i}].height", f"y + height = {y + h} is past the image height {height}"
                )

        return check


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class Polygon(ImageControl):
    """Polygons ``{"id", "label", "points": [[x, y], ...]}`` of at least 3 points."""

    type = "polygon"
    region_keys = (frozenset({"points"}),) * 2

    def region_checker(self) -> Callable[[dict[str, Any], int, Any], None]:
        key = self.name

        def check(region: dict[str, Any], i: int, size: ImageSize) -> None:
            check_polygon(f"{key}[{i}].points", region["points"], size)

        return check


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class Keypoints(ImageControl):
    """Keypoints per the label's skeleton: ``{"id", "label", "points": {name: [x, y, v]}}``
    with COCO visibility v in {0, 1, 2} (0 = not labeled). Keypoints left out count as
    not labeled; a labeled one (v > 0) must lie inside the image."""

    type = "keypoints"
    region_keys = (frozenset({"points"}),) * 2

    @classmethod
    def _read_options(cls, r: Reader) -> dict[str, Any]:
        return {"labels": read_labels(r, keypoints=True)}

    def region_checker(self) -> Callable[[dict[str, Any], int, Any], None]:
        key = self.name
        names = {
            label.name: frozenset(label.skeleton.keypoints)
            for label in self.labels
            if label.skeleton is not None
        }

        def check(region: dict[str, Any], i: int, size: ImageSize) -> None:
            points = region["points"]
            field = f"{key}[{i}].points"
            if type(points) is not dict:
                fail(
                    field,
                    f"must be an object of keypoint name to [x, y, v], got {json_type(points)}",
                )
            allowed = names[region["label"]]
            for name, point in points.items():
                if name not in allowed:
                    fail(
                        f"{field}.{name}",
                        f"not a keypoint of {region['label']!r} ({', '.join(sorted(allowed))})",
                    )
                x, y = check_point(point, 3, "{}.{}", field, name)
                v = point[2]
                if type(v) is not int or v not in (0, 1, 2):
                    fail(f"{field}.{name}[2]", f"visibility must be 0, 1 or 2, got {show(v)}")
                if v:
                    check_inside(f"{field}.{name}", x, y, size)

        return check
