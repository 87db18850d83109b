"""Media annotations read-only, in chromium: the escalation inbox and the review
page show audio time regions on the file's waveform with their times, speakers
and transcripts, a video's tracks on a frame with a keyframe table, and cuboids
from above with a table, on items of the demo's audio, video and point-cloud
projects; transcript text stays inert."""

from __future__ import annotations

import uuid

import httpx

from web.helpers import login, shot
from web.seed import PASSWORD

HOSTILE = '<img src=x onerror="window.__pwned=1"> & <b>bold</b>'
#: a choice next to the demo's controls: the annotators disagree on it (escalated)
#: or agree (the item waits in consensus review on the media alone)
VERDICT = {"name": "verdict", "type": "choice", "options": ["ok", "unsure"]}

AUDIO = (
    {
        "turns": [
            {
                "id": "a",
                "label": "speech",
                "start": 0.4,
                "end": 2.1,
                "speaker": "Ana",
                "text": HOSTILE,
            },
            {"id": "b", "label": "noise", "start": 3.0, "end": 4.25},
        ]
    },
    {
        "turns": [
            {
                "id": "c",
                "label": "speech",
                "start": 5.0,
                "end": 7.5,
                "speaker": "Ben",
                "text": "bye",
            }
        ]
    },
)
VIDEO = (
    {
        "tracks": [
            {
                "track_id": 1,
                "label": "red",
                "keyframes": [
                    {"frame": 0, "x": 10, "y": 12, "width": 40, "height": 30},
                    {"frame": 20, "x": 60, "y": 20, "width": 40, "height": 30, "occluded": True},
                    {"frame": 40, "x": 100, "y": 30, "width": 40, "height": 30, "outside": True},
                ],
            },
            {
                "track_id": 2,
                "label": "blue",
                "keyframes": [{"frame": 0, "x": 120, "y": 60, "width": 30, "height": 30}],
            },
        ],
        "actions": [{"id": "s", "label": "crossing", "start": 0.2, "end": 1.0}],
    },
    {
        "tracks": [
            {
                "track_id": 7,
                "label": "blue",
                "keyframes": [{"frame": 5, "x": 20, "y": 20, "width": 50, "height": 40}],
            }
        ]
    },
)
CUBOIDS = (
    {
        "cuboids": [
            {
                "id": "c1",
                "label": "car",
                "center": [8.0, 2.0, 0.8],
                "dimensions": [4.2, 1.8, 1.5],
                "rotation": [0.3, 0.0, 0.0],
                "tracking_id": 1,
            },
            {
                "id": "c2",
                "label": "pedestrian",
                "center": [5.0, -3.0, 0.9],
                "dimensions": [0.6, 0.6, 1.8],
                "rotation": [0.0, 0.0, 0.0],
            },
        ]
    },
    {
        "cuboids": [
            {
                "id": "c3",
                "label": "cyclist",
                "center": [12.0, -1.0, 0.9],
                "dimensions": [1.8, 0.6, 1.7],
                "rotation": [1.2, 0.0, 0.0],
            }
        ]
    },
)


