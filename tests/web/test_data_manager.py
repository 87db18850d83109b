"""The data manager in chromium: the item table with search, filters, sort,
columns chosen and reordered (remembered), saved views, bulk actions with a
confirmed delete, the selection export and the item view with every answer
side by side; annotators are refused, and item text stays inert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from web.helpers import UNLABELLED, login, shot
from web.seed import CLASSIC, XSS_TEXT

ROWS = [
    ("Red apple, crisp and sweet.", ["pos", "pos"], 0.95),
    ("Green apple, too sour.", ["neg", "pos"], 0.52),
    ("The apple pie was burnt.", ["neg", "neg"], 0.81),
    ("사과가 아주 맛있어요.", ["pos"], 0.66),
    ("Delivery was late again.", [], 0.58),
    ("Nothing special.", [], None),
    (XSS_TEXT, [], None),
]


@pytest.fixture(scope="module")
def project(site):
    r = site.api("POST", "/projects", json={"name": "data-manager", "ontology": CLASSIC})
    r.raise_for_status()
    pid = r.json()["id"]
    users = site.seeded.users
    for email, role in (
        ("manager@demo.labelwell", "manager"),
        ("ann1@demo.labelwell", "annotator"),
    ):
        site.api("PUT", f"/projects/{pid}/members/{users[email]}", json={"role": role})
    lines = []
    for i, (text, answers, score) in enumerate(ROWS):
        row = {
            "external_id": f"row-{i}",
            "data": {"text": text},
            "annotations": [
                {
                    "result": {"sentiment": a},
                    "annotator": f"vendor{k}@example.org",
                    "time_spent_ms": 4000,
                }
                for k, a in enumerate(answers)
            ],
        }
        if score is not None:
            row["predictions"] = [
                {"model": "distil", "result": {"sentiment": "pos"}, "score": score}
            ]
        lines.append(json.dumps(row, ensure_ascii=False))
    body = ("\n".join(lines) + "\n").encode()
    r = site.api("POST", f"/projects/{pid}/import", files={"file": ("rows.jsonl", body)})
    assert r.status_code == 201, r.text
    return pid


def _loads(page) -> str:
    return str(page.evaluate("document.body.dataset.loads || ''"))


def _after(page, before: str) -> None:
    """Wait for the table's next load after ``before``."""
    page.wait_for_selector(f"body[data-loads]:not([data-loads='{before}'])", state="attached")
    page.wait_for_selector("#dm-table[aria-busy=false]", state="attached")


def _search(page, text: str) -> None:
    """Type a search and wait for the rows it finds.

    The search box waits 300 ms for typing to stop, and a live event may reload
    the table in that time: a load counted after typing may still show the
    previous search's rows, so the wait is for rows searched with ``text``.
    """
    page.fill("#dm-search", text)
    page.wait_for_function(
        """(text) => {
          const table = document.getElementById("dm-table");
          return table.dataset.search === text && table.getAttribute("aria-busy") === "false";
        }""",
        arg=text,
    )


def _previews(page) -> list[str]:
    return page.eval_on_selector_all(
        "#dm-table tbody td.preview", "tds => tds.map((td) => td.textContent)"
    )


def _open(page, pid):
    page.goto(f"/projects/{pid}/data")
    page.wait_for_selector("body[data-loads]", state="attached")
    page.wait_for_selector("#dm-count:not(:empty)")


