"""Log in, the project list, and the classification tools by keyboard."""

from __future__ import annotations

from web.helpers import login, open_workspace, shot, submit_and_wait


def test_login_refuses_a_wrong_password_then_lists_projects(page, site):
    page.goto("/login")
    shot(page, "login")
    page.fill("#email", "ann1@demo.labelwell")
    page.fill("#password", "not the password")
    page.click("#login-form button[type=submit]")
    assert "Wrong email or password" in page.inner_text("#login-error")
    login(page, "ann1@demo.labelwell")
    names = page.locator(".project h2").all_inner_texts()
    assert {"demo-sentiment", "classic", "ranking"} <= set(names)
    assert "console" not in names  # ann1 is not a member
    shot(page, "projects")


def test_sentiment_by_keyboard_without_reload(page, site):
    login(page, "ann1@demo.labelwell")
    first = open_workspace(page, site.seeded.ids["demo-sentiment"])
    shot(page, "workspace-choice")
    page.keyboard.press("1")
    second = submit_and_wait(page, first)
    page.keyboard.press("2")
    submit_and_wait(page, second)
    # One page load: the timings kept on window survive from task to task.
    assert page.evaluate("window.lw.timings.length") == 2
    mine = [a for a in site.annotations("demo-sentiment") if a["agent"] == "ann1@demo.labelwell"]
    assert [a["result"] for a in mine[:2]] == [{"sentiment": "positive"}, {"sentiment": "negative"}]
    assert all(a["time_spent_ms"] > 0 for a in mine)


def test_every_classification_control(page, site):
    login(page, "ann1@demo.labelwell")
    first = open_workspace(page, site.seeded.ids["classic"])
    page.keyboard.press("2")  # sentiment: neg
    page.keyboard.press("Tab")
    page.keyboard.press("1")  # topics: price
    page.keyboard.press("3")  # topics: delivery
    page.keyboard.press("2")  # ... and quality
    page.keyboard.press("2")  # quality off again
    page.keyboard.press("Tab")
    page.keyboard.press("6")  # overall 6 of 7
    page.keyboard.press("Tab")
    page.keyboard.press("4")  # clarity 4, then the cursor moves to tone
    page.keyboard.press("5")  # tone 5
    page.keyboard.press("Control+z")  # undo tone
    page.keyboard.press("3")  # tone 3
    page.fill("[data-control=note] textarea", "두 번째 배송이 늦었어요")
    page.click("[data-control=overall] legend")  # mouse: back out of the text box
    shot(page, "workspace-classify")
    submit_and_wait(page, first)
    # the answer to this lease (other tests may have labelled the project too)
    annotations = site.annotations("classic")
    (stored,) = [a["result"] for a in annotations if a["assignment_id"] == int(first)]
    assert stored == {
        "sentiment": "neg",
        "topics": ["price", "delivery"],
        "overall": 6,
        "quality": {"clarity": 4, "tone": 3},
        "note": "두 번째 배송이 늦었어요",
    }


def test_help_overlay_skip_with_reason_and_mouse_only_labeling(page, site):
    login(page, "ann3@demo.labelwell")
    pid = site.seeded.ids["demo-sentiment"]
    first = open_workspace(page, pid)
    page.keyboard.press("?")
    assert page.locator("#help-dialog").is_visible()
    shot(page, "workspace-help")
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    assert page.locator("#skip-dialog").is_visible()
    page.fill("#skip-reason", "sarcasm, cannot tell")
    second = submit_and_wait(page, first)  # Enter in the dialog confirms the skip
    audit = site.api("GET", f"/projects/{pid}/audit").json()["data"]
    skips = [e for e in audit if e["action"] == "task.skip"]
    assert skips[-1]["details"] == {"reason": "sarcasm, cannot tell"}
    page.click("label.option:has-text('neutral')")  # mouse only from here
    page.click("#btn-submit")
    page.wait_for_selector(
        f"body[data-ready]:not([data-ready='{second}']):not([data-ready=''])", state="attached"
    )
    mine = [a for a in site.annotations("demo-sentiment") if a["agent"] == "ann3@demo.labelwell"]
    assert [a["result"] for a in mine] == [{"sentiment": "neutral"}]
