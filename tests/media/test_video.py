from __future__ import annotations

import av
import numpy as np
import pytest

from labelwell.errors import InvalidInput
from labelwell.media import video
from waiting import wait_for


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    truth = video.write_demo_video(path, frames=40, fps=20)
    return path, truth


def decoded_in_order(path):
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_index_lists_every_frame_and_its_keyframes(clip, tmp_path):
    path, _ = clip
    index = video.load_index(path, tmp_path)
    assert (index.frames, index.fps, index.width, index.height) == (40, 20.0, 320, 240)
    assert index.keyframes[0] == 0 and len(index.keyframes) >= 3  # GOP of 12
    assert index.pts == sorted(index.pts)
    assert len(list(tmp_path.glob("*.json"))) == 1
    assert video.load_index(path, tmp_path) == index  # read back from the cache
    assert index.timecode(45) == "00:00:02:05"


def test_seeking_gives_exactly_the_frame_decoding_in_order_gives(clip, tmp_path):
    path, _ = clip
    expected = decoded_in_order(path)
    reader = video.FrameReader(path, video.load_index(path, tmp_path))
    try:
        # random jumps back and forth, then steps: each is the same pixels
        for n in [17, 3, 39, 0, 12, 11, 25, 26, 27, 5]:
            np.testing.assert_array_equal(reader.frame(n), expected[n])
        with pytest.raises(InvalidInput):
            reader.frame(40)
    finally:
        reader.close()


def test_frames_are_extracted_once_in_the_background(clip, tmp_path):
    path, _ = clip
    cache = video.ReaderCache(tmp_path)
    first = cache.jpeg(path, 7)  # decoded on demand; extraction starts
    assert first[:2] == b"\xff\xd8" and cache.jpeg(path, 7) is first
    folder = cache.frames_folder(path)
    wait_for(lambda: (folder / "complete").exists(), 60, "frames extracted")
    assert len(list(folder.glob("*.jpg"))) == 40
    reader = video.FrameReader(path, video.load_index(path, tmp_path))
    try:
        assert (folder / "12.jpg").read_bytes() == video.jpeg(reader.frame(12))
    finally:
        reader.close()
    assert cache.jpeg(path, 12) == (folder / "12.jpg").read_bytes()
    with pytest.raises(InvalidInput):
        cache.jpeg(path, 40)


def test_interpolation_rule():
    keyframes = [
        {"frame": 2, "x": 0, "y": 0, "width": 10, "height": 10},
        {"frame": 6, "x": 40, "y": 20, "width": 30, "height": 10, "occluded": True},
        {"frame": 8, "x": 0, "y": 0, "width": 1, "height": 1, "outside": True},
        {"frame": 10, "x": 5, "y": 5, "width": 5, "height": 5},
    ]
    rows = video.interpolate(keyframes, 13)
    assert not rows[:2, 4].any()  # before the first keyframe
    np.testing.assert_allclose(rows[4, :5], [20, 10, 20, 10, 1])  # halfway 2 -> 6
    np.testing.assert_allclose(rows[7, :6], [40, 20, 30, 10, 1, 1])  # holds towards outside
    assert not rows[8:10, 4].any()  # outside until the next keyframe
    np.testing.assert_allclose(rows[12, :5], [5, 5, 5, 5, 1])  # the last box holds
    assert video.box_at(keyframes, 9) is None
    assert video.box_at(keyframes, 4) == {
        "frame": 4,
        "x": 20.0,
        "y": 10.0,
        "width": 20.0,
        "height": 10.0,
        "occluded": False,
    }


def test_tracker_follows_a_moving_rectangle(clip, tmp_path):
    path, truth = clip
    reader = video.FrameReader(path, video.load_index(path, tmp_path))
    try:
        found = video.propagate(reader, 0, truth[0][0], 15)
        again = video.propagate(reader, 0, truth[0][0], 15)
    finally:
        reader.close()
    assert again == found  # deterministic: the same box on the same frames
    assert [b["frame"] for b in found] == list(range(1, 16))
    for box in found:
        want = truth[0][box["frame"]]
        assert abs(box["x"] - want["x"]) < 5 and abs(box["y"] - want["y"]) < 5
    with pytest.raises(InvalidInput):
        video.propagate(video.FrameReader(path, reader.index), 0, {"x": 500, "y": 0,
                        "width": 10, "height": 10}, 3)  # fmt: skip


def test_not_a_video(tmp_path):
    bad = tmp_path / "x.mp4"
    bad.write_bytes(b"not a video")
    with pytest.raises(InvalidInput):
        video.build_index(bad)


def test_extraction_takes_the_wanted_frames_group_first(clip, tmp_path):
    """Extraction goes a group of pictures at a time, starting with the group of
    the frame the annotator is at, then the groups after it, then the rest."""
    path, _ = clip
    index = video.load_index(path, tmp_path)
    groups = video.gops(index)
    assert groups[0][0] == 0 and groups[-1][1] == 40
    assert [g[0] for g in groups] == index.keyframes
    folder = tmp_path / "frames"
    seen: list[set[int]] = []

    def wanted() -> int:  # what is on disk each time the extraction picks a group
        seen.append({int(p.stem) for p in folder.glob("*.jpg")})
        return 30

    assert video.extract_frames(path, index, folder, wanted=wanted) == 40
    at = next(k for k, (a, b) in enumerate(groups) if a <= 30 < b)
    order = groups[at:] + groups[:at]
    for k, done in enumerate(seen):
        assert done == {n for a, b in order[:k] for n in range(a, b)}
    assert (folder / "complete").read_text() == "40"
    reader = video.FrameReader(path, index)
    try:
        for n in (0, 11, 12, 30, 39):
            assert (folder / f"{n}.jpg").read_bytes() == video.jpeg(reader.frame(n))
    finally:
        reader.close()
