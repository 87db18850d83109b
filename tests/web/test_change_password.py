"""A logged-in user changes their own password from the projects page, in
English and Korean: the current password first, the policy applied, their
other web sessions ended and this one kept."""

from __future__ import annotations

import uuid

import httpx

from web.helpers import UNLABELLED, login, shot

OLD = "first-Unusual-pw7"
NEW = "second-Unusual-pw8"


def _new_user(site) -> str:
    email = f"pw-{uuid.uuid4().hex[:8]}@example.org"
    made = site.api("POST", "/users", json={"email": email, "role": "annotator", "password": OLD})
    assert made.status_code == 201, made.text
    return email


def _change(page, current: str, new: str, confirm: str | None = None) -> str:
    page.goto("/projects")
    page.click("#account summary")
    page.fill("#current_password", current)
    page.fill("#new_password", new)
    page.fill("#confirm_password", new if confirm is None else confirm)
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#password-notice")
    return page.inner_text("#password-notice")


def test_a_user_changes_their_password_on_the_projects_page(page, browser, site):
    email = _new_user(site)
    elsewhere = browser.new_context(base_url=site.url)
    other = elsewhere.new_page()
    login(other, email, OLD)
    login(page, email, OLD)
    page.click("#account summary")
    assert page.evaluate(UNLABELLED) == []

    assert _change(page, "not my password", NEW) == "The current password is wrong."
    assert page.locator("#password-notice.error").count() == 1
    assert _change(page, OLD, NEW, "something else") == "The two passwords differ."
    assert _change(page, OLD, "password1") == (
        "That is one of the most common passwords. Choose another.")
    assert _change(page, OLD, NEW).startswith("Your password is changed.")
    assert page.locator("#password-notice.ok").count() == 1
    shot(page, "change-password")

    page.goto("/projects")
    assert page.url.endswith("/projects")  # this session goes on
    other.goto("/projects")
    assert "/login" in other.url  # the other one ended
    elsewhere.close()
    old = httpx.post(f"{site.url}/api/v1/auth/login", json={"email": email, "password": OLD})
    new = httpx.post(f"{site.url}/api/v1/auth/login", json={"email": email, "password": NEW})
    assert (old.status_code, new.status_code) == (401, 201)


def test_the_password_form_speaks_korean(page, site):
    email = _new_user(site)
    login(page, email, OLD)
    page.select_option("#lang-select", "ko")
    page.click("form[action='/lang'] button")
    page.wait_for_selector("html[lang=ko]")
    assert page.inner_text("#account summary") == "비밀번호 변경"
    assert _change(page, "not my password", NEW) == "현재 비밀번호가 틀렸습니다."
    assert _change(page, OLD, NEW).startswith("비밀번호가 변경되었습니다.")
    shot(page, "change-password-ko")
