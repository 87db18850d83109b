"""Security in the browser: inert item markup, CSRF, project and gold privacy."""

from __future__ import annotations

from web.helpers import login, open_workspace, shot
from web.seed import XSS_TEXT


def test_markup_in_item_text_renders_inert(page, site):
    login(page, "ann3@demo.labelwell")
    open_workspace(page, site.seeded.ids["xss"])
    page.wait_for_timeout(300)  # give an injected onerror handler time to fire
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#task script, #task img").count() == 0
    assert page.inner_text("#task .item-text") == XSS_TEXT
    shot(page, "security-inert")


def test_state_changes_without_the_csrf_token_are_refused(page, site):
    login(page, "ann1@demo.labelwell")
    page.goto("/projects")
    pid = site.seeded.ids["demo-sentiment"]
    status = page.evaluate(
        """async (pid) => (await fetch(`/api/v1/projects/${pid}/tasks/next`,
             {method: "POST", credentials: "same-origin"})).status""",
        pid,
    )
    assert status == 403
    with_token = page.evaluate(
        """async (pid) => (await fetch(`/api/v1/projects/${pid}/tasks/next`, {method: "POST",
             headers: {"X-CSRF-Token": document.querySelector('meta[name=csrf-token]').content}}
           )).status""",
        pid,
    )
    assert with_token in (200, 204)
    # A form posted from elsewhere (no csrf field) cannot log the user out.
    page.evaluate(
        """() => { const f = document.createElement('form'); f.method = 'post';
                   f.action = '/logout'; document.body.append(f); f.submit(); }"""
    )
    page.wait_for_load_state()
    assert page.locator("#error-message").inner_text().startswith("missing or wrong CSRF")
    page.goto("/projects")
    assert page.url.endswith("/projects")  # still logged in


def test_annotator_cannot_open_another_project_or_a_gold_answer(page, site):
    login(page, "ann1@demo.labelwell")
    response = page.goto(f"/projects/{site.seeded.ids['console']}/label")
    assert response.status == 404
    response = page.goto(f"/projects/{site.seeded.ids['demo-sentiment']}/manage")
    assert response.status == 403
    response = page.goto(f"/api/v1/items/{site.seeded.gold_item}/gold")
    assert response.status == 404
    response = page.goto(f"/media/items/{site.seeded.gold_item}/0")
    assert response.status == 404


def test_logout_revokes_the_session(page, site):
    login(page, "ann2@demo.labelwell")
    cookie = next(c for c in page.context.cookies() if c["name"] == "lw_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.click("#logout")
    page.wait_for_url("**/login")
    # The old cookie no longer authenticates, even if replayed.
    page.context.add_cookies([{**cookie}])
    response = page.goto("/api/v1/me")
    assert response.status == 401
