from __future__ import annotations

import pytest

from labelwell.errors import InvalidInput

from ..support import one

AUDIO = one({"name": "turns", "type": "time_region", "labels": ["speech", "music"]})
VIDEO = one({"name": "tracks", "type": "video_track", "labels": ["car", "person"]})
LIDAR = one(
    {
        "name": "boxes",
        "type": "cuboid",
        "labels": [
            {
                "name": "vehicle",
                "attributes": [
                    {"name": "occlusion", "type": "choice", "options": ["none", "partial", "full"]},
                    {"name": "truncation", "type": "number", "min": 0, "max": 1},
                ],
            }
        ],
    }
)


def turn(i: int, start, end, **extra) -> dict:
    return {"id": f"t{i}", "label": "speech", "start": start, "end": end, **extra}


def test_time_regions(refuse) -> None:
    data = {"audio": "a.wav", "duration": 10.0}
    AUDIO.validate({"turns": [turn(0, 0, 4.5, speaker="A"), turn(1, 3.0, 10, speaker="B")]}, data)
    AUDIO.validate({"turns": [turn(0, 0, 400)]}, {"audio": "a.wav"})  # no duration: no upper bound
    refuse(
        AUDIO,
        {"turns": [turn(0, 2, 12)]},
        data,
        "turns[0].end",
        "12 s is past the end of the media (10.0 s)",
    )
    refuse(AUDIO, {"turns": [turn(0, 5, 5)]}, data, "turns[0].end", "not after start 5")
    refuse(AUDIO, {"turns": [turn(0, -1, 5)]}, data, "turns[0].start", "negative")
    refuse(AUDIO, {"turns": [turn(0, "0:01", 5)]}, data, "turns[0].start", "number")
    refuse(
        AUDIO, {"turns": [turn(0, 1, 5, speaker=3)]}, data, "turns[0].speaker", "non-empty string"
    )
    refuse(AUDIO, {"turns": [turn(0, 1, 5)]}, {"duration": -2}, "data.duration", "positive number")


def test_time_region_transcripts(refuse) -> None:
    data = {"audio": "a.wav", "duration": 10.0}
    AUDIO.validate({"turns": [turn(0, 0, 4.5, speaker="A", text="hello there")]}, data)
    AUDIO.validate({"turns": [turn(0, 0, 4.5, text="")]}, data)  # an empty transcript is kept
    AUDIO.validate({"turns": [turn(0, 0, 4.5, speaker="A")]}, data)  # old data stays valid
    refuse(AUDIO, {"turns": [turn(0, 1, 5, text=7)]}, data, "turns[0].text", "must be a string")
    refuse(AUDIO, {"turns": [turn(0, 1, 5, words="x")]}, data, "turns[0].words", "unknown key")


def track(tid, *frames, **extra) -> dict:
    keyframes = [{"frame": f, "x": 1, "y": 2, "width": 30, "height": 40} for f in frames]
    return {"track_id": tid, "label": "car", "keyframes": keyframes, **extra}


def test_video_tracks(refuse) -> None:
    data = {"video": "v.mp4", "frames": 100}
    VIDEO.validate({"tracks": [track(1, 0, 10, 99), track("p-2", 5)]}, data)
    refuse(
        VIDEO,
        {"tracks": [track(1, 0, 10, 10)]},
        data,
        "tracks[0].keyframes[2].frame",
        "does not come after frame 10",
    )
    refuse(
        VIDEO,
        {"tracks": [track(1, 5, 3)]},
        data,
        "tracks[0].keyframes[1].frame",
        "3 does not come after frame 5",
    )
    refuse(
        VIDEO,
        {"tracks": [track(1, 0, 100)]},
        data,
        "tracks[0].keyframes[1].frame",
        "past the last frame (100 frames)",
    )
    refuse(
        VIDEO,
        {"tracks": [track(1, -1)]},
        data,
        "tracks[0].keyframes[0].frame",
        "non-negative integer",
    )
    refuse(VIDEO, {"tracks": [track(1)]}, data, "tracks[0].keyframes", "non-empty list")
    refuse(
        VIDEO, {"tracks": [track(1, 0), track(1, 3)]}, data, "tracks[1].track_id", "duplicate id 1"
    )
    refuse(VIDEO, {"tracks": [track(1.5, 0)]}, data, "tracks[0].track_id", "string or integer")
    bad = track(1, 0)
    bad["keyframes"][0]["width"] = 0
    refuse(VIDEO, {"tracks": [bad]}, data, "tracks[0].keyframes[0].width", "not positive")
    bad["keyframes"][0] |= {"width": 3, "outside": "no"}
    refuse(VIDEO, {"tracks": [bad]}, data, "tracks[0].keyframes[0].outside", "true or false")
    bad["keyframes"][0] |= {"outside": True, "z": 1}
    refuse(VIDEO, {"tracks": [bad]}, data, "tracks[0].keyframes[0].z", "unknown key")
    refuse(
        VIDEO,
        {"tracks": [{"id": "x", "label": "car", "keyframes": []}]},
        data,
        "tracks[0].id",
        "unknown key",
    )
    refuse(VIDEO, {"tracks": [track(1, 0)]}, {"frames": 2.5}, "data.frames", "positive integer")


