"""The expert's escalation inbox: items whose annotators could not agree,
resolved with an adjudicated label and a note, by keyboard and by mouse."""

from __future__ import annotations

from web.helpers import UNLABELLED, login, shot
from web.seed import ESCALATED_TEXTS


def _ready(page, value: str) -> None:
    page.wait_for_selector(f"body[data-ready='{value}'], #esc-status.error", state="attached")
    assert not page.locator("#esc-status.error").count(), page.inner_text("#esc-status")


def test_only_those_who_may_adjudicate_escalations_see_the_inbox(page, site):
    pid = site.seeded.ids["escalate"]
    login(page, "reviewer@demo.labelwell")
    card = page.locator(f".project[data-project='{pid}']")
    assert card.count() == 1 and card.locator("[data-link=escalations]").count() == 0
    page.goto(f"/projects/{pid}/review")
    assert page.locator("#nav-escalations").count() == 0
    response = page.goto(f"/projects/{pid}/escalations")
    assert response.status == 403
    assert "manage" in page.inner_text("#error-message")
    # The API agrees: a reviewer cannot settle an escalated item.
    first = site.seeded.escalated_items[0]
    refused = page.evaluate(
        """async (id) => (await fetch(`/api/v1/items/${id}/adjudicate`, {method: "POST",
            headers: {"Content-Type": "application/json", "X-CSRF-Token":
              document.querySelector('meta[name="csrf-token"]').content},
            body: JSON.stringify({result: {sentiment: "pos"}})})).status""",
        first,
    )
    assert refused == 403


def test_expert_resolves_escalations_by_keyboard_and_mouse(page, site):
    pid = site.seeded.ids["escalate"]
    first, second = site.seeded.escalated_items
    login(page, "manager@demo.labelwell")
    page.click(f".project[data-project='{pid}'] [data-link=escalations]")
    _ready(page, str(first))
    assert page.inner_text("#esc-count") == "2"
    cards = page.locator(f"[data-item='{first}'] .annotation")
    assert cards.count() == 3
    # Every annotation side by side, read-only, in the annotators' terms.
    votes = {
        cards.nth(k).locator("strong").inner_text(): cards.nth(k)
        .locator("dd[data-control=sentiment]")
        .inner_text()
        for k in range(3)
    }
    assert votes == {
        "ann1@demo.labelwell": "pos",
        "ann2@demo.labelwell": "neu",
        "ann3@demo.labelwell": "neg",
    }
    assert "Kim" in cards.nth(0).locator("dd[data-control=entities]").inner_text()
    shot(page, "escalations")

    # Keyboard: start from the first annotation (its PER span comes along),
    # change the sentiment with a number key, write the note, resolve.
    page.keyboard.press("Alt+1")
    page.keyboard.press("2")  # the choice panel is active: neg
    page.focus("#esc-note")
    page.keyboard.type("Sarcasm: the annotators read it three ways; it is negative.")
    page.keyboard.press("Control+Enter")
    _ready(page, str(second))
    assert page.inner_text("#esc-count") == "1"
    assert page.locator(f"#esc-items [data-item='{first}']").count() == 0

    # The second item carries markup that must stay inert.
    assert page.locator(".item-text", has_text="<script>").count() >= 1
    assert page.evaluate("window.__pwned") is None
    # Mouse only: pick the option, write the note, press Resolve.
    page.click("[data-control=sentiment] label.option:has-text('neu')")
    page.fill("#esc-note", "No opinion in it.")
    page.click("#esc-resolve")
    _ready(page, "done")
    assert page.locator("#esc-empty").is_visible()
    assert page.evaluate("window.__pwned") is None

    queue = site.api("GET", f"/projects/{pid}/review-queue", params={"state": "escalated"})
    assert queue.json()["count"] == 0
    resolved = site.api("GET", f"/projects/{pid}/review-queue", params={"state": "resolved"})
    by_item = {
        e["id"]: [a for a in e["annotations"] if a["source"] == "consensus"]
        for e in resolved.json()["data"]
    }
    assert set(by_item) == {first, second}
    adjudicated = by_item[first][0]
    assert adjudicated["agent"] == "adjudicated:manager@demo.labelwell"
    assert adjudicated["result"] == {
        "sentiment": "neg",
        "entities": [{"id": "k", "start": 0, "end": 3, "label": "PER", "text": "Kim"}],
    }
    assert adjudicated["details"]["note"] == (
        "Sarcasm: the annotators read it three ways; it is negative."
    )
    assert by_item[second][0]["result"] == {"sentiment": "neu"}
    assert by_item[second][0]["details"]["note"] == "No opinion in it."
    # The annotator who agreed with the adjudicated label is accepted.
    statuses = {
        a["agent"]: a["status"]
        for e in resolved.json()["data"]
        if e["id"] == second
        for a in e["annotations"]
        if a["source"] == "human"
    }
    assert statuses["ann2@demo.labelwell"] == "accepted"
    texts = {e["id"]: e["data"]["text"] for e in resolved.json()["data"]}
    assert texts == {first: ESCALATED_TEXTS[0], second: ESCALATED_TEXTS[1]}


def test_escalation_inbox_in_korean(page, site):
    login(page, "admin@demo.labelwell")
    page.select_option("#lang-select", "ko")
    page.click("form[action='/lang'] button")
    page.wait_for_selector("text=내 프로젝트")
    page.goto(f"/projects/{site.seeded.ids['review']}/escalations")
    assert "에스컬레이션 수신함" in page.inner_text("h1")
    page.wait_for_selector("body[data-ready]:not([data-ready=''])", state="attached")
    assert page.inner_text("#esc-resolve").startswith("해결")
    assert "판정 라벨" in page.inner_text(".adjudication h2")


def test_inbox_controls_are_labelled_and_fit_at_200_percent(browser, site):
    context = browser.new_context(base_url=site.url, viewport={"width": 640, "height": 430})
    page = context.new_page()
    try:
        login(page, "admin@demo.labelwell")
        page.goto(f"/projects/{site.seeded.ids['review']}/escalations")
        page.wait_for_selector("body[data-ready]:not([data-ready=''])", state="attached")
        assert page.locator(".annotation").count() == 3
        assert page.evaluate(UNLABELLED) == []
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"
    finally:
        context.close()
