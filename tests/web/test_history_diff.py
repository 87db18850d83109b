"""An item's history draws what a revision changed: spans marked in the text
(added, removed, relabelled), boxes on the image in two colours (the earlier
dashed red, the new green, the unchanged grey) and the choice changed, not JSON."""

from __future__ import annotations

import uuid

from labelwell.demo import png_bytes
from web.helpers import login, shot

DIFF = {
    "name": "diff",
    "controls": [
        {"name": "entities", "type": "spans", "source": "text", "labels": ["PER", "LOC", "ORG"]},
        {"name": "boxes", "type": "bbox", "source": "image", "labels": ["car", "person"]},
        {"name": "mood", "type": "choice", "source": "text", "options": ["calm", "tense"]},
    ],
}
TEXT = "Alice met Bob in Paris."


def test_a_revision_is_drawn_against_the_one_it_replaces(page, site):
    media = site.home / "media" / "diff"
    media.mkdir(parents=True, exist_ok=True)
    image = media / "street.png"
    image.write_bytes(png_bytes(400, 240, [(40, 60, 120, 90, (70, 90, 160))]))
    body = {"name": f"diff-{uuid.uuid4().hex[:8]}", "ontology": DIFF, "gold_ratio": 0}
    pid = site.api("POST", "/projects", json=body).json()["id"]
    manager = site.seeded.users["manager@demo.labelwell"]
    site.api("PUT", f"/projects/{pid}/members/{manager}", json={"role": "manager"})
    item = {"data": {"text": TEXT, "image": str(image)}, "media": [str(image)]}
    r = site.api("POST", f"/projects/{pid}/items", json={"items": [item]})
    assert r.status_code == 201, r.text

    task = site.api("POST", f"/projects/{pid}/tasks/next").json()
    first = {
        "entities": [
            {"id": "r1", "start": 0, "end": 5, "label": "PER"},
            {"id": "r2", "start": 17, "end": 22, "label": "LOC"},
        ],
        "boxes": [
            {"id": "r5", "x": 40, "y": 60, "width": 120, "height": 90, "label": "car"},
            {"id": "r6", "x": 250, "y": 40, "width": 60, "height": 150, "label": "person"},
        ],
        "mood": "calm",
    }
    r = site.api("POST", f"/assignments/{task['assignment_id']}/submit", json={"result": first})
    assert r.status_code == 201, r.text
    fixed = {
        "entities": [
            {"id": "r3", "start": 10, "end": 13, "label": "PER"},
            {"id": "r4", "start": 17, "end": 22, "label": "ORG"},
        ],
        "boxes": [
            {"id": "r7", "x": 40, "y": 60, "width": 120, "height": 90, "label": "car"},
            {"id": "r8", "x": 300, "y": 100, "width": 50, "height": 110, "label": "person"},
        ],
        "mood": "tense",
    }
    r = site.api("PATCH", f"/annotations/{r.json()['id']}", json={"result": fixed})
    assert r.status_code == 200, r.text
    history = site.api("GET", f"/items/{task['item_id']}/history").json()["data"]
    assert [h["revision"] for h in history] == [1, 2]

    login(page, "manager@demo.labelwell")
    page.goto(f"/projects/{pid}/data/{task['item_id']}")  # the data manager's item view
    page.click("#dm-item-history")
    page.wait_for_selector("#item-history[data-loaded='2']", state="attached")
    spans = page.locator(".diff-control.drawn[data-control=entities]")
    assert spans.locator("mark.diff-removed").all_inner_texts() == ["Alice"]
    assert spans.locator("mark.diff-added").all_inner_texts() == ["Bob"]
    assert spans.locator("mark.diff-changed").all_inner_texts() == ["Paris"]
    assert "LOC → ORG" in spans.locator("li.diff-changed").inner_text()
    boxes = page.locator(".diff-control.drawn[data-control=boxes]")
    assert boxes.locator("rect.diff-added").count() == 1
    assert boxes.locator("rect.diff-removed").count() == 1
    assert boxes.locator("rect.diff-kept").count() == 1
    page.wait_for_selector(".diff-overlay[viewBox='0 0 400 240']", state="attached")
    choice = page.locator(".diff-control.drawn[data-control=mood]")
    assert choice.locator("del").inner_text() == "calm"
    assert choice.locator("ins").inner_text() == "tense"
    assert page.locator(".item-history pre.ro-json").count() == 0  # no raw JSON
    page.locator("#item-history").scroll_into_view_if_needed()
    shot(page, "history-diff")
