"""The video tool in chromium: frames by number, tracks drawn and moved across
keyframes with the mouse, outside and occluded flags and tracker suggestions by
key; the stored tracks are read back through the API, and the browser's
interpolation agrees with the exporter's (labelwell.media.video)."""

from __future__ import annotations

from typing import Any

import numpy as np

from labelwell.media.video import interpolate
from web.helpers import login, open_workspace, shot, submit_and_wait

WIDTH, HEIGHT = 320, 240  # the demo's clips
TRACKS = "[data-control=tracks]"


def to_screen(page: Any, x: float, y: float) -> tuple[float, float]:
    box = page.locator(f"{TRACKS} .video-overlay").bounding_box()
    return box["x"] + x * box["width"] / WIDTH, box["y"] + y * box["height"] / HEIGHT


def drag(page: Any, a: tuple[float, float], b: tuple[float, float]) -> None:
    page.mouse.move(*to_screen(page, *a))
    page.mouse.down()
    page.mouse.move(*to_screen(page, *b), steps=4)
    page.mouse.up()


def at_frame(page: Any, n: int) -> None:
    page.wait_for_selector(f"{TRACKS} .video-stage[data-frame='{n}']")


def test_tracks_with_keyframes_flags_and_tracker(page, site):
    page.set_default_timeout(30_000)  # frames decode on a busy machine too
    login(page, "ann1@demo.labelwell")
    first = open_workspace(page, site.seeded.ids["demo-video"])
    at_frame(page, 0)
    assert page.inner_text(f"{TRACKS} .video-timecode") == "00:00:00:00"
    # Frame 0: a red track on the red rectangle (x 10..70, y 40..80).
    drag(page, (10, 40), (70, 80))
    page.wait_for_selector(f"{TRACKS} [data-track='1']")
    for _ in range(10):
        page.keyboard.press(".")
    at_frame(page, 10)
    assert page.inner_text(f"{TRACKS} .video-timecode") == "00:00:00:10"
    # Move the box by 40 px at frame 10: a second keyframe.
    drag(page, (60, 60), (100, 60))
    page.keyboard.press("Shift+.")  # ten frames on
    at_frame(page, 20)
    page.keyboard.press("c")  # occluded from frame 20
    page.keyboard.press("Shift+.")
    at_frame(page, 30)
    page.keyboard.press("o")  # out of view from frame 30
    # The blue track: label 2, drawn at frame 30 on the blue rectangle, then the
    # tracker follows it over the next frames and the suggestions are accepted.
    page.keyboard.press("2")
    blue_x = WIDTH - 70 - 30 * (WIDTH - 120) // 47
    drag(page, (blue_x, 140), (blue_x + 50, 200))
    page.wait_for_selector(f"{TRACKS} [data-track='2']")
    page.keyboard.press("t")
    page.wait_for_selector(f"{TRACKS} .video-help button[title=A]:not([disabled])", timeout=60_000)
    page.keyboard.press("a")
    at_frame(page, 47)  # accepting shows the last suggested frame
    shot(page, "media-video")
    submit_and_wait(page, first)
    stored = [a for a in site.annotations("demo-video") if a["result"].get("tracks")]
    tracks = {t["track_id"]: t for t in stored[-1]["result"]["tracks"]}
    red, blue = tracks[1], tracks[2]
    assert red["label"] == "red" and blue["label"] == "blue"
    frames = [k["frame"] for k in red["keyframes"]]
    assert frames == [0, 10, 20, 30]
    k0, k10, k20, k30 = red["keyframes"]
    assert abs(k0["x"] - 10) < 2 and abs(k0["width"] - 60) < 2 and abs(k0["height"] - 40) < 2
    assert abs(k10["x"] - k0["x"] - 40) < 2 and k10["y"] == k0["y"]
    assert k20.get("occluded") is True and not k20.get("outside")
    assert k30.get("outside") is True
    # The tracker suggested frames 31..47; accepted, each is a keyframe.
    blue_frames = [k["frame"] for k in blue["keyframes"]]
    assert blue_frames[0] == 30 and blue_frames[-1] == 47 and len(blue_frames) == 18
    truth_x = WIDTH - 70 - 47 * (WIDTH - 120) // 47
    assert abs(blue["keyframes"][-1]["x"] - truth_x) < 25


JS_INTERPOLATE = """async ([keyframes, frames]) => {
  const m = await import('/static/js/tools/video_tracks.js');
  return Array.from(m.interpolate(keyframes, frames));
}"""


def test_browser_and_python_interpolate_alike(page, site):
    login(page, "ann1@demo.labelwell")
    rng = np.random.default_rng(3)
    frames = 400
    picks = np.sort(rng.choice(frames - 20, size=25, replace=False)) + 10
    keyframes = [
        {
            "frame": int(f),
            "x": float(rng.uniform(0, 300)),
            "y": float(rng.uniform(0, 200)),
            "width": float(rng.uniform(5, 80)),
            "height": float(rng.uniform(5, 80)),
            **({"outside": True} if rng.random() < 0.2 else {}),
            **({"occluded": True} if rng.random() < 0.3 else {}),
        }
        for f in picks
    ]
    js = np.array(page.evaluate(JS_INTERPOLATE, [keyframes, frames])).reshape(frames, 6)
    np.testing.assert_allclose(js, interpolate(keyframes, frames), atol=1e-9)


def test_action_segments_on_a_video(page, site):
    page.set_default_timeout(30_000)
    # ann1: after the tracks test they hold the second clip's lease (the next task)
    login(page, "ann1@demo.labelwell")
    first = open_workspace(page, site.seeded.ids["demo-video"])
    actions = "[data-control=actions]"
    page.wait_for_selector(f"{actions} .video-stage[data-frame='0']")
    page.click(f"{actions} legend")  # the actions panel takes the keys
    for _ in range(6):
        page.keyboard.press(".")
    page.keyboard.press("[")  # crossing starts on frame 6 ...
    page.keyboard.press("Shift+.")
    page.keyboard.press(".")
    page.wait_for_selector(f"{actions} .video-stage[data-frame='17']")
    page.keyboard.press("]")  # ... and ends after frame 17
    page.keyboard.press("2")
    page.keyboard.press("Shift+.")
    page.keyboard.press("Shift+.")
    page.keyboard.press("[")  # apart from frame 37 to the last frame
    page.keyboard.press("End")
    page.wait_for_selector(f"{actions} .video-stage[data-frame='47']")
    page.keyboard.press("]")
    assert page.locator(f"{actions} .video-segment").count() == 2
    shot(page, "media-video-segments")
    submit_and_wait(page, first)
    stored = [a for a in site.annotations("demo-video") if a["result"].get("actions")]
    segments = sorted((s["label"], s["start"], s["end"]) for s in stored[-1]["result"]["actions"])
    assert segments == [("apart", round(37 / 24, 3), 2.0), ("crossing", 0.25, 0.75)]
