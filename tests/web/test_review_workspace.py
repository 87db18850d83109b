"""Review inside the workspace, in the browser: the reviewer opens answers in
the annotator's own tools (spans in the text, boxes on the image, choices
checked), accepts, rejects with a comment or fixes with the tools; the
annotator redoes what came back; an item's history shows each revision's
change, and a comment's @mention reaches the person it names."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from web.helpers import login, open_workspace, shot
from web.seed import PASSWORD

W, H = 400, 300
ONTOLOGY = {
    "name": "review-tools",
    "controls": [
        {"name": "sentiment", "type": "choice", "source": "text", "options": ["pos", "neg"]},
        {"name": "entities", "type": "spans", "source": "text", "labels": ["PER", "ORG"]},
        {"name": "things", "type": "bbox", "source": "image", "labels": ["car", "person"]},
    ],
}
TEXTS = ["Kim works at Acme.", "Lee is in Seoul."]


def _token(site: Any, email: str) -> dict[str, str]:
    r = httpx.post(f"{site.url}/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _as(site: Any, who: dict[str, str], method: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.request(method, f"{site.url}/api/v1{path}", headers=who, timeout=30, **kw)


def _project(site: Any, annotator: str) -> int:
    """A project over text and the seeded image, ``annotator`` and the demo's
    reviewer as its members; returns its id."""
    name = f"review-tools-{uuid.uuid4().hex[:8]}"
    r = site.api("POST", "/projects", json={"name": name, "ontology": {**ONTOLOGY, "name": name},
                                            "gold_ratio": 0.0})
    r.raise_for_status()
    pid = int(r.json()["id"])
    for email, role in ((annotator, "annotator"), ("reviewer@demo.labelwell", "reviewer")):
        uid = site.seeded.users[email]
        site.api("PUT", f"/projects/{pid}/members/{uid}", json={"role": role}).raise_for_status()
    image = str(site.home / "media" / "shapes" / "field.png")  # written by the seed
    rows = [{"data": {"text": t, "image": image, "width": W, "height": H}, "media": [image]}
            for t in TEXTS]
    site.api("POST", f"/projects/{pid}/items", json={"items": rows}).raise_for_status()
    return pid


def _answer_all(site: Any, pid: int, who: dict[str, str], answers: dict[str, dict]) -> dict:
    """Submit ``answers[text]`` for each task; returns text -> annotation."""
    done = {}
    while True:
        task = _as(site, who, "POST", f"/projects/{pid}/tasks/next")
        if task.status_code == 204:
            return done
        body = task.json()
        r = _as(site, who, "POST", f"/assignments/{body['assignment_id']}/submit",
                json={"result": answers[body["data"]["text"]], "time_spent_ms": 4000})
        assert r.status_code == 201, r.text
        done[body["data"]["text"]] = r.json()


KIM = {"id": "s1", "start": 0, "end": 3, "label": "PER", "text": "Kim"}
CAR = {"id": "b1", "label": "car", "x": 50, "y": 50, "width": 120, "height": 80}
ANSWERS = {
    TEXTS[0]: {"sentiment": "pos", "entities": [KIM], "things": [CAR]},
    TEXTS[1]: {"sentiment": "pos"},
}


def test_reviewer_decides_in_the_labeling_tools(page, site):
    pid = _project(site, "ann1@demo.labelwell")
    ann1 = _token(site, "ann1@demo.labelwell")
    done = _answer_all(site, pid, ann1, ANSWERS)
    first, second = done[TEXTS[0]], done[TEXTS[1]]
    login(page, "reviewer@demo.labelwell")
    page.goto(f"/projects/{pid}/review")
    page.wait_for_selector(f"body[data-ready='{first['item_id']}']", state="attached")
    assert page.inner_text("#review-count") == "2"
    # the answer is in the tools: the span in the text, the box on the image, the choice checked
    panels = page.locator("#review-panels")
    assert panels.locator(".seg.ent").inner_text() == "Kim"
    assert panels.locator("g.region rect.body").count() == 1
    assert panels.locator("input[type=radio]:checked").get_attribute("value") == "pos"
    assert page.locator(f"body[data-answer='{first['id']}']").count() == 1
    page.wait_for_selector("#review-history[data-loaded='1']", state="attached")
    shot(page, "review-workspace")
    # a rejection needs a comment: the annotator reads it when they redo the item
    page.click("#review-reject")
    assert "comment" in page.inner_text("#review-status")
    page.fill("#review-comment", "Acme is an ORG: mark it too.")
    page.click("#review-reject")
    # settled: the item leaves the list, the next one is shown
    page.wait_for_selector(f"body[data-ready='{second['item_id']}']", state="attached")
    assert page.inner_text("#review-count") == "1"
    # fixing is editing in the same tools: accept gives way to "save my fix"
    assert page.is_enabled("#review-accept") and page.is_disabled("#review-fix")
    page.locator("#review-panels label.option", has_text="neg").click()
    page.wait_for_selector("#review-edited:not([hidden])", state="attached")
    assert page.is_disabled("#review-accept") and page.is_enabled("#review-fix")
    page.fill("#review-comment", "Being in Seoul is not positive.")
    page.click("#review-fix")
    page.wait_for_selector("#review-empty")
    assert page.inner_text("#review-count") == "0"
    rows = {a["id"]: a for a in site.api("GET", f"/projects/{pid}/annotations",
                                         params={"include_history": "true"}).json()["data"]}
    assert rows[first["id"]]["status"] == "rejected"
    (fix,) = [a for a in rows.values() if a["supersedes_id"] == second["id"]]
    assert fix["result"] == {"sentiment": "neg"} and fix["agent"] == "reviewer@demo.labelwell"
    assert fix["status"] == "accepted" and rows[second["id"]]["is_current"] is False
    # the settled list shows nothing left; "settled" items are read-only there
    page.select_option("#review-state", "resolved")
    page.wait_for_url("**state=resolved")
    page.wait_for_selector("body[data-ready='done']", state="attached")


def test_annotator_redoes_what_was_returned_to_them(page, site):
    pid = _project(site, "ann2@demo.labelwell")
    ann2 = _token(site, "ann2@demo.labelwell")
    done = _answer_all(site, pid, ann2, ANSWERS)
    returned = done[TEXTS[0]]
    reviewer = _token(site, "reviewer@demo.labelwell")
    r = _as(site, reviewer, "POST", f"/annotations/{returned['id']}/reviews",
            json={"decision": "reject", "comment": "Acme is an ORG: mark it too."})
    assert r.status_code == 201, r.text
    login(page, "ann2@demo.labelwell")
    open_workspace(page, pid)
    page.wait_for_selector("#returned-list li")
    assert page.inner_text("#returned-count") == "1"
    assert "Acme is an ORG" in page.inner_text("#returned-list")
    page.click(f"#returned-list button[data-annotation='{returned['id']}']")
    page.wait_for_selector(f"body[data-editing='{returned['id']}']", state="attached")
    assert "reviewer@demo.labelwell" in page.inner_text("#returned-comment")
    assert page.locator("#task .seg.ent").inner_text() == "Kim"  # their answer, in the tools
    shot(page, "review-returned")
    page.locator("#task label.option", has_text="neg").click()
    page.click("#btn-save-edit")
    page.wait_for_selector("#returned-none:not([hidden])", state="attached")
    assert page.locator("#returned-list li").count() == 0
    rows = site.api("GET", f"/projects/{pid}/annotations",
                    params={"include_history": "true"}).json()["data"]
    (redo,) = [a for a in rows if a["supersedes_id"] == returned["id"]]
    assert redo["status"] == "submitted" and redo["result"]["sentiment"] == "neg"
    assert redo["result"]["entities"] == [KIM]


def test_history_shows_each_change_and_a_mention_notifies(page, site):
    pid = _project(site, "ann3@demo.labelwell")
    ann3 = _token(site, "ann3@demo.labelwell")
    done = _answer_all(site, pid, ann3, ANSWERS)
    first = done[TEXTS[0]]
    reviewer = _token(site, "reviewer@demo.labelwell")
    moved = {**CAR, "x": 200}
    fixed = {"sentiment": "neg", "entities": [KIM], "things": [moved]}
    r = _as(site, reviewer, "POST", f"/annotations/{first['id']}/reviews",
            json={"decision": "fix", "comment": "The car is further right.", "result": fixed})
    assert r.status_code == 201, r.text
    login(page, "reviewer@demo.labelwell")
    page.goto(f"/items/{first['item_id']}")
    page.wait_for_selector(f"body[data-ready='{first['item_id']}']", state="attached")
    revisions = page.locator("#item-history li.revision")
    assert revisions.count() == 2
    change = revisions.nth(1)
    assert "reviewer@demo.labelwell" in change.inner_text()
    # only what changed, drawn: the choice struck through and replaced, the moved
    # box where it was (dashed) and where it is now; not the span
    changed = change.locator(".diff-control").evaluate_all(
        "els => els.map((e) => e.dataset.control)")
    assert changed == ["sentiment", "things"]
    assert change.locator(".diff-control[data-control=sentiment] del").inner_text() == "pos"
    assert change.locator(".diff-control[data-control=sentiment] ins").inner_text() == "neg"
    things = change.locator(".diff-control[data-control=things]")
    assert things.locator("rect.diff-added").get_attribute("x") == "200"
    assert things.locator("rect.diff-removed").get_attribute("x") == str(CAR["x"])
    review = revisions.nth(0).locator(".review-event.fix").inner_text()
    assert "reviewer@demo.labelwell" in review and "The car is further right." in review
    page.fill("#comment-body", "@ann3@demo.labelwell the box was on the wrong car.")
    page.click("#comment-post")
    page.wait_for_selector("#item-comments[data-comments='1']", state="attached")
    assert page.locator("#item-comments .mention").inner_text() == "@ann3@demo.labelwell"
    shot(page, "review-history")
    page.click("#logout")
    login(page, "ann3@demo.labelwell")
    assert page.inner_text("#mentions-count") == "1"
    page.click("#nav-mentions")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    assert "the box was on the wrong car" in page.inner_text("#mentions")
    assert page.locator("#mentions .comment.unread").count() == 1
    shot(page, "review-mentions")
    page.reload()
    page.wait_for_selector("body[data-ready='1']", state="attached")
    assert page.locator("#mentions .comment.unread").count() == 0
    assert page.locator("#mentions-count").count() == 0


def test_disagreements_are_settled_in_the_tools_and_leave_the_list(page, site):
    """Consensus sends an item to review when its spans differ: the reviewer
    picks that list, starts from the majority label in the tools, marks the
    span and settles it; the item moves to the settled list, read-only."""
    pid = _project(site, "ann1@demo.labelwell")
    uid = site.seeded.users["ann2@demo.labelwell"]
    site.api("PUT", f"/projects/{pid}/members/{uid}", json={"role": "annotator"}).raise_for_status()
    site.api("PATCH", f"/projects/{pid}", json={"overlap": 2}).raise_for_status()
    one = {TEXTS[0]: {"sentiment": "pos", "entities": [KIM]}, TEXTS[1]: {"sentiment": "neg"}}
    other = {TEXTS[0]: {"sentiment": "pos"}, TEXTS[1]: {"sentiment": "neg"}}
    done = _answer_all(site, pid, _token(site, "ann1@demo.labelwell"), one)
    _answer_all(site, pid, _token(site, "ann2@demo.labelwell"), other)
    item = done[TEXTS[0]]["item_id"]
    login(page, "reviewer@demo.labelwell")
    page.goto(f"/projects/{pid}/review")
    page.select_option("#review-state", "review")
    page.wait_for_url("**state=review")
    page.wait_for_selector(f"body[data-ready='{item}']", state="attached")
    assert page.inner_text("#review-count") == "1"
    consensus = page.locator(".answer-tab.consensus")
    assert consensus.count() == 1 and consensus.get_attribute("aria-pressed") == "true"
    assert page.locator("#review-panels input[type=radio]:checked").get_attribute("value") == "pos"
    assert page.locator("#review-panels .seg.ent").count() == 0  # no majority on the spans
    page.keyboard.press("Alt+1")  # the first answer, with the span, as a start
    page.wait_for_selector("#review-panels .seg.ent", state="attached")
    page.fill("#review-comment", "Kim is a person.")
    page.click("#review-settle")
    page.wait_for_selector("#review-empty")
    settled = [a for a in site.api("GET", f"/projects/{pid}/annotations",
                                   params={"item_id": item}).json()["data"]
               if a["source"] == "consensus"]
    assert [a["result"] for a in settled] == [{"sentiment": "pos", "entities": [KIM]}]
    assert settled[0]["agent"] == "adjudicated:reviewer@demo.labelwell"
    page.select_option("#review-state", "resolved")
    page.wait_for_url("**state=resolved")
    page.wait_for_selector(f"body[data-ready='{item}']", state="attached")
    assert page.locator("#review-settle, #review-accept").count() == 0
    assert page.locator("#review-panels fieldset[inert]").count() == 3
