"""Regions in time and space: audio/video segments, video tracks, lidar cuboids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labelwell.schema._checks import MAX_INT, fail, json_type, key_problem, show
from labelwell.schema.controls.base import (
    RegionControl,
    data_number,
    number_at,
    register_control,
)


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class TimeRegion(RegionControl):
    """Segments ``{"id", "label", "start", "end", "speaker"?, "text"?}`` in seconds
    with 0 <= start < end <= ``data["duration"]`` when the data gives it; ``speaker``
    names the speaker (diarization), ``text`` is the segment's transcript."""

    type = "time_region"
    default_source = "audio"
    region_keys = (frozenset({"start", "end", "speaker", "text"}), frozenset({"start", "end"}))

    def check_data(self, data: dict[str, Any]) -> None:
        super().check_data(data)
        data_number(data, "duration", prefix="")

    def prepare(self, data: Any) -> float | None:
        return data_number(data, "duration")

    def region_checker(self) -> Callable[[dict[str, Any], int, Any], None]:
        key = self.name

        def check(region: dict[str, Any], i: int, duration: float | None) -> None:
            start = number_at(region["start"], "{}[{}].start", key, i)
            end = number_at(region["end"], "{}[{}].end", key, i)
            if start < 0:
                fail(f"{key}[{i}].start", f"{start} is negative")
            if end <= start:
                fail(f"{key}[{i}].end", f"{end} is not after start {start}")
            if duration is not None and end > duration:
                fail(f"{key}[{i}].end", f"{end} s is past the end of the media ({duration} s)")
            speaker = region.get("speaker")
            if speaker is not None and (type(speaker) is not str or not speaker):
                fail(f"{key}[{i}].speaker", f"must be a non-empty string, got {show(speaker)}")
            text = region.get("text")
            if text is not None and type(text) is not str:
                fail(f"{key}[{i}].text", f"must be a string, got {show(text)}")

        return check


_FRAME_KEYS = frozenset({"frame", "x", "y", "width", "height", "outside", "occluded"})
_FRAME_NEEDED = frozenset({"frame", "x", "y", "width", "height"})


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class VideoTrack(RegionControl):
    """Tracks ``{"track_id", "label", "keyframes": [{"frame", "x", "y", "width",
    "height", "outside"?, "occluded"?}]}``: frames strictly increasing and below
    ``data["frames"]`` (the frame count) when the data gives it. Boxes may run past
    the frame edge."""

    type = "video_track"
    default_source = "video"
    id_key = "track_id"
    region_keys = (frozenset({"keyframes"}),) * 2

    def check_data(self, data: dict[str, Any]) -> None:
        super().check_data(data)
        data_number(data, "frames", integer=True, prefix="")

    def prepare(self, data: Any) -> int | None:
        return data_number(data, "frames", integer=True)

    def region_checker(self) -> Callable[[dict[str, Any], int, Any], None]:
        key = self.name

        def check(track: dict[str, Any], i: int, frames: int | None) -> None:
            keyframes = track["keyframes"]
            if type(keyframes) is not list or not keyframes:
                fail(f"{key}[{i}].keyframes", f"must be a non-empty list, got {show(keyframes)}")
            previous = -1
            for j, kf in enumerate(keyframes):
                at = f"{key}[{i}].keyframes[{j}]"
                if type(kf) is not dict:
                    fail(at, f"must be an object, got {json_type(kf)} {show(kf)}")
                if not (kf.keys() <= _FRAME_KEYS and kf.keys() >= _FRAME_NEEDED):
                    key_problem(at, kf, _FRAME_KEYS, _FRAME_NEEDED)
                frame = kf["frame"]
                if type(frame) is not int or not 0 <= frame <= MAX_INT:
                    fail(f"{at}.frame", f"must be a non-negative integer, got {show(frame)}")
                if frame <= previous:
                    fail(f"{at}.frame", f"{frame} does not come after frame {previous}")
                if frames is not None and frame >= frames:
                    fail(f"{at}.frame", f"{frame} is past the last frame ({frames} frames)")
                previous = frame
                number_at(kf["x"], "{}.x", at)
                number_at(kf["y"], "{}.y", at)
                for extent in ("width", "height"):
                    if number_at(kf[extent], "{}.{}", at, extent) <= 0:
                        fail(f"{at}.{extent}", f"{kf[extent]} is not positive")
                for flag in ("outside", "occluded"):
                    value = kf.get(flag)
                    if value is not None and type(value) is not bool:
                        fail(f"{at}.{flag}", f"must be true or false, got {show(value)}")

        return check


def _vector(value: Any, positive: bool, key: str, i: int, what: str) -> None:
    if type(value) is not list or len(value) != 3:
        fail(f"{key}[{i}].{what}", f"must be a list of 3 numbers, got {show(value)}")
    for j, v in enumerate(value):
        if number_at(v, "{}[{}].{}[{}]", key, i, what, j) <= 0 and positive:
            fail(f"{key}[{i}].{what}[{j}]", f"{v} is not positive")


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class Cuboid(RegionControl):
    """3D boxes ``{"id", "label", "center": [x, y, z], "dimensions": [l, w, h],
    "rotation": [yaw, pitch, roll], "tracking_id"?, "num_points"?, "frame"?,
    "interpolated"?}`` in the point cloud's frame; dimensions > 0, rotation in
    radians; ``frame`` is the index of the frame in a sequence (the source field
    holds a list of frames); ``interpolated: true`` marks a box the tool filled in
    between two keyframes of its track.
    Per-label ``attributes`` (occlusion, truncation...) are declared on the labels."""

    type = "cuboid"
    default_source = "pointcloud"
    region_keys = (
        frozenset(
            {
                "center",
                "dimensions",
                "rotation",
                "tracking_id",
                "num_points",
                "frame",
                "interpolated",
            }
        ),
        frozenset({"center", "dimensions", "rotation"}),
    )

    def prepare(self, data: Any) -> int | None:
        frames = data.get(self.source) if type(data) is dict else None
        return len(frames) if type(frames) is list else None

    def region_checker(self) -> Callable[[dict[str, Any], int, Any], None]:
        key = self.name

        def check(box: dict[str, Any], i: int, ctx: Any) -> None:
            _vector(box["center"], False, key, i, "center")
            _vector(box["dimensions"], True, key, i, "dimensions")
            _vector(box["rotation"], False, key, i, "rotation")
            tracking = box.get("tracking_id")
            if tracking is not None and (type(tracking) not in (str, int) or tracking == ""):
                fail(
                    f"{key}[{i}].tracking_id", f"must be a string or integer, got {show(tracking)}"
                )
            points = box.get("num_points")
            if points is not None and (type(points) is not int or not 0 <= points <= MAX_INT):
                fail(
                    f"{key}[{i}].num_points", f"must be a non-negative integer, got {show(points)}"
                )
            frame = box.get("frame")
            if frame is not None and (type(frame) is not int or not 0 <= frame <= MAX_INT):
                fail(f"{key}[{i}].frame", f"must be a non-negative integer, got {show(frame)}")
            if frame is not None and ctx is not None and frame >= ctx:
                fail(f"{key}[{i}].frame", f"{frame} is past the last frame ({ctx} frames)")
            between = box.get("interpolated")
            if between is not None and type(between) is not bool:
                fail(f"{key}[{i}].interpolated", f"must be true or false, got {show(between)}")

        return check