def test_table_search_filter_sort_columns_and_views(page, site, project):
    login(page, "manager@demo.labelwell")
    page.click(f"a[href='/projects/{project}/data']")
    page.wait_for_selector("body[data-loads]", state="attached")
    assert len(_previews(page)) == len(ROWS)
    assert page.evaluate("window.__pwned") is None  # the script in an item stays text
    assert XSS_TEXT[:30] in "".join(_previews(page))
    page.wait_for_selector("#dm-count:has-text('7')")

    _search(page, "apple")
    assert sorted(_previews(page)) == sorted(t for t, _, _ in ROWS[:3])
    page.wait_for_selector("#dm-count:has-text('3')")

    page.click("#dm-columns-toggle")
    page.check("#dm-column-list li[data-column=uncertainty] input")
    before = _loads(page)
    page.click("#dm-table th[data-column=uncertainty] button.sort")
    _after(page, before)
    assert _previews(page) == [ROWS[1][0], ROWS[2][0], ROWS[0][0]]  # least confident first
    assert page.get_attribute("#dm-table th[data-column=uncertainty]", "aria-sort") == "descending"

    before = _loads(page)
    page.click("#dm-add-filter")
    _after(page, before)
    before = _loads(page)
    page.select_option("#dm-filters .dm-filter select >> nth=0", "agreement")
    _after(page, before)
    page.select_option("#dm-filters .dm-filter select >> nth=1", "lt")
    before = _loads(page)
    page.fill("#dm-filters .dm-filter input", "0.9")
    _after(page, before)
    page.wait_for_selector("#dm-count:has-text('1')")
    assert _previews(page) == [ROWS[1][0]]
    assert page.evaluate(UNLABELLED) == []  # every control has a label
    shot(page, "data-manager")

    page.fill("#dm-view-name", "apples in doubt")
    page.click("#dm-save-view")
    page.wait_for_selector("#dm-views option:has-text('apples in doubt')", state="attached")

    # columns: hide "created", move "status" first; both remembered on reload
    page.uncheck("#dm-column-list li[data-column=created] input")
    page.click("#dm-column-list li[data-column=status] button.up")
    page.click("#dm-column-list li[data-column=status] button.up")
    heads = page.eval_on_selector_all(
        "#dm-table thead th[data-column]", "ths => ths.map((th) => th.dataset.column)"
    )
    assert heads[0] == "status" and "created" not in heads
    page.wait_for_timeout(600)  # the layout is saved 400 ms after the last change
    _open(page, project)
    heads = page.eval_on_selector_all(
        "#dm-table thead th[data-column]", "ths => ths.map((th) => th.dataset.column)"
    )
    assert heads[0] == "status" and "created" not in heads
    assert page.input_value("#dm-search") == "apple" and len(_previews(page)) == 1

    # a saved view brings its filters back after they were cleared
    before = _loads(page)
    page.click("#dm-filters .dm-filter button")
    _after(page, before)
    _search(page, "")
    assert len(_previews(page)) == len(ROWS)
    before = _loads(page)
    page.select_option("#dm-views", label="apples in doubt")
    _after(page, before)
    assert _previews(page) == [ROWS[1][0]]
    assert page.input_value("#dm-search") == "apple"


