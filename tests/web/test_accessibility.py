"""Accessibility basics: labelled form controls, visible focus, and a layout
that holds at 200% zoom (half the CSS viewport)."""

from __future__ import annotations

import pytest

from web.helpers import UNLABELLED, login, open_workspace, shot


@pytest.mark.parametrize("project", ["classic", "demo-rlhf", "ranking"])
def test_workspace_controls_are_labelled_and_fit_at_200_percent(browser, site, project):
    context = browser.new_context(base_url=site.url, viewport={"width": 640, "height": 430})
    page = context.new_page()
    try:
        login(page, "ann1@demo.labelwell")
        open_workspace(page, site.seeded.ids[project])
        assert page.evaluate(UNLABELLED) == []
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"
        if project == "demo-rlhf":
            shot(page, "workspace-200-percent")
    finally:
        context.close()


def test_console_controls_are_labelled(page, site):
    login(page, "manager@demo.labelwell")
    page.goto(f"/projects/{site.seeded.ids['console']}/manage")
    assert page.evaluate(UNLABELLED) == []
    page.goto("/projects/new")
    assert page.evaluate(UNLABELLED) == []