def cuboid(**extra) -> dict:
    return {
        "id": "c0",
        "label": "vehicle",
        "center": [10.2, -3.1, 0.9],
        "dimensions": [4.5, 1.9, 1.6],
        "rotation": [1.57, 0, 0],
    } | extra


def test_cuboids(refuse) -> None:
    data = {"pointcloud": "s.pcd"}
    LIDAR.validate(
        {
            "boxes": [
                cuboid(
                    tracking_id="t7",
                    num_points=120,
                    attributes={"occlusion": "partial", "truncation": 0.2},
                )
            ]
        },
        data,
    )
    refuse(
        LIDAR,
        {"boxes": [cuboid(dimensions=[4.5, 0, 1.6])]},
        data,
        "boxes[0].dimensions[1]",
        "not positive",
    )
    refuse(LIDAR, {"boxes": [cuboid(center=[1, 2])]}, data, "boxes[0].center", "3 numbers")
    refuse(LIDAR, {"boxes": [cuboid(rotation=[0, "a", 0])]}, data, "boxes[0].rotation[1]", "number")
    refuse(LIDAR, {"boxes": [cuboid(num_points=-1)]}, data, "boxes[0].num_points", "non-negative")
    refuse(
        LIDAR,
        {"boxes": [cuboid(tracking_id=[1])]},
        data,
        "boxes[0].tracking_id",
        "string or integer",
    )
    refuse(
        LIDAR,
        {"boxes": [cuboid(attributes={"occlusion": "most"})]},
        data,
        "boxes[0].attributes.occlusion",
        "'most' is not one of none",
    )
    refuse(
        LIDAR,
        {"boxes": [cuboid(attributes={"truncation": 1.5})]},
        data,
        "boxes[0].attributes.truncation",
        "above the maximum 1",
    )
    refuse(LIDAR, {"boxes": [cuboid(velocity=[0, 0, 0])]}, data, "boxes[0].velocity", "unknown key")


def test_cuboids_in_a_sequence_name_their_frame(refuse) -> None:
    data = {"pointcloud": ["f0.pcd", "f1.pcd", "f2.pcd"]}
    LIDAR.validate({"boxes": [cuboid(frame=0), cuboid(id="c1", frame=2, tracking_id=4)]}, data)
    refuse(LIDAR, {"boxes": [cuboid(frame=3)]}, data, "boxes[0].frame", "past the last frame")
    refuse(LIDAR, {"boxes": [cuboid(frame=-1)]}, data, "boxes[0].frame", "non-negative")
    refuse(LIDAR, {"boxes": [cuboid(frame=1.0)]}, data, "boxes[0].frame", "non-negative")
    LIDAR.validate({"boxes": [cuboid(frame=7)]}, {"pointcloud": "one.pcd"})  # no list: no bound
    LIDAR.validate({"boxes": [cuboid(frame=1, tracking_id=4, interpolated=True)]}, data)
    refuse(
        LIDAR, {"boxes": [cuboid(interpolated=1)]}, data, "boxes[0].interpolated", "true or false"
    )


def test_validate_data_for_media() -> None:
    AUDIO.validate_data({"audio": "a.wav", "duration": 3})
    VIDEO.validate_data({"video": "v.mp4", "frames": 3})
    LIDAR.validate_data({"pointcloud": "p.pcd"})
    for ont, data, field in (
        (AUDIO, {"audio": "a.wav", "duration": "3s"}, "duration"),
        (VIDEO, {"video": "v.mp4", "frames": 0}, "frames"),
        (LIDAR, {"image": "p.pcd"}, "pointcloud"),
    ):
        with pytest.raises(InvalidInput) as info:
            ont.validate_data(data)
        assert info.value.field == field
