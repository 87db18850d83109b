"""The synthetic-data page, in chromium: a manager opens it from the project's
page, sees the synthetic items with their provenance, rejects one, fixes one
in the edit box and verifies one, and the report's verify and error rates
follow; the guards run from the page and flag a near duplicate. Annotators are
refused the page and their workspace shows nothing of which items are synthetic."""

from __future__ import annotations

from labelwell.store.db import Database
from labelwell.store.tables import User
from labelwell.synth.generate import Run
from labelwell.synth.records import Candidate, Provenance
from labelwell.work import synth
from labelwell.work.actors import Actor
from web.fresh import new_project
from web.helpers import login, open_workspace, shot
from web.seed import CLASSIC

REAL = [
    "The delivery came two days late but the box was intact.",
    "Customer support answered my question within an hour.",
    "The battery lasts a whole weekend of hiking with the screen dimmed.",
]
MADE = [
    ("Describe a delivery that arrived late but undamaged.", 1),
    ("Customer support answered my question within an hour!", 1),  # copies a real item
    ("Write a complaint about a battery that died on a hike.", 2),
]


def store_synthetic(site, pid: int) -> list[int]:
    db = Database(f"sqlite:///{site.home / 'labelwell.db'}")
    run = Run(
        [
            Candidate(
                {"instruction": text},
                Provenance(
                    "self-instruct", "qwen2.5-7b", "self-instruct/1", (f"{k + 1}",), generation
                ),
            )
            for k, (text, generation) in enumerate(MADE)
        ],
        requests=3,
    )
    with db.session() as s:
        admin = Actor.of(s.get(User, site.seeded.users["admin@demo.labelwell"]))
        return synth.store_run(s, admin, pid, run).item_ids


def test_manager_judges_synthetic_items_and_the_report_follows(page, site):
    pid = new_project(site, CLASSIC, [{"text": t} for t in REAL], "ann1@demo.labelwell")
    r = site.api(
        "PUT",
        f"/projects/{pid}/members/{site.seeded.users['manager@demo.labelwell']}",
        json={"role": "manager"},
    )
    assert r.status_code == 200, r.text
    ids = store_synthetic(site, pid)

    login(page, "manager@demo.labelwell")
    page.goto(f"/projects/{pid}/manage")
    page.click("#nav-synth")
    page.wait_for_selector("body[data-ready='1']")
    rows = page.locator(".syn-table tbody tr")
    assert rows.count() == 3
    first = page.locator(f"tr[data-item='{ids[0]}']")
    assert "self-instruct" in first.inner_text() and "qwen2.5-7b" in first.inner_text()
    assert page.inner_text("#syn-verify-rate") == "—"

    first.locator("button[data-verdict=rejected]").click()
    page.wait_for_selector(f"tr[data-item='{ids[0]}'] .badge.verdict.rejected")
    page.wait_for_selector("#syn-error-rate:has-text('100.0%')")
    assert page.inner_text("#syn-verify-rate") == "0.0%"

    page.locator(f"tr[data-item='{ids[2]}'] button[data-verdict=fixed]").click()
    page.fill("#syn-fix textarea[name=text]", "Write a complaint about a battery that died.")
    page.click("#syn-fix-save")
    page.wait_for_selector(f"tr[data-item='{ids[2]}'] .badge.verdict.fixed")
    page.wait_for_selector(f"tr[data-item='{ids[2]}'] .syn-value:has-text('died.')")
    page.locator(f"tr[data-item='{ids[1]}'] button[data-verdict=verified]").click()
    page.wait_for_selector("#syn-verify-rate:has-text('33.3%')")
    assert page.inner_text("#syn-error-rate") == "66.7%"

    page.uncheck("#syn-embed")
    page.click("#syn-run")
    page.wait_for_selector("#syn-guards h3")
    assert f"{ids[1]} ~" in page.inner_text("#syn-guards")  # the copy of a real item
    page.wait_for_selector("#syn-summary dd:has-text('never')", state="detached")
    shot(page, "synth-page")

    items = site.api("GET", f"/projects/{pid}/synth/items?verdict=fixed").json()["data"]
    assert [i["item_id"] for i in items] == [ids[2]]
    fixed = site.api("GET", f"/items/{ids[2]}").json()
    assert "died." in str(fixed)
    page.goto(f"/projects/{pid}/synth?verdict=rejected")
    assert page.locator(".syn-table tbody tr").count() == 1
    page.goto(f"/projects/{pid}/synth?generation=2")
    assert page.locator(".syn-table tbody tr").count() == 1

    # annotators: no page, no API, and no trace in the workspace
    page.context.clear_cookies()
    login(page, "ann1@demo.labelwell")
    response = page.goto(f"/projects/{pid}/synth")
    assert response is not None and response.status == 403
    open_workspace(page, pid)
    html, shown = page.content().lower(), page.inner_text("body").lower()
    assert "synthetic" not in shown  # (the message catalogue names the label source)
    for word in ("self-instruct", "qwen2.5-7b", "prompt_version", "seed_ids", "nav-synth"):
        assert word not in html
