"""A manager changes a project's ontology after creation in the browser (the
workspace previewed live, a rename that moves stored annotations, a removal
refused until forced with a reason, every version listed), then archives and
deletes projects, each confirmed in a dialog that offers the export first."""

from __future__ import annotations

import json

from web.helpers import login, shot


def labeled_project(site, name: str, answers: list[str]) -> int:
    onto = {
        "name": name,
        "controls": [
            {
                "name": "sentiment",
                "type": "choice",
                "source": "text",
                "options": ["good", "bad", "meh"],
            }
        ],
    }
    r = site.api("POST", "/projects", json={"name": name, "ontology": onto, "gold_ratio": 0})
    r.raise_for_status()
    pid = r.json()["id"]
    manager = site.seeded.users["manager@demo.labelwell"]
    site.api(
        "PUT", f"/projects/{pid}/members/{manager}", json={"role": "manager"}
    ).raise_for_status()
    rows = [{"data": {"text": f"review {i}"}} for i in range(len(answers))]
    site.api("POST", f"/projects/{pid}/items", json={"items": rows}).raise_for_status()
    for answer in answers:
        task = site.api("POST", f"/projects/{pid}/tasks/next").json()
        site.api(
            "POST",
            f"/assignments/{task['assignment_id']}/submit",
            json={"result": {"sentiment": answer}},
        ).raise_for_status()
    return pid


def set_options(page, options: list[str]) -> None:
    onto = json.loads(page.input_value("#ontology"))
    onto["controls"][0]["options"] = options
    page.fill("#ontology", json.dumps(onto, indent=2))


def impact_rows(page) -> list[str]:
    return page.eval_on_selector_all(
        "#impact-table tbody tr",
        "rows => rows.map((r) => r.innerText.replace(/\\s+/g, ' ').trim())",
    )


def test_ontology_changes_in_the_browser(page, site):
    pid = labeled_project(site, "onto-web", ["good", "bad"])
    login(page, "manager@demo.labelwell")
    page.goto(f"/projects/{pid}/manage")
    page.click("#nav-ontology")
    page.wait_for_selector("#preview fieldset[data-type=choice]")
    assert page.inner_text("#versions tbody").count("v1") == 1
    assert "review 0" in page.inner_text("#preview")  # the project's own first item

    set_options(page, ["great", "bad", "fine"])
    page.wait_for_selector("#preview input[value=great]")  # the preview follows the text
    page.select_option("#rn-control", "sentiment")
    page.fill("#rn-label", "good")
    page.fill("#rn-to", "great")
    page.click("#rename-form button")
    assert page.inner_text("#renames").startswith("label good of sentiment → great")
    page.click("#check")
    page.wait_for_selector("#impact:not([hidden])")
    assert impact_rows(page) == [
        "Renamed label good of sentiment to great 1",
        "Removed label meh of sentiment 0",
        "Added label fine of sentiment 0",
    ]
    assert page.is_hidden("#force-box")
    page.click("#save")
    page.wait_for_selector("#save-status.ok")
    assert page.inner_text("#save-status") == "Saved as version 2."
    results = [a["result"] for a in site.api("GET", f"/projects/{pid}/annotations").json()["data"]]
    assert sorted(r["sentiment"] for r in results) == ["bad", "great"]

    # removing what an annotation uses: refused until forced with a reason
    set_options(page, ["great", "fine"])
    page.click("#check")
    page.wait_for_selector("#force-box:not([hidden])")
    assert "leave 1 stored annotation(s)" in page.inner_text("#force-said")
    assert page.get_attribute("#impact-table tbody tr", "class") == "blocked"
    shot(page, "projects-ontology")
    page.click("#save")
    page.wait_for_selector("#save-status.error")
    assert "touches 1 stored annotation" in page.inner_text("#save-status")
    page.check("#force")
    page.click("#save")
    page.wait_for_selector("#save-status.error")
    assert "reason" in page.inner_text("#save-status")
    page.fill("#reason", "bad folded into fine by the client")
    page.click("#save")
    page.wait_for_selector("#save-status.ok")
    assert page.inner_text("#versions tbody tr:first-child").startswith("v3")
    assert "bad folded into fine" in page.inner_text("#versions tbody tr:first-child")
    page.reload()
    page.wait_for_selector("#preview fieldset[data-type=choice]")
    assert [
        v["version"] for v in site.api("GET", f"/projects/{pid}/ontology/versions").json()["data"]
    ] == [1, 2, 3]


def test_archive_and_delete_are_confirmed_with_the_export_offered(page, site):
    kept = labeled_project(site, "to-archive", ["good"])
    gone = labeled_project(site, "to-delete", [])
    login(page, "manager@demo.labelwell")
    page.goto(f"/projects/{kept}/manage")
    page.click("#archive")
    assert page.is_visible("#life-dialog")
    assert page.locator("#life-dialog .export-first a").count() >= 1  # export offered first
    shot(page, "projects-archive")
    page.click("#life-cancel")
    assert not page.is_visible("#life-dialog")
    page.click("#archive")
    page.click("#life-ok")
    page.wait_for_url("**/projects?archived=true")
    assert page.locator(f"[data-project='{kept}']").count() == 1
    page.click("#show-active")
    assert page.locator(f"[data-project='{kept}']").count() == 0
    page.goto(f"/projects/{kept}/label")  # the workspace refuses an archived project
    assert "is archived" in page.inner_text("main")
    page.goto(f"/projects/{kept}/manage")
    assert "Archived on" in page.inner_text("#archived-on")
    page.click("#restore")
    page.wait_for_selector("#archive")
    page.goto("/projects")
    assert page.locator(f"[data-project='{kept}']").count() == 1

    page.goto(f"/projects/{gone}/manage")
    page.click("#delete")
    assert page.is_disabled("#life-ok")
    page.fill("#life-name", "to-delet")
    assert page.is_disabled("#life-ok")
    page.fill("#life-name", "to-delete")
    page.click("#life-ok")
    page.wait_for_url("**/projects")
    assert page.locator(f"[data-project='{gone}']").count() == 0
    assert site.api("GET", f"/projects/{gone}").status_code == 404
    audit = site.api("GET", f"/projects/{kept}/audit").json()["data"]
    assert {"project.archive", "project.restore"} <= {e["action"] for e in audit}
