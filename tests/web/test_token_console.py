"""Admins see and revoke a member's sessions from the project console."""

from __future__ import annotations

import httpx

from web.helpers import login
from web.seed import PASSWORD


def test_admin_revokes_a_members_session_from_the_console(page, site):
    email = "ann1@demo.labelwell"
    session = httpx.post(f"{site.url}/api/v1/auth/login",
                         json={"email": email, "password": PASSWORD}, timeout=30).json()
    me = lambda: httpx.get(f"{site.url}/api/v1/me", timeout=30,  # noqa: E731
                           headers={"Authorization": f"Bearer {session['token']}"})
    assert me().status_code == 200

    login(page, "admin@demo.labelwell")
    page.goto(f"/projects/{site.seeded.ids['review']}/manage")
    page.select_option("#tokens-user", str(site.seeded.users[email]))
    page.click("#tokens-form button[type=submit]")
    row = page.locator(f"#tokens tr[data-token='{session['id']}']")
    row.wait_for()
    assert "session" in row.inner_text() and session["token"] not in page.content()
    row.locator("button.revoke").click()
    row.wait_for(state="detached")
    assert me().status_code == 401


def test_the_token_console_is_for_admins_only(page, site):
    login(page, "manager@demo.labelwell")
    page.goto(f"/projects/{site.seeded.ids['console']}/manage")
    page.wait_for_selector("#members")
    assert page.locator("#tokens-form").count() == 0
