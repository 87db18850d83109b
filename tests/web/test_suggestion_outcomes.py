"""What the annotator did with a machine suggestion is stored with the
annotation (``details.suggestion``): taken unchanged -> accepted, taken then
changed -> edited, dismissed -> rejected, each with the suggestion's id."""

from __future__ import annotations

from sqlalchemy import select

from labelwell.store.db import Database
from labelwell.store.tables import Annotation
from web.helpers import login, open_workspace, submit_and_wait
from web.seed import SUGGESTED_TEXTS


def _stored_outcomes(site) -> dict[int, dict]:
    db = Database(f"sqlite:///{site.home / 'labelwell.db'}")
    try:
        with db.read_session() as s:
            rows = s.scalars(
                select(Annotation).where(
                    Annotation.project_id == site.seeded.ids["suggest"],
                    Annotation.source == "human",
                )
            )
            return {a.item_id: (a.details or {}).get("suggestion") for a in rows}
    finally:
        db.dispose()


def test_accepted_edited_and_rejected_suggestions_are_recorded(page, site):
    pid = site.seeded.ids["suggest"]
    login(page, "ann3@demo.labelwell")
    current = open_workspace(page, pid)
    done: dict[str, tuple[int, int]] = {}  # text -> (item id, suggestion id)

    def task() -> tuple[str, int, int]:
        text = page.inner_text(".item-text")
        item = int(page.get_attribute("#task", "data-item"))
        suggestion = page.evaluate("window.lw.state.task.suggestions[0].id")
        done[text] = (item, suggestion)
        assert page.locator("#suggestion").is_visible()
        assert "sentiment-bert" in page.inner_text("#suggestion")
        return text, item, suggestion

    # 1. Taken as it is: the suggestion (pos) pre-fills the choice.
    task()
    assert page.is_checked("[data-control=sentiment] input[value=pos]")
    current = submit_and_wait(page, current)
    # 2. Taken, then changed by a number key.
    task()
    page.keyboard.press("2")
    current = submit_and_wait(page, current)
    # 3. Dismissed (undo takes it back, then it is dismissed again), then
    # labelled without it.
    task()
    page.click("#reject-suggestion")
    assert not page.locator("#suggestion").is_visible()
    assert not page.is_checked("[data-control=sentiment] input[value=pos]")
    page.keyboard.press("Control+z")
    assert page.locator("#suggestion").is_visible()
    assert page.is_checked("[data-control=sentiment] input[value=pos]")
    page.click("#reject-suggestion")
    page.keyboard.press("3")
    assert submit_and_wait(page, current) == "done"

    stored = _stored_outcomes(site)
    predictions = {
        item: site.api("GET", f"/items/{item}/predictions").json()["data"][0]["id"]
        for item, _ in done.values()
    }
    outcomes = {}
    for text, (item, suggestion) in done.items():
        assert suggestion == predictions[item]
        assert stored[item]["prediction_id"] == suggestion
        outcomes[text] = stored[item]["outcome"]
    assert list(outcomes.values()) == ["accepted", "edited", "rejected"]
    assert set(outcomes) == set(SUGGESTED_TEXTS)
    results = {a["item_id"]: a["result"] for a in site.annotations("suggest")}
    assert [results[done[t][0]] for t in outcomes] == [
        {"sentiment": "pos"},
        {"sentiment": "neg"},
        {"sentiment": "neu"},
    ]
