"""Media answers in chromium away from the workspace: the quality page shows the
pairwise agreement of audio regions and speakers, video tracks and cuboids with
the values worked out by hand, and the data manager's item page draws each
annotator's regions on the file's waveform, tracks on a frame and cuboids from
above, side by side (the read-only views of ro_media.js)."""

from __future__ import annotations

from web.helpers import SHOTS, login, shot
from web.test_readonly_media import AUDIO, CUBOIDS, VIDEO, _project

# ann2 hears the first speaker's turn 0.1 s later under another name and calls
# the noise speech: region F1 2 * 1 / (2 + 2) = 0.5 (one of two labels agrees);
# speakers 1 - (0.1 / 1.7 + 0.1 / 1.6) / 2 = 0.939 (DER both ways, NIST RT-09)
AUDIO_2 = {
    "turns": [
        {"id": "x", "label": "speech", "start": 0.5, "end": 2.1, "speaker": "Ben"},
        {"id": "y", "label": "speech", "start": 3.0, "end": 4.0},
    ]
}
# ann2 draws only the car: F1 2 * 1 / (2 + 1)
CUBOIDS_2 = {"cuboids": CUBOIDS[0]["cuboids"][:1]}


def scores(page) -> dict[tuple[str, str], str]:
    rows = page.locator("#qual-media-table tbody tr")
    return {
        (rows.nth(i).get_attribute("data-control"), rows.nth(i).get_attribute("data-measure")): (
            rows.nth(i).locator("td.score").inner_text()
        )
        for i in range(rows.count())
    }


def test_quality_page_and_item_page_show_media(page, site):
    audio = _project(site, "demo-audio", (AUDIO[0], AUDIO_2), agree=False)
    video = _project(site, "demo-video", (VIDEO[0], VIDEO[0]), agree=False)
    cuboids = _project(site, "demo-pointcloud", (CUBOIDS[0], CUBOIDS_2), agree=False)
    login(page, "manager@demo.labelwell")

    page.goto(f"/projects/{audio[0]}/manage")
    page.click("#nav-quality")
    page.wait_for_selector("#qual-media-table")
    assert scores(page) == {("turns", "segment_f1"): "0.500", ("turns", "diarization"): "0.939"}
    pairs = page.locator(".qual-detail[open] .qual-pairs tbody tr")
    assert pairs.count() == 1 and "ann1@demo.labelwell · ann2@demo.labelwell" in pairs.inner_text()
    shot(page, "quality-media-agreement")
    page.goto(f"/projects/{video[0]}/quality")
    assert scores(page)[("tracks", "idf1")] == "1.000"
    page.goto(f"/projects/{cuboids[0]}/quality")
    assert scores(page) == {("cuboids", "cuboid_f1"): "0.667"}
    page.select_option("#lang-select", "ko")  # the same page in Korean
    page.click("form[action='/lang'] button")
    page.wait_for_selector("html[lang=ko]")
    assert page.inner_text("#qual-media-title") == "미디어 일치도"
    assert "직육면체 F1" in page.inner_text("#qual-media-table")
    page.select_option("#lang-select", "en")
    page.click("form[action='/lang'] button")
    page.wait_for_selector("html[lang=en]")

    page.goto(f"/projects/{audio[0]}/data/{audio[1]}")
    answers = page.locator("#dm-answers .annotation")
    answers.first.wait_for()
    assert answers.count() == 2
    for i in range(2):
        answers.nth(i).locator("canvas.ro-wave[data-peaks]").wait_for(state="attached")
    assert answers.nth(1).locator("tbody tr[data-region]").count() == 2
    page.wait_for_timeout(300)
    page.locator(".dm-side").screenshot(path=str(SHOTS / "data-manager-item-audio.png"))

    page.goto(f"/projects/{video[0]}/data/{video[1]}")
    frames = page.locator("#dm-answers .annotation canvas.ro-frame-boxes[data-frame='0']")
    frames.first.wait_for(state="attached")
    assert frames.count() == 2
    page.wait_for_timeout(300)
    page.locator(".dm-side").screenshot(path=str(SHOTS / "data-manager-item-video.png"))

    page.goto(f"/projects/{cuboids[0]}/data/{cuboids[1]}")
    tops = page.locator("#dm-answers .annotation canvas.ro-topview")
    tops.first.wait_for()
    assert [tops.nth(i).get_attribute("data-boxes") for i in range(2)] == ["2", "1"]
    page.locator(".dm-side").screenshot(path=str(SHOTS / "data-manager-item-pointcloud.png"))


def test_annotators_are_refused_the_quality_page(page, site):
    pid, _ = _project(site, "demo-pointcloud", (CUBOIDS[0], CUBOIDS_2), agree=False)
    login(page, "ann1@demo.labelwell")
    r = page.goto(f"/projects/{pid}/quality")
    assert r is not None and r.status == 403
    assert page.locator("#qual-media").count() == 0
