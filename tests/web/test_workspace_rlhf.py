"""RLHF tools: pairwise with a reason and aspect ratings, ranking by keyboard
and by drag, and a correction with its diff."""

from __future__ import annotations

from web.fresh import annotations, new_project
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
    page.wait_for_selector(".review-item, #review-empty")
    assert page.locator(".review-item").count() >= 1  # the judgments above
    boot = page.evaluate("document.getElementById('boot').textContent")
    assert '"responses"' in boot
    for text in (page.content(), boot, *_api_bodies(seen)):
        assert not any(model in text for model in MODELS), text[:300]


RESPONSES = [
    {"id": "r1", "text": "Seoul."},
    {"id": "r2", "text": "The capital is Seoul."},
    {"id": "r3", "text": "Busan."},
]


def test_ranking_letters_match_the_correction_and_ties_can_be_made(page, site):
    ontology = {
        "name": "ties",
        "controls": [
            {"name": "order", "type": "ranking", "allow_ties": True, "required": True},
            {"name": "rewrite", "type": "correction"},
        ],
    }
    pid = new_project(
        site,
        ontology,
        [{"prompt": "Capital of Korea?", "responses": RESPONSES}],
        "ann1@demo.labelwell",
    )
    login(page, "ann1@demo.labelwell")
    first = open_workspace(page, pid)
    letters = page.locator(".rank-item .letter").evaluate_all(
        "els => els.map(e => e.dataset.letter)"
    )
    assert letters == ["A", "B", "C"]
    names = page.locator(".rank-item .response-name").all_inner_texts()
    assert [n.strip() for n in names] == ["Response A", "Response B", "Response C"]
    options = page.locator("[data-control=rewrite] option").all_inner_texts()
    assert options == ["Response A", "Response B", "Response C"]  # the same letters
    badge = page.locator("[data-control=rewrite] .letter")
    assert badge.get_attribute("data-letter") == "A"
    page.select_option("[data-control=rewrite] select", index=2)
    assert badge.get_attribute("data-letter") == "C"
    page.select_option("[data-control=rewrite] select", index=0)
    # a tie: by key (T ties the focused response with the one above) ...
    page.click("[data-control=order] legend")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("t")
    assert page.locator(".rank-item.tied").count() == 1
    assert page.locator(".rank-item .rank").all_inner_texts() == ["1", "=1", "2"]
    # ... and by the button, which says what it does and toggles back
    third = page.locator(".rank-item").nth(2).locator("button.tie")
    assert third.inner_text() == "= Tie with the one above"
    third.click()
    assert page.locator(".rank-item .rank").all_inner_texts() == ["1", "=1", "=1"]
    page.locator(".rank-item").nth(2).locator("button.tie").click()  # untie
    assert (
        page.locator(".rank-item").nth(2).locator("button.tie").get_attribute("aria-pressed")
        == "false"
    )
    page.click("#btn-help")
    assert "tie the focused response" in page.inner_text("#help-dialog")
    page.click("#help-close")
    shot(page, "workspace-ranking-ties")
    page.click("[data-control=order] legend")
    submit_and_wait(page, first)
    (done,) = annotations(site, pid)
    assert done["result"] == {"order": [["r1", "r2"], ["r3"]]}


def test_the_rating_panel_says_which_responses_it_rates(page, site):
    ontology = {
        "name": "rated",
        "controls": [
            {"name": "preference", "type": "pairwise", "source": "responses"},
            {"name": "quality", "type": "rating", "source": "responses", "aspects": ["tone"]},
            {"name": "clarity", "type": "rating", "source": "prompt"},
        ],
    }
    pid = new_project(
        site,
        ontology,
        [{"prompt": "Capital of Korea?", "responses": RESPONSES[:2]}],
        "ann2@demo.labelwell",
    )
    login(page, "ann2@demo.labelwell")
    open_workspace(page, pid)
    rates = page.locator("[data-control=quality] .rates")
    assert rates.inner_text() == "Rates: Responses A, B, together"
    assert page.inner_text("[data-control=clarity] .rates") == "Rates: the item's “prompt”"
    heads = page.locator("[data-control=preference] .response h3").all_inner_texts()
    assert [x.strip() for x in heads] == ["Response A", "Response B"]
    shot(page, "workspace-pairwise-rates")
