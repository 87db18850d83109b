"""RLHF tools: pairwise with a reason and aspect ratings, ranking by keyboard
and by drag, and a correction with its diff."""

from __future__ import annotations

from web.helpers import login, open_workspace, shot, submit_and_wait


def test_pairwise_with_reason_and_aspect_ratings(page, site):
    login(page, "ann3@demo.labelwell")
    first = open_workspace(page, site.seeded.ids["demo-rlhf"])
    page.keyboard.press("1")  # A is better
    page.fill("[data-control=preference] textarea", "B is wrong")
    page.click("[data-control=quality] legend")
    for key in ("4", "5", "3"):  # helpfulness, accuracy, safety
        page.keyboard.press(key)
    shot(page, "workspace-pairwise")
    submit_and_wait(page, first)
    mine = [a for a in site.annotations("demo-rlhf") if a["agent"] == "ann3@demo.labelwell"]
    assert mine[0]["result"] == {
        "preference": {"choice": "a", "reason": "B is wrong"},
        "quality": {"helpfulness": 4, "accuracy": 5, "safety": 3},
    }


def test_ranking_by_keyboard_and_drag_then_correction(page, site):
    login(page, "ann1@demo.labelwell")
    first = open_workspace(page, site.seeded.ids["ranking"])
    page.click("[data-control=order] legend")
    page.keyboard.press("ArrowDown")  # focus the second response (r2)
    page.keyboard.press("3")  # ... and put it last: r1, r3, r2
    items = page.locator(".rank-item")
    items.nth(1).drag_to(items.nth(0))  # drag r3 to the top: r3, r1, r2
    assert page.locator(".rank-item").evaluate_all("els => els.map(e => e.dataset.id)") == [
        "r3",
        "r1",
        "r2",
    ]
    page.select_option("[data-control=rewrite] select", index=1)
    page.fill("[data-control=rewrite] textarea", "Lyon is not the capital; Paris is.")
    page.click("[data-control=order] legend")
    assert page.locator("[data-control=rewrite] .diff ins").count() >= 1
    assert page.locator("[data-control=rewrite] .diff del").count() >= 1
    shot(page, "workspace-ranking")
    submit_and_wait(page, first)
    result = site.annotations("ranking")[0]["result"]
    assert result == {
        "order": [["r3"], ["r1"], ["r2"]],
        "rewrite": {"response_id": "r2", "text": "Lyon is not the capital; Paris is."},
    }


MODELS = ("helpful-v2", "baseline-v1")  # the demo's comparisons name them in the data


def _api_bodies(responses) -> list[str]:
    return [r.text() for r in responses if "/api/v1/" in r.url and r.status != 204]


def test_raters_see_responses_as_letters_never_the_model(page, site):
    stored = site.api("GET", f"/projects/{site.seeded.ids['demo-rlhf']}/items").json()["data"]
    assert all(r["model"] in MODELS for i in stored for r in i["data"]["responses"])  # stored
    seen = []
    page.on("response", lambda r: seen.append(r))
    login(page, "ann2@demo.labelwell")
    first = open_workspace(page, site.seeded.ids["demo-rlhf"])
    headings = page.locator("[data-control=preference] .response h3").all_inner_texts()
    assert [h.strip() for h in headings] == ["Response A", "Response B"]
    page.keyboard.press("2")
    second = submit_and_wait(page, first)
    assert second != first
    task = page.evaluate("JSON.stringify(window.lw.state.task)")
    boot = page.evaluate("document.getElementById('boot').textContent")
    fetched = _api_bodies(seen)
    assert any('"responses"' in body for body in fetched)  # the tasks themselves were read
    for text in (page.content(), task, boot, *fetched):
        assert not any(model in text for model in MODELS), text[:300]
        assert "provenance" not in text


def test_reviewers_see_responses_without_the_model(page, site):
    seen = []
    page.on("response", lambda r: seen.append(r))
    login(page, "reviewer@demo.labelwell")
    page.goto(f"/projects/{site.seeded.ids['demo-rlhf']}/review")
    page.wait_for_selector("#review-queue .review-item, #review-empty")
    assert page.locator("#review-queue .review-item").count() >= 1  # the judgments above
    boot = page.evaluate("document.getElementById('boot').textContent")
    assert '"responses"' in boot
    for text in (page.content(), boot, *_api_bodies(seen)):
        assert not any(model in text for model in MODELS), text[:300]
