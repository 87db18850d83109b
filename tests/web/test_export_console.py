"""The manager console lists only the export formats that fit the project, and a
format forced on it shows the server's 422 reason instead of a broken download."""

from __future__ import annotations

from pathlib import Path

from web.helpers import login, shot


def _listed(page) -> set[str]:
    return set(page.eval_on_selector_all("#export-list a[data-format]",
                                         "links => links.map((a) => a.dataset.format)"))


def test_console_lists_only_fitting_formats_and_shows_a_refusal(page, site):
    login(page, "admin@demo.labelwell")
    classic = site.seeded.ids["classic"]
    page.goto(f"/projects/{classic}/manage")
    listed = _listed(page)
    fitting = {f["name"] for f in site.api("GET", f"/projects/{classic}/export/formats").json()[
        "data"] if f["fits"]}
    assert listed == fitting
    assert {"jsonl", "csv", "crowdkit"} <= listed
    assert not listed & {"coco", "yolo", "voc", "conll", "dpo", "sft"}

    with page.expect_download() as download:
        page.click("#export-list a[data-format=jsonl]")
    page.wait_for_selector("#export-status.ok")
    rows = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2

    # Forced: a link to a format the project cannot fill.
    page.evaluate("""(pid) => {
        const li = document.createElement("li");
        li.innerHTML = `<a href="/api/v1/projects/${pid}/export?format=coco" download
                           data-format="coco">coco</a>`;
        document.getElementById("export-list").append(li);
    }""", classic)
    page.click("#export-list a[data-format=coco]")
    page.wait_for_selector("#export-status.error")
    message = page.inner_text("#export-status")
    assert "coco export needs a bbox" in message and "choice" in message
    shot(page, "export-refused")

    shapes = site.seeded.ids["shapes"]
    page.goto(f"/projects/{shapes}/manage")
    assert {"coco", "jsonl"} <= _listed(page)
    assert "conll" not in _listed(page) and "dpo" not in _listed(page)
