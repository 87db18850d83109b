"""The audio tool in chromium: a waveform from server peaks, regions drawn with
the mouse and marked with keys, labels, a speaker, a transcript typed and one
taken from a speech server, speech suggestions, playback keys and undo; the
stored annotation is read back through the API."""

from __future__ import annotations

import pytest

from asr_server import asr_server, count_bursts
from labelwell.media import audio
from web.fresh import annotations, new_project
from web.helpers import login, open_workspace, shot, submit_and_wait

ONTOLOGY = {
    "name": "talk",
    "controls": [
        {"name": "turns", "type": "time_region", "source": "audio", "labels": ["speech", "noise"]}
    ],
}
SECONDS = 12.0


@pytest.fixture
def clip(site):
    samples, bursts = audio.speechlike(SECONDS, seed=11)
    folder = site.home / "media" / "audio-test"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "talk.wav"
    path.write_bytes(audio.wav_bytes(samples))
    return path, samples, bursts


def test_regions_speakers_and_transcripts(page, site, clip, browser):
    path, samples, bursts = clip
    pid = new_project(
        site, ONTOLOGY, [{"audio": str(path), "duration": SECONDS}], "ann1@demo.labelwell"
    )
    with asr_server() as asr:
        r = site.api("PATCH", f"/projects/{pid}/settings", json={"asr_url": asr})
        assert r.status_code == 200, r.text
        login(page, "ann1@demo.labelwell")
        first = open_workspace(page, pid)
        wave = page.locator(".audio-wave[data-ready='1']")
        wave.wait_for()
        assert int(wave.get_attribute("data-peaks")) >= 200  # drawn from the server's peaks

        # 1. drag on the waveform: a "speech" region around the first burst
        box = page.locator(".audio-wave").bounding_box()
        x0 = box["x"] + box["width"] * 0.05
        x1 = box["x"] + box["width"] * 0.20
        y = box["y"] + 50
        page.mouse.move(x0, y)
        page.mouse.down()
        page.mouse.move((x0 + x1) / 2, y, steps=4)
        page.mouse.move(x1, y, steps=4)
        page.mouse.up()
        page.locator(".audio-regions li").first.wait_for()

        # 2. keys: label noise, seek 5 s, mark, seek 5 s, mark: a region 5-10 s
        page.keyboard.press("2")
        page.keyboard.press("Shift+ArrowRight")
        page.keyboard.press("m")
        page.keyboard.press("Shift+ArrowRight")
        page.keyboard.press("m")
        page.wait_for_selector(".audio-regions li >> nth=1")
        page.keyboard.press("Shift+Digit1")  # a first speaker for the new region
        page.keyboard.press("t")  # its transcript box
        page.keyboard.type("hello there")
        page.keyboard.press("Enter")

        # 3. playback keys: faster, play, pause
        page.keyboard.press("]")
        page.wait_for_selector(".audio-wave[data-speed='1.25']", state="attached")
        page.keyboard.press("Space")
        page.wait_for_selector(".audio-wave[data-playing='1']", state="attached")
        page.keyboard.press("Space")
        page.wait_for_selector(".audio-wave[data-playing='0']", state="attached")

        # 4. speech suggestions: found, accepted, undone
        page.keyboard.press("d")
        page.locator("[data-action=accept-speech]").wait_for()
        before = page.locator(".audio-regions li").count()
        page.keyboard.press("a")
        page.wait_for_selector(f".audio-regions li >> nth={before}")
        page.keyboard.press("Control+z")
        page.wait_for_selector(f".audio-regions li >> nth={before}", state="detached")

        # 5. the speech server's transcript for the first region, taken
        page.keyboard.press("ArrowRight")  # the first region (regions go by start)
        page.click("text=Transcribe")
        page.locator("[data-use]").first.click()
        page.keyboard.press("v")  # the spectrogram
        page.locator(".audio-spectrogram canvas").first.wait_for()
        page.wait_for_selector(".audio-spectrogram[data-window]", state="attached")

        # 6. zoom in: the visible window's peaks at that zoom, and its spectrogram
        for _ in range(3):
            page.keyboard.press("+")
        page.wait_for_selector(".audio-wave[data-window]", state="attached")
        a, b = map(float, page.get_attribute(".audio-wave", "data-window").split("-"))
        assert 0 <= a < b <= SECONDS and b - a < SECONDS / 2
        assert int(page.get_attribute(".audio-wave", "data-window-peaks")) > 200
        page.wait_for_function(
            """() => { const [a, b] = document.querySelector('.audio-spectrogram')
                .dataset.window.split('-').map(Number); return b - a < 3; }"""
        )
        shot(page, "media-audio")
        # a seek scrolls the zoomed view: that window's peaks follow
        t = float(page.get_attribute(".audio-wave", "data-time") or 0) + 5
        page.keyboard.press("Shift+ArrowRight")
        page.wait_for_function(
            """(t) => { const [a, b] = document.querySelector('.audio-wave')
                .dataset.window.split('-').map(Number); return a <= t && t <= b; }""",
            arg=t,
        )
        page.keyboard.press("0")
        submit_and_wait(page, first, "Control+Enter")

    stored = annotations(site, pid)[0]
    turns = sorted(stored["result"]["turns"], key=lambda t: t["start"])
    assert [t["label"] for t in turns] == ["speech", "noise"]
    speech, noise = turns
    assert speech["start"] == pytest.approx(0.05 * SECONDS, abs=0.4)
    assert speech["end"] == pytest.approx(0.20 * SECONDS, abs=0.4)
    assert noise["start"] == pytest.approx(5.0, abs=0.05)
    assert noise["end"] == pytest.approx(10.0, abs=0.05)
    assert noise["speaker"] == "speaker 1" and noise["text"] == "hello there"
    expected = count_bursts(audio.wav_bytes(audio.clip(samples, speech["start"], speech["end"])))
    assert speech["text"] == f"{expected} bursts"
    assert "speaker" not in speech

    # the item's page shows the regions read-only, as review and escalation do
    context = browser.new_context(base_url=site.url)
    try:
        manager = context.new_page()
        login(manager, "manager@demo.labelwell")
        r = site.api(
            "PUT",
            f"/projects/{pid}/members/{site.seeded.users['manager@demo.labelwell']}",
            json={"role": "manager"},
        )
        assert r.status_code == 200, r.text
        manager.goto(f"/items/{stored['item_id']}")
        line = manager.locator(".ro-audio tr[data-region]", has_text="00:05.0–00:10.0")
        line.wait_for()
        assert "speaker 1" in line.inner_text()
        assert manager.locator(".ro-audio .ro-transcript", has_text="hello there").count() == 1
        assert manager.locator(".audio-wave").count() == 0  # nothing to edit there
    finally:
        context.close()