def test_bulk_actions_confirmed_delete_export_and_item_view(page, site, project):
    login(page, "manager@demo.labelwell")
    _open(page, project)
    if page.input_value("#dm-search"):  # the other test's layout
        _search(page, "")
    for button in page.query_selector_all("#dm-filters .dm-filter button"):
        before = _loads(page)
        button.click()
        _after(page, before)
    _search(page, "apple")

    # send two ticked rows to review
    boxes = page.query_selector_all("#dm-table tbody input[type=checkbox]")
    boxes[0].check()
    boxes[1].check()
    page.wait_for_selector("#dm-selected:has-text('2')")
    before = _loads(page)
    page.click("[data-action=review]")
    page.wait_for_selector("#dm-status:has-text('2 of 2')")
    _after(page, before)  # the table reloads after an action

    # pre-label the ticked rows: a job for the worker
    boxes = page.query_selector_all("#dm-table tbody input[type=checkbox]")
    boxes[2].check()
    page.click("[data-action=prelabel]")
    page.wait_for_selector("#dm-status:has-text('job #')")

    # select everything the search matches, export it
    page.check("#dm-check-page")
    page.click("#dm-select-all", timeout=3000) if page.is_visible("#dm-select-all") else None
    with page.expect_download() as download:
        page.click("#dm-export")
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(x)["data"]["text"] for x in lines) == sorted(t for t, _, _ in ROWS[:3])

    # gold on a fresh item, then delete it after confirming the count
    _search(page, "special")
    page.check("#dm-check-page")
    page.select_option("#dm-gold-value", "neu")
    page.click("[data-action=gold_set]")
    page.wait_for_selector("#dm-status:has-text('1 of 1')")
    page.wait_for_selector("#dm-table tbody td.gold")
    page.check("#dm-check-page")
    page.click("[data-action=delete]")
    page.wait_for_selector("#dm-confirm:not([hidden])")
    assert "1" in page.inner_text("#dm-confirm-text")
    shot(page, "data-manager-delete")
    page.click("#dm-confirm-no")
    assert page.is_hidden("#dm-confirm")
    page.click("[data-action=delete]")
    before = _loads(page)
    page.click("#dm-confirm-yes")
    _after(page, before)
    page.wait_for_selector("#dm-table tbody td.muted")  # "No items match."
    audit = site.api("GET", f"/projects/{project}/stats")
    assert audit.status_code == 200

    # the item view: both answers side by side, the prediction and the consensus-free state
    _search(page, "Green")
    page.click("#dm-table tbody a.dm-open")
    page.wait_for_selector("body[data-loads='1']", state="attached")
    cards = page.query_selector_all("#dm-answers article.annotation")
    assert len(cards) == 2
    assert {c.query_selector("h3").inner_text() for c in cards} == {
        "vendor0@example.org",
        "vendor1@example.org",
    }
    assert "distil" in page.inner_text("#dm-predictions")
    shot(page, "data-manager-item")


def test_annotators_and_reviewers_are_refused(page, site, project):
    login(page, "ann1@demo.labelwell")
    response = page.goto(f"/projects/{project}/data")
    assert response.status == 403
    assert page.query_selector("#dm-table") is None
    page.goto("/projects")
    assert page.query_selector(f"a[href='/projects/{project}/data']") is None


def test_the_first_page_comes_with_the_page_and_a_known_count_shows_at_once(page, site, project):
    """Opening the table asks no page of rows of its own (the page brings the
    first one); going back to a search already counted shows that count as
    "about" at once, then the exact one."""
    login(page, "manager@demo.labelwell")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/data/items") else None)
    _open(page, project)
    assert page.query_selector_all("#dm-table tbody tr")  # rows, or the "no items" row
    assert asked == []
    for search in ("apple", "zzz-nothing-matches"):
        _search(page, search)
        page.wait_for_selector("#dm-count:not(:has-text('…'))")
    page.evaluate(
        """() => {
          const el = document.getElementById("dm-count");
          window.__counts = [];
          new MutationObserver(() => window.__counts.push(el.textContent))
            .observe(el, { childList: true, characterData: true, subtree: true });
        }"""
    )
    _search(page, "apple")
    page.wait_for_selector("#dm-count:text-is('Items matching: 3')")
    assert page.evaluate("window.__counts") == [
        "Items matching: about 3 (counting…)",
        "Items matching: 3",
    ]
    assert len(asked) == 3


def test_the_table_loads_no_answer_renderers_and_counts_once_loaded(page, site, project):
    """The table page loads none of the item view's answer renderers (render.js
    and the annotation tools it draws with, some 110 kB of modules), and asks
    for its count only once the page has loaded, so that the count (seconds of
    the database's time at a million items) never competes with the first paint."""
    login(page, "manager@demo.labelwell")
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url.split("/static/js/", 1)[-1]))
    _open(page, project)
    page.wait_for_selector("#dm-count:not(:has-text('…'))")
    assert "data_manager.js" in scripts and "api.js" in scripts
    assert "render.js" not in scripts and not [s for s in scripts if s.startswith("tools/")]
    load, counts = page.evaluate(
        """() => [performance.getEntriesByType("navigation")[0].loadEventStart,
                  performance.getEntriesByType("resource")
                    .filter((r) => r.name.endsWith("/data/count")).map((r) => r.startTime)]"""
    )
    assert len(counts) == 1 and counts[0] >= load > 0
