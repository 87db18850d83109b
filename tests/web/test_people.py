"""The People pages in chromium: admins and managers list people, create and
invite them (the invite link sets a password that logs in), change role and
skills, deactivate (the person's open session ends), see each person's work,
and run workforce cost: rates from presets, a budget that stops the queue, and
the payroll CSV. In English and Korean; screenshots for docs/web.md."""

from __future__ import annotations

import csv
import io
from datetime import date

import httpx

from web.helpers import UNLABELLED, login, open_workspace, shot
from web.seed import PASSWORD

NEW_PASSWORD = "amber-quarry-whistle-81"


def _create(page, email: str, *, role: str = "annotator", skills: str = "") -> str:
    """Fill the People form without a password; returns the invite link shown."""
    page.fill("#p-email", email)
    page.fill("#p-name", "Min-jun Park")
    page.select_option("#p-role", role)
    page.fill("#p-skills", skills)
    page.click("#person-form button[type=submit]")
    page.wait_for_selector("#invite:not([hidden])")
    return str(page.input_value("#invite-url"))


def test_an_admin_invites_a_person_who_sets_a_password_and_logs_in(page, browser, site):
    login(page, "admin@demo.labelwell")
    page.click("#nav-people")
    page.wait_for_url("**/people")
    page.wait_for_selector("body[data-ready='people']")
    assert page.evaluate(UNLABELLED) == []
    rows = page.locator("#people tbody tr")
    before = rows.count()
    assert page.locator("#people tbody tr", has_text="ann1@demo.labelwell").count() == 1
    link = _create(page, "invitee@people.test", skills="ko, medical")
    assert "/reset/lwr_" in link and "invitee@people.test" in page.inner_text("#person-status")
    row = page.locator("#people tbody tr", has_text="invitee@people.test")
    row.wait_for()
    assert rows.count() == before + 1
    assert "ko, medical" in row.inner_text() and "no password yet" in row.inner_text()
    # the search filters as one types
    page.fill("#people-search", "invitee")
    assert rows.count() == 1
    page.fill("#people-search", "")
    shot(page, "people-list")

    other = browser.new_context(base_url=site.url)
    try:
        guest = other.new_page()
        guest.goto(link.replace(site.url, ""))
        assert "invitee@people.test" in guest.inner_text("#reset-for")
        guest.fill("#password", NEW_PASSWORD)
        guest.fill("#confirm", NEW_PASSWORD)
        guest.click("#reset-form button[type=submit]")
        guest.wait_for_selector("#reset-done")
        login(guest, "invitee@people.test", NEW_PASSWORD)
        # annotators get no People link and no People page
        assert guest.locator("#nav-people").count() == 0
        guest.goto("/people")
        assert "needs the role" in guest.inner_text("main")
    finally:
        other.close()