def _token(site, email: str) -> dict[str, str]:
    r = httpx.post(
        f"{site.url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _project(site, demo: str, answers: tuple[dict, dict], agree: bool) -> tuple[int, int]:
    """A project of the demo's controls plus :data:`VERDICT`, holding the demo's
    first item, answered by two annotators: ``answers`` and the verdicts
    disagreeing (escalated) or agreeing (consensus review)."""
    demo_id = site.seeded.ids[demo]
    ontology = site.api("GET", f"/projects/{demo_id}").json()["ontology"]
    r = site.api("GET", f"/projects/{demo_id}/items", params={"limit": 1})
    assert r.status_code == 200, r.text
    data = r.json()["data"][0]["data"]
    ontology = {**ontology, "name": f"{demo}-ro", "controls": [*ontology["controls"], VERDICT]}
    body = {"name": f"{demo}-ro-{uuid.uuid4().hex[:8]}", "ontology": ontology, "gold_ratio": 0}
    r = site.api("POST", "/projects", json={**body, "overlap": 2})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    members = {
        "ann1@demo.labelwell": "annotator",
        "ann2@demo.labelwell": "annotator",
        "manager@demo.labelwell": "manager",
    }
    for email, role in members.items():
        r = site.api(
            "PUT", f"/projects/{pid}/members/{site.seeded.users[email]}", json={"role": role}
        )
        assert r.status_code == 200, r.text
    r = site.api("POST", f"/projects/{pid}/items", json={"items": [{"data": data}]})
    assert r.status_code == 201, r.text
    verdicts = ("ok", "ok") if agree else ("ok", "unsure")
    item_id = 0
    for email, answer, verdict in zip(
        ("ann1@demo.labelwell", "ann2@demo.labelwell"), answers, verdicts, strict=True
    ):
        headers = _token(site, email)
        task = httpx.post(
            f"{site.url}/api/v1/projects/{pid}/tasks/next", headers=headers, timeout=30
        )
        assert task.status_code == 200, task.text
        item_id = task.json()["item_id"]
        r = httpx.post(
            f"{site.url}/api/v1/assignments/{task.json()['assignment_id']}/submit",
            headers=headers,
            json={"result": {**answer, "verdict": verdict}},
            timeout=30,
        )
        assert r.status_code == 201, r.text
    return int(pid), int(item_id)


def _check_audio(card) -> None:
    view = card.locator("dd[data-control=turns] .ro-audio")
    view.wait_for()
    view.locator("canvas.ro-wave[data-peaks]").wait_for(state="attached")
    assert int(view.locator("canvas.ro-wave").get_attribute("data-peaks")) > 100
    rows = view.locator("tbody tr[data-region]")
    assert rows.count() == 2
    first = rows.nth(0).inner_text()
    assert "00:00.4–00:02.1" in first and "Ana" in first
    assert view.locator("tr[data-transcript='a']").inner_text() == HOSTILE  # as text


def _check_video(card) -> None:
    view = card.locator("dd[data-control=tracks] .ro-video")
    view.wait_for()
    view.locator("canvas.ro-frame-boxes[data-frame='0']").wait_for(state="attached")
    rows = view.locator("tbody tr")
    assert rows.count() == 4  # every keyframe of both tracks
    assert "occluded" in rows.nth(1).inner_text() and "outside" in rows.nth(2).inner_text()
    rows.nth(1).locator("button").click()  # the frame of the second keyframe, with its box
    view.locator("canvas.ro-frame-boxes[data-frame='20']").wait_for(state="attached")
    assert "frame 20" in view.locator(".ro-caption").inner_text()
    # the same item's segments: on a time line (the demo's video has no sound)
    card.locator("dd[data-control=actions] .ro-audio canvas[data-peaks]").wait_for(state="attached")


def _check_cuboids(card) -> None:
    view = card.locator("dd[data-control=cuboids] .ro-cuboids")
    view.wait_for()
    assert view.locator("canvas.ro-topview").get_attribute("data-boxes") == "2"
    rows = view.locator("tbody tr")
    assert rows.count() == 2
    assert "8.0, 2.0, 0.8" in rows.nth(0).inner_text() and "17°" in rows.nth(0).inner_text()
    assert "4.2×1.8×1.5" in rows.nth(0).inner_text()


def test_escalation_inbox_shows_media_read_only(page, site):
    cases = (
        ("demo-audio", AUDIO, _check_audio, "readonly-audio"),
        ("demo-video", VIDEO, _check_video, "readonly-video"),
        ("demo-pointcloud", CUBOIDS, _check_cuboids, "readonly-cuboids"),
    )
    made = [
        (_project(site, demo, answers, agree=False), check, name)
        for demo, answers, check, name in cases
    ]
    login(page, "manager@demo.labelwell")
    for (pid, item_id), check, name in made:
        page.goto(f"/projects/{pid}/escalations")
        page.wait_for_selector(f"body[data-ready='{item_id}']", state="attached")
        cards = page.locator(f"[data-item='{item_id}'] .annotation")
        assert cards.count() == 2
        check(cards.nth(0))
        cards.nth(0).scroll_into_view_if_needed()
        page.wait_for_timeout(300)  # the frame image and the peaks drawn
        cards.nth(0).screenshot(path=str(_shots() / f"{name}.png"))
        shot(page, f"{name}-page")
    assert page.evaluate("window.__pwned") is None


def test_review_history_shows_media_read_only(page, site):
    pid, item_id = _project(site, "demo-audio", AUDIO, agree=True)
    login(page, "manager@demo.labelwell")
    page.goto(f"/projects/{pid}/review?state=review")
    history = page.locator(f"#history-{item_id}")
    history.wait_for()
    revisions = history.locator(".revision.annotation.source-human")  # and the consensus's
    assert revisions.count() == 2
    _check_audio(revisions.nth(0))
    assert page.evaluate("window.__pwned") is None


def _shots():
    from web.helpers import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
