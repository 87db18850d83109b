"""Assigning items to a chosen annotator from the data manager, in chromium:
the manager ticks a row, picks the annotator and assigns; that annotator's
workspace then opens on the assigned item before any other, and the audit log
holds the action."""

from __future__ import annotations

from web.fresh import new_project
from web.helpers import UNLABELLED, login, open_workspace, shot
from web.seed import CLASSIC

TEXTS = ["Alpha is first.", "Beta is second.", "Gamma is third.", "Delta is fourth."]


def test_assign_a_ticked_row_to_an_annotator(page, site):
    pid = new_project(site, CLASSIC, [{"text": t} for t in TEXTS], "ann1@demo.labelwell")
    users = site.seeded.users
    for email, role in (
        ("ann2@demo.labelwell", "annotator"),
        ("manager@demo.labelwell", "manager"),
    ):
        r = site.api("PUT", f"/projects/{pid}/members/{users[email]}", json={"role": role})
        assert r.status_code == 200, r.text

    login(page, "manager@demo.labelwell")
    page.goto(f"/projects/{pid}/data")
    page.wait_for_selector("#dm-count:has-text('4')")
    page.fill("#dm-search", "Gamma")
    page.wait_for_selector("#dm-count:has-text('1')")
    page.check("#dm-table tbody input[type=checkbox]")
    page.wait_for_selector("#dm-selected:has-text('1')")
    page.click("[data-action=assign]")  # nobody chosen yet: the page asks for someone
    page.wait_for_selector("#dm-status.error, #dm-status:has-text('annotators')")
    page.select_option("#dm-assignees", value=str(users["ann2@demo.labelwell"]))
    page.click("[data-action=assign]")
    page.wait_for_selector("#dm-status:has-text('1 of 1')")
    assert page.evaluate(UNLABELLED) == []
    shot(page, "data-manager-assign")

    audit = site.api("GET", f"/projects/{pid}/audit").json()["data"]
    entry = next(e for e in audit if e["action"] == "items.assign")
    assert entry["details"]["user_ids"] == [users["ann2@demo.labelwell"]]
    assert entry["details"]["changed"] == 1

    # the assignee is served the assigned item first, though it is not the oldest
    page.context.clear_cookies()
    login(page, "ann2@demo.labelwell")
    open_workspace(page, pid)
    assert page.inner_text(".item-text") == "Gamma is third."
