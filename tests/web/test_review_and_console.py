"""The reviewer's queue and the manager's console in the browser."""

from __future__ import annotations

import json
from pathlib import Path

from web.helpers import SHOTS, login, shot


def test_reviewer_accepts_rejects_and_fixes(page, site):
    """One item, three answers awaiting review: each is shown in the tools in
    turn, accepted, rejected with a comment, fixed with the tools."""
    login(page, "reviewer@demo.labelwell")
    page.goto(f"/projects/{site.seeded.ids['review']}/review")
    accept_id, reject_id, fix_id = site.seeded.review_annotations
    page.wait_for_selector(f"body[data-answer='{accept_id}']", state="attached")
    assert page.locator(".review-item .badge", has_text="disagree").count() == 1
    assert page.locator(".answer-tab").count() == 3
    page.click("#review-accept")
    page.wait_for_selector(f"body[data-answer='{reject_id}']", state="attached")
    page.fill("#review-comment", "It is not neutral: the customer is satisfied.")
    page.click("#review-reject")
    page.wait_for_selector(f"body[data-answer='{fix_id}']", state="attached")
    page.locator("#review-panels fieldset[data-control=sentiment] label.option",
                 has_text="pos").click()
    shot(page, "review")
    page.click("#review-fix")
    page.wait_for_selector("#review-empty")
    fixed = [a for a in site.annotations("review") if a["supersedes_id"] == fix_id]
    assert [a["result"] for a in fixed] == [{"sentiment": "pos"}]
    assert fixed[0]["status"] == "accepted"
    statuses = {
        a["id"]: a["status"]
        for a in site.annotations("review")
        if a["id"] in site.seeded.review_annotations
    }
    assert statuses.items() >= {accept_id: "accepted", reject_id: "rejected"}.items()
    audit = site.api("GET", f"/projects/{site.seeded.ids['review']}/audit").json()["data"]
    comments = [e["details"].get("comment") for e in audit if e["action"] == "review.reject"]
    assert comments == ["It is not neutral: the customer is satisfied."]


def test_dashboard_charts_the_work_done(page, site):
    login(page, "admin@demo.labelwell")
    page.goto(f"/projects/{site.seeded.ids['review']}/manage")
    charts = page.locator("#dashboard svg.chart")
    assert charts.count() == 4
    throughput = charts.nth(1).inner_html()
    assert "ann1@demo.labelwell" in throughput and "ann2@demo.labelwell" in throughput
    shot(page, "dashboard")


def test_manager_console_import_errors_settings_guidelines_export(page, site, tmp_path):
    login(page, "manager@demo.labelwell")
    pid = site.seeded.ids["console"]
    page.goto(f"/projects/{pid}/manage")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": "also fine"}\n{"txt": 3\n')
    page.set_input_files("#import-file", str(bad))
    page.click("#import-form button")
    page.wait_for_selector("#import-status.error")
    assert "line 3" in page.inner_text("#import-status")
    good = tmp_path / "good.jsonl"
    good.write_text('{"text": "fine"}\n{"text": "also fine"}\n')
    page.set_input_files("#import-file", str(good))
    page.click("#import-form button")
    page.wait_for_selector("#import-status.ok")
    assert "2 items" in page.inner_text("#import-status")
    page.fill("#overlap", "2")
    page.check("#blind")
    page.click("#settings-form button")
    page.wait_for_selector("#settings-status.ok")
    page.fill("#guideline", "Version two: read the whole review first.")
    page.click("#guideline-form button")
    page.wait_for_selector("#guideline-status.ok")
    page.select_option("#member-user", label="ann2@demo.labelwell")
    page.select_option("#member-role", "reviewer")
    page.click("#member-form button")
    page.wait_for_selector("#member-status.ok")
    project = site.api("GET", f"/projects/{pid}").json()
    assert project["overlap"] == 2 and project["blind"] is True
    guidelines = site.api("GET", f"/projects/{pid}/guidelines").json()["data"]
    assert guidelines[-1]["text"] == "Version two: read the whole review first."
    members = site.api("GET", f"/projects/{pid}/members").json()["data"]
    assert {"email": "ann2@demo.labelwell", "role": "reviewer"}.items() <= {
        k: v for m in members if m["email"] == "ann2@demo.labelwell" for k, v in m.items()
    }.items()
    with page.expect_download() as download:
        page.click("a[data-format=jsonl]")
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    page.reload()
    assert page.locator("#dashboard svg.chart").count() == 4
    shot(page, "console")


def test_manager_creates_a_project_with_the_ontology_builder(page, site):
    login(page, "manager@demo.labelwell")
    page.goto("/projects/new")
    page.fill("#name", "built-in-browser")
    page.fill("#c-name", "sentiment")
    page.select_option("#c-type", "choice")
    page.fill("#c-options", "good, bad")
    page.check("#c-required")
    page.click("#builder button")
    page.fill("#c-name", "things")
    page.select_option("#c-type", "bbox")
    page.fill("#c-source", "image")
    page.fill("#c-options", "car, person")
    page.click("#builder button")
    shot(page, "new-project")
    page.click("#create")
    page.wait_for_url("**/manage")
    created = [
        p for p in site.api("GET", "/projects").json()["data"] if p["name"] == "built-in-browser"
    ]
    controls = created[0]["ontology"]["controls"]
    assert [(c["name"], c["type"]) for c in controls] == [
        ("sentiment", "choice"),
        ("things", "bbox"),
    ]
    assert controls[0]["options"] == ["good", "bad"] and controls[0]["required"] is True


def test_the_review_page_pages_through_the_review_queue_api(page, site, tmp_path):
    """Past the first page, "more items" fetches the next page of
    GET /review-queue?state=submitted: the page shows the API's items in its order."""
    ontology = {"name": "review-paging", "controls": [{"name": "sentiment", "type": "choice",
                                                  "source": "text", "options": ["pos", "neg"]}]}
    r = site.api("POST", "/projects",
                 json={"name": "review-paging", "ontology": ontology, "gold_ratio": 0.0})
    r.raise_for_status()
    pid = r.json()["id"]
    rows = []
    for i in range(230):
        answers = ["pos", "neg"] if i in (3, 150, 229) else ["pos"]
        rows.append({"data": {"text": f"review me {i}"}, "annotations": [
            {"result": {"sentiment": a}, "annotator": f"vendor{k}"} for k, a in enumerate(answers)
        ]})
    path = tmp_path / "paging.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with path.open("rb") as fh:
        site.api("POST", f"/projects/{pid}/import",
                 files={"file": ("paging.jsonl", fh)}).raise_for_status()
    listed, cursor = [], None
    while True:
        params = {"state": "submitted", "limit": 100, **({"cursor": cursor} if cursor else {})}
        body = site.api("GET", f"/projects/{pid}/review-queue", params=params).json()
        listed += [e["id"] for e in body["data"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    login(page, "admin@demo.labelwell")
    page.goto(f"/projects/{pid}/review")
    page.wait_for_selector("#review-items[data-count='100']", state="attached")
    assert page.inner_text("#review-count") == "100+"
    for shown in (200, 230):
        page.click("#review-more")
        page.wait_for_selector(f"#review-items[data-count='{shown}']", state="attached")
    assert page.is_hidden("#review-more")
    assert page.inner_text("#review-count") == "230"
    assert page.locator("#review-items .badge").count() == 3  # the disagreements, first
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "review-more.png"))
    shown = page.eval_on_selector_all(
        "#review-items button", "els => els.map((e) => Number(e.dataset.item))"
    )
    assert shown == listed and len(listed) == 230