def test_a_person_page_shows_work_and_changes_role_skills_and_state(page, browser, site):
    login(page, "admin@demo.labelwell")
    page.goto("/people")
    page.wait_for_selector("body[data-ready='people']")
    page.check("#p-with-password")
    page.fill("#p-email", "leaver@people.test")
    page.fill("#p-password", NEW_PASSWORD)
    page.select_option("#p-project", str(site.seeded.ids["classic"]))
    page.click("#person-form button[type=submit]")
    row = page.locator("#people tbody tr", has_text="leaver@people.test")
    row.wait_for()
    assert page.locator("#invite").is_hidden()

    # the person works in a browser of their own
    theirs = browser.new_context(base_url=site.url)
    try:
        them = theirs.new_page()
        login(them, "leaver@people.test", NEW_PASSWORD)

        row.locator("a").click()
        page.wait_for_selector("body[data-ready='person']")
        work = page.locator("#work tbody tr")
        assert work.count() == 1 and "classic" in work.inner_text()
        page.select_option("#a-role", "reviewer")
        page.fill("#a-skills", "ko, legal")
        page.click("#account-form button[type=submit]")
        page.wait_for_selector("#account-status.ok")
        assert page.inner_text("#person-role") == "reviewer"
        page.reload()
        assert page.input_value("#a-skills") == "ko, legal"

        page.once("dialog", lambda d: d.accept())
        page.click("#toggle-active")
        page.wait_for_selector("#person-state.inactive")
        assert page.inner_text("#toggle-active") == "Reactivate"
        assert page.locator("#new-link").is_disabled()
        # their open session has ended: the next page asks them to log in
        them.goto("/projects")
        assert "/login" in them.url
        page.click("#toggle-active")
        page.wait_for_selector("#person-state:not(.inactive)")
        page.click("#new-link")
        page.wait_for_selector("#invite:not([hidden])")
        assert "/reset/lwr_" in page.input_value("#invite-url")
    finally:
        theirs.close()
    # an annotator with work: throughput and gold accuracy per project
    page.goto(f"/people/{site.seeded.users['ann1@demo.labelwell']}")
    page.wait_for_selector("body[data-ready='person']")
    rows = page.locator("#work tbody tr")
    assert rows.count() >= 2
    submitted = [int(r.locator("td").nth(2).inner_text()) for r in rows.all()]
    assert sum(submitted) >= 1
    assert page.evaluate(UNLABELLED) == []
    shot(page, "people-person")


def test_a_manager_sees_only_their_projects_people_in_korean(page, site):
    outsider = site.api("POST", "/people", json={"email": "elsewhere@people.test"})
    assert outsider.status_code == 201
    login(page, "manager@demo.labelwell")
    page.goto("/people")
    page.wait_for_selector("body[data-ready='people']")
    text = page.inner_text("#people")
    assert "ann1@demo.labelwell" in text and "elsewhere@people.test" not in text
    # managers give the annotator and reviewer roles only, into their projects
    assert page.locator("#p-role option").all_inner_texts() == ["annotator", "reviewer"]
    assert page.locator("#p-project option[value='']").count() == 0
    page.goto(f"/people/{outsider.json()['user']['id']}")
    assert page.locator("#work").count() == 0 and "no user" in page.inner_text("main")
    # an admin who shares a project is listed, but only an admin changes their account
    page.goto(f"/people/{site.seeded.users['admin@demo.labelwell']}")
    page.wait_for_selector("body[data-ready='person']")
    assert page.locator("#no-act").is_visible() and page.locator("#account-form").count() == 0
    page.goto("/people")
    page.select_option("#lang-select", "ko")
    page.click("form[action='/lang'] button")
    page.wait_for_selector("body[data-ready='people']")
    assert page.inner_text("h1") == "사람 관리"
    assert page.inner_text("#nav-people") == "사람"
    assert "명" in page.inner_text("#people-count")
    shot(page, "people-list-ko")
    page.select_option("#lang-select", "en")
    page.click("form[action='/lang'] button")


