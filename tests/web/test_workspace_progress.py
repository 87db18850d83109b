"""The workspace tells the annotator how far they are (done today, left for
them), confirms each submit without blocking, shows an empty queue without
Submit/Skip/Undo, and lets them go back to their latest items and edit them
(a new revision) while the project allows it."""

from __future__ import annotations

from web.fresh import annotations, new_project
from web.helpers import login, open_workspace, shot, submit_and_wait
from web.seed import SENTIMENT


def progress_says(page, text: str) -> None:
    page.wait_for_selector(f"#progress:text-is('{text}')")


def test_progress_confirmation_and_the_empty_queue(page, site):
    pid = new_project(site, SENTIMENT, [{"text": "Good."}, {"text": "Bad."}], "ann1@demo.labelwell")
    login(page, "ann1@demo.labelwell")
    first = open_workspace(page, pid)
    progress_says(page, "0 done today · 2 left for you")
    assert page.is_visible("#btn-submit") and page.is_visible("#btn-skip")
    page.keyboard.press("1")
    second = submit_and_wait(page, first)
    # a brief confirmation in a live region, while the next task is already there
    toast = page.locator("#toast")
    assert toast.get_attribute("role") == "status"
    assert toast.inner_text() == "Submitted ✓"
    progress_says(page, "1 done today · 1 left for you")
    shot(page, "workspace-progress")
    page.wait_for_selector("#toast", state="hidden")  # it goes away by itself
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.wait_for_selector("#all-done")
    assert second != "done"
    progress_says(page, "2 done today")
    for button in ("#btn-submit", "#btn-skip", "#btn-undo"):
        assert page.is_hidden(button), button
    assert page.is_visible("#btn-back")  # going back still works from here
    page.keyboard.press("Enter")  # nothing to submit: no error either
    assert page.inner_text("#status") == ""
    page.wait_for_selector("#toast", state="hidden")
    shot(page, "workspace-done")


def _revisions(site, annotation_id: int) -> list[dict]:
    r = site.api("GET", f"/annotations/{annotation_id}/revisions")
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def test_go_back_edits_a_submitted_item_as_a_new_revision(page, site):
    texts = ["First one.", "Second one.", "Third one."]
    pid = new_project(site, SENTIMENT, [{"text": x} for x in texts], "ann2@demo.labelwell")
    login(page, "ann2@demo.labelwell")
    first = open_workspace(page, pid)
    page.keyboard.press("1")  # pos
    second = submit_and_wait(page, first)
    page.keyboard.press("2")  # neg
    third = submit_and_wait(page, second)
    page.wait_for_selector("#recent-list li:nth-child(2)")
    assert page.locator("#recent-list button").all_inner_texts() == [
        "Second one. · neg",
        "First one. · pos",
    ]
    page.keyboard.press("1")  # started on the third item, not submitted
    page.keyboard.press("b")  # the latest submission: "Second one."
    page.wait_for_selector("body[data-editing]")
    assert page.inner_text("[data-source=text]") == "Second one."
    assert page.is_checked("[data-control=sentiment] input[value=neg]")
    assert page.is_hidden("#btn-submit") and page.is_hidden("#btn-skip")
    assert "Editing your submitted label" in page.inner_text("#editing")
    page.keyboard.press("b")  # one further back: "First one."
    page.wait_for_selector("[data-source=text]:text-is('First one.')")
    page.keyboard.press("3")  # neu instead of pos
    page.wait_for_selector("#toast", state="hidden")
    shot(page, "workspace-go-back")
    page.keyboard.press("Enter")
    page.wait_for_selector("body:not([data-editing])")
    page.wait_for_selector("#toast:text-is('Changes saved (revision 2)')")
    # back on the queue's task as it was left
    assert page.evaluate("document.body.dataset.ready") == third
    assert page.inner_text("[data-source=text]") == "Third one."
    assert page.is_checked("[data-control=sentiment] input[value=pos]")
    page.wait_for_selector("#recent-list li:nth-child(2) :text('edited')")
    edited = next(a for a in annotations(site, pid) if a["result"] == {"sentiment": "neu"})
    history = _revisions(site, edited["id"])
    assert [h["result"]["sentiment"] for h in history] == ["neu", "pos"]  # kept, not overwritten
    # Esc leaves an edit unsaved
    page.keyboard.press("b")
    page.wait_for_selector("body[data-editing]")
    page.keyboard.press("1")
    page.keyboard.press("Escape")
    page.wait_for_selector("body:not([data-editing])")
    assert len(annotations(site, pid)) == 2


def test_a_project_that_closes_edits_shows_the_label_read_only(page, site):
    pid = new_project(
        site, SENTIMENT, [{"text": "Only one."}, {"text": "Two."}], "ann3@demo.labelwell"
    )
    r = site.api("PATCH", f"/projects/{pid}/settings", json={"edit_own_minutes": 0})
    assert r.status_code == 200, r.text
    login(page, "ann3@demo.labelwell")
    first = open_workspace(page, pid)
    page.keyboard.press("2")
    submit_and_wait(page, first)
    page.wait_for_selector("#recent-list li :text('locked')")
    page.click("#recent-list button")
    page.wait_for_selector("body[data-editing]")
    assert "can no longer be edited" in page.inner_text("#editing")
    assert page.is_hidden("#btn-save-edit")
    assert page.inner_text(".result-view dd") == "neg"
    page.keyboard.press("Enter")  # the focus is on "Back to the queue"
    page.wait_for_selector("body:not([data-editing])")
    assert page.inner_text("[data-source=text]") == "Two."


def test_the_workspace_speaks_korean(page, site):
    pid = new_project(site, SENTIMENT, [{"text": "하나."}, {"text": "둘."}], "ann1@demo.labelwell")
    login(page, "ann1@demo.labelwell")
    page.context.add_cookies([{"name": "lw_lang", "value": "ko", "url": site.url}])
    first = open_workspace(page, pid)
    progress_says(page, "오늘 0개 완료 · 남은 항목 2개")
    page.keyboard.press("1")
    submit_and_wait(page, first)
    page.wait_for_selector("#toast:text-is('제출했습니다 ✓')")
    page.keyboard.press("b")
    page.wait_for_selector("body[data-editing]")
    assert "수정하는 중" in page.inner_text("#editing")
    assert page.inner_text("#btn-back-to-queue") == "작업으로 돌아가기 (Esc)"
