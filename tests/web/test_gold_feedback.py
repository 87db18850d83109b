"""Feedback after gold items: switched on in the manager's console, shown to
the annotator after a gold item (right or wrong, with the expected answer)
until dismissed; never before submit, after an ordinary item, or while the
project has it off."""

from __future__ import annotations

from web.helpers import login, open_workspace, shot
from web.seed import GOLD_TEXTS, PLAIN_TEXT

OPTIONS = ["pos", "neg", "neu"]


def _key_for(label: str) -> str:
    return str(OPTIONS.index(label) + 1)


def _wrong(label: str) -> str:
    return next(o for o in OPTIONS if o != label)


def _submit_and_see_feedback(page, before: str) -> None:
    page.keyboard.press("Enter")
    page.wait_for_selector(f"body[data-feedback='{before}'], #status.error", state="attached")
    assert not page.inner_text("#status")
    assert page.locator("#feedback-dialog").is_visible()


def _next_ready(page, before: str) -> str:
    page.wait_for_selector(
        f"body[data-ready]:not([data-ready='{before}']):not([data-ready=''])", state="attached"
    )
    assert not page.inner_text("#status")
    return str(page.evaluate("document.body.dataset.ready"))


def _switch_feedback_on(browser, site, pid: int) -> None:
    context = browser.new_context(base_url=site.url)
    manager = context.new_page()
    login(manager, "manager@demo.labelwell")
    manager.goto(f"/projects/{pid}/manage")
    assert not manager.is_checked("#gold_feedback")
    manager.check("#gold_feedback")
    manager.click("#settings-form button[type=submit]")
    manager.wait_for_selector("#settings-status.ok")
    manager.reload()
    assert manager.is_checked("#gold_feedback")  # stored as settings.gold_feedback
    context.close()


def test_feedback_after_gold_items_once_the_manager_switches_it_on(page, browser, site):
    pid = site.seeded.ids["feedback"]
    login(page, "ann2@demo.labelwell")
    current = open_workspace(page, pid)
    seen: list[str] = []

    # Feedback off: a gold item goes straight on to the next task.
    text = page.inner_text(".item-text")
    assert text in GOLD_TEXTS
    seen.append(text)
    page.keyboard.press(_key_for(GOLD_TEXTS[text]))
    page.keyboard.press("Enter")
    current = _next_ready(page, current)
    assert not page.locator("#feedback-dialog").is_visible()

    _switch_feedback_on(browser, site, pid)

    # A gold item answered wrongly: "not correct" and the expected answer
    # beside the given one; the next task waits until Enter dismisses it.
    text = page.inner_text(".item-text")
    assert text in GOLD_TEXTS and text not in seen
    seen.append(text)
    # Before submit a gold item looks like any other: nothing marks it.
    assert "gold" not in page.inner_text("#main").lower()
    assert not page.locator("#feedback-dialog").is_visible()
    expected = GOLD_TEXTS[text]
    page.keyboard.press(_key_for(_wrong(expected)))
    _submit_and_see_feedback(page, current)
    assert page.locator("#feedback-dialog.wrong").count() == 1
    assert page.inner_text("#feedback-title").endswith("Not correct")
    assert page.inner_text("#feedback-expected dd[data-control=sentiment]") == expected
    assert page.inner_text("#feedback-given dd[data-control=sentiment]") == _wrong(expected)
    assert "sentiment" in page.inner_text("#feedback-message")
    shot(page, "workspace-gold-feedback")
    assert page.evaluate("document.body.dataset.ready") == ""
    page.keyboard.press("Enter")
    current = _next_ready(page, current)
    assert not page.locator("#feedback-dialog").is_visible()

    # A gold item answered rightly; dismissed with the button.
    text = page.inner_text(".item-text")
    assert text in GOLD_TEXTS and text not in seen
    page.keyboard.press(_key_for(GOLD_TEXTS[text]))
    _submit_and_see_feedback(page, current)
    assert page.locator("#feedback-dialog.correct").count() == 1
    assert page.inner_text("#feedback-title").endswith("Correct")
    page.click("#feedback-continue")
    current = _next_ready(page, current)

    # An ordinary item: no feedback, straight to the next task.
    assert page.inner_text(".item-text") == PLAIN_TEXT
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    assert _next_ready(page, current) == "done"
    assert not page.locator("#feedback-dialog").is_visible()

    mine = [a for a in site.annotations("feedback") if a["agent"] == "ann2@demo.labelwell"]
    assert len(mine) == 4