def test_workforce_cost_rates_budget_and_payroll(page, browser, site):
    project = site.seeded.ids["classic"]
    login(page, "admin@demo.labelwell")
    page.goto("/people/cost")
    page.wait_for_selector("body[data-ready='cost']")
    assert page.evaluate(UNLABELLED) == []
    page.select_option("#r-preset", "general")
    assert page.input_value("#r-name") == "General labeling"
    assert page.input_value("#r-amount") == "20"
    page.click("#rate-form button[type=submit]")
    rate = page.locator("#rates tbody tr", has_text="General labeling")
    rate.wait_for()
    assert "everyone" in rate.inner_text() and "20.00\tper hour" in rate.inner_text()
    # a per-label rate for one project
    page.fill("#r-name", "Classic per label")
    page.select_option("#r-basis", "label")
    page.fill("#r-amount", "0.40")
    page.select_option("#r-project", str(project))
    page.click("#rate-form button[type=submit]")
    page.locator("#rates tbody tr", has_text="Classic per label").wait_for()

    # the annotator labels one item of the project; its cost shows per label
    token = httpx.post(
        f"{site.url}/api/v1/auth/login",
        timeout=30,
        json={"email": "ann1@demo.labelwell", "password": PASSWORD},
    ).json()["token"]
    ann = {"Authorization": f"Bearer {token}"}
    task = httpx.post(f"{site.url}/api/v1/projects/{project}/tasks/next", headers=ann, timeout=30)
    if task.status_code == 200:
        done = httpx.post(
            f"{site.url}/api/v1/assignments/{task.json()['assignment_id']}/submit",
            json={"result": {"sentiment": "pos"}},
            headers=ann,
            timeout=30,
        )
        assert done.status_code == 201, done.text
    page.select_option("#cost-project", str(project))
    row = page.locator("#cost tbody tr", has_text="ann1@demo.labelwell")
    row.wait_for()
    assert "Classic per label" in row.inner_text()
    accepted = int(row.locator("td").nth(3).inner_text())
    assert accepted >= 1
    assert row.locator("td").nth(4).inner_text() == f"{accepted * 0.4:.2f}"

    # a budget already spent stops the queue; removing it reopens
    spent = float(page.locator("#cost-total").inner_text().replace(",", ""))
    page.fill("#budget-cap", f"{spent:.2f}")
    page.click("#budget-form button[type=submit]")
    page.wait_for_selector("#budget-reached:not([hidden])")
    shot(page, "people-cost")
    stopped = httpx.post(
        f"{site.url}/api/v1/projects/{project}/tasks/next", headers=ann, timeout=30
    )
    assert stopped.status_code == 409 and "budget" in stopped.text
    # the annotator's workspace says why there is no task
    theirs = browser.new_context(base_url=site.url)
    try:
        them = theirs.new_page()
        login(them, "ann1@demo.labelwell")
        open_workspace(them, project)
        them.wait_for_selector("#status.error")
        assert "spent its budget" in them.inner_text("#status")
    finally:
        theirs.close()
    page.click("#budget-remove")
    page.wait_for_selector("#budget-reached[hidden]", state="attached")

    # the payroll link carries the period; its CSV has a row per person
    page.fill("#pay-start", "2020-01-01")
    page.dispatch_event("#pay-start", "change")
    href = page.get_attribute("#payroll-link", "href")
    assert href.startswith("/api/v1/payroll.csv?start=2020-01-01&end=")
    csv_text = page.request.get(href).text()
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    mine = next(r for r in rows if r["email"] == "ann1@demo.labelwell")
    assert mine["period_start"] == "2020-01-01" and mine["period_end"] == str(date.today())
    assert float(mine["amount"]) > 0
    # leave the shared site as it was for the other tests
    for r in httpx.get(
        f"{site.url}/api/v1/rates",
        timeout=30,
        headers={"Authorization": f"Bearer {site.seeded.admin_token}"},
    ).json()["data"]:
        site.api("DELETE", f"/rates/{r['id']}")


def test_names_and_skills_render_as_text(page, site):
    markup = '<img src=x onerror="document.body.dataset.pwned=1"><b>bold</b>'
    made = site.api(
        "POST",
        "/people",
        json={"email": "markup@people.test", "name": markup, "skills": ["<i>x</i>"]},
    )
    assert made.status_code == 201, made.text
    login(page, "admin@demo.labelwell")
    page.goto("/people")
    page.wait_for_selector("body[data-ready='people']")
    row = page.locator("#people tbody tr", has_text="markup@people.test")
    assert markup in row.inner_text() and "<i>x</i>" in row.inner_text()
    assert row.locator("img, b, i").count() == 0
    page.goto(f"/people/{made.json()['user']['id']}")
    page.wait_for_selector("body[data-ready='person']")
    assert page.inner_text("#person-name") == markup
    assert page.locator("main img, main b").count() == 0
    assert page.evaluate("document.body.dataset.pwned") is None
