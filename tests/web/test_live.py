"""Live pages in chromium: a manager's dashboard and item table follow what an
annotator submits through the API, and show who is working in the project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from web.fresh import annotations, new_project
from web.helpers import login, shot

LIVE = {
    "name": "live",
    "controls": [{"name": "sentiment", "type": "choice", "source": "text",
                  "options": ["pos", "neg"], "required": True}],
}
ANNOTATOR = "ann1@demo.labelwell"
MANAGER = "manager@demo.labelwell"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def annotator_api(site: Any) -> dict[str, str]:
    issued = site.api("POST", "/tokens", json={"name": "live test", "email": ANNOTATOR})
    assert issued.status_code == 201, issued.text
    return {"Authorization": f"Bearer {issued.json()['token']}"}


def submit(site: Any, pid: int, headers: dict[str, str], answer: str) -> int:
    with httpx.Client(base_url=f"{site.url}/api/v1", headers=headers, timeout=30) as api:
        task = api.post(f"/projects/{pid}/tasks/next")
        assert task.status_code == 200, task.text
        done = api.post(f"/assignments/{task.json()['assignment_id']}/submit",
                        json={"result": {"sentiment": answer}})
        assert done.status_code == 201, done.text
        return int(task.json()["item_id"])


def test_the_dashboard_and_the_item_table_follow_an_annotator(page, site):
    texts = ["The delivery came early.", "Broken on arrival.", "Works as described."]
    pid = new_project(site, LIVE, [{"text": t} for t in texts], ANNOTATOR, blind=False)
    manager_id = site.seeded.users[MANAGER]
    r = site.api("PUT", f"/projects/{pid}/members/{manager_id}", json={"role": "manager"})
    assert r.status_code == 200, r.text
    annotator = annotator_api(site)

    login(page, MANAGER)
    page.goto(f"/projects/{pid}/manage")
    page.wait_for_selector("body[data-live=open]", state="attached")
    page.wait_for_selector(f"#presence .avatar[data-user='{manager_id}']")
    assert page.inner_text("#progress") == "0.0%"

    # the annotator opens the workspace (its heartbeat) and labels one item
    beat = httpx.post(f"{site.url}/api/v1/projects/{pid}/presence", json={"page": "workspace"},
                      headers=annotator, timeout=30)
    assert beat.status_code == 200, beat.text
    annotator_id = site.seeded.users[ANNOTATOR]
    chip = page.wait_for_selector(f"#presence .avatar[data-user='{annotator_id}']")
    assert ANNOTATOR in (chip.get_attribute("title") or "")
    first = submit(site, pid, annotator, "pos")
    page.wait_for_selector("#dashboard[data-updates='1']", state="attached")
    assert page.inner_text("#progress") == "33.3%"
    assert [a["item_id"] for a in annotations(site, pid)] == [first]
    page.locator("#dashboard").screenshot(path=str(DOCS_IMG / "live-presence.png"))

    # the item table: a row on screen refreshes in place when its item is labeled
    page.goto(f"/projects/{pid}/data")
    page.wait_for_selector("body[data-live=open]", state="attached")
    page.wait_for_selector("body[data-loads='1']", state="attached")
    second = submit(site, pid, annotator, "neg")
    page.wait_for_selector("body[data-loads='2']", state="attached")
    row = page.locator(f"#dm-table tbody tr[data-id='{second}']")
    assert ANNOTATOR in row.inner_text()  # its last annotator, shown in place
    assert page.locator("#dm-live").is_hidden()
    shot(page, "live-data-manager")
    stored = {a["item_id"]: a["result"]["sentiment"] for a in annotations(site, pid)}
    assert stored == {first: "pos", second: "neg"}
