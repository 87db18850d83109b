"""Guidelines rendered as sanitised Markdown in the browser, with what changed
between two versions; raw HTML and script links stay inert."""

from __future__ import annotations

from web.helpers import login, open_workspace, shot, submit_and_wait

V1 = "Label the **sentiment** of each review."
V2 = """# Sentiment

Label the **sentiment** of each review.

* *positive*: the buyer would buy again
* *negative*: a complaint

| case | label |
|---|---|
| sarcasm | negative |

<script>window.__pwned = 1</script> [a trap](javascript:window.__pwned=2)
![an example](/media/items/1/0) ![tracker](https://tracker.example/p.png)
"""


def test_guidelines_render_as_markdown_with_a_diff(page, site):
    r = site.api(
        "POST",
        "/projects",
        json={
            "name": "guided",
            "guidelines": V1,
            "ontology": {
                "name": "guided",
                "controls": [
                    {
                        "name": "s",
                        "type": "choice",
                        "source": "text",
                        "options": ["positive", "negative"],
                    }
                ],
            },
        },
    )
    r.raise_for_status()
    pid = r.json()["id"]
    annotator = site.seeded.users["ann1@demo.labelwell"]
    site.api("PUT", f"/projects/{pid}/members/{annotator}", json={"role": "annotator"})
    site.api("POST", f"/projects/{pid}/guidelines", json={"text": V2}).raise_for_status()

    login(page, "ann1@demo.labelwell")
    page.goto(f"/projects/{pid}/guidelines")
    body = page.locator("#guideline-html")
    assert body.locator("h1").inner_text() == "Sentiment"
    assert body.locator("li").count() == 2 and body.locator("td").count() == 2
    assert "<script>" in body.inner_text()  # shown as text, never run
    assert page.evaluate("window.__pwned") is None
    assert body.locator("a").count() == 0  # the javascript: link is not a link
    assert body.locator("img").count() == 1
    assert body.locator("img").get_attribute("src") == "/media/items/1/0"
    assert body.locator(".image-refused").inner_text() == "tracker"
    assert "v1 → v2" in page.inner_text("#diff-summary")
    added = page.eval_on_selector_all("#diff .added", "els => els.map((e) => e.textContent)")
    assert "+ # Sentiment" in added
    assert page.locator("#diff .same").first.inner_text() == "  " + V1
    shot(page, "projects-guidelines")
    # one version compared with itself: nothing to show
    page.select_option("#from-version", "2")
    page.click("#diff-form button")
    page.wait_for_url("**from_version=2**")
    assert page.locator("#diff").count() == 0


def test_annotators_see_that_the_guidelines_changed(page, site):
    onto = {
        "name": "guided-ws",
        "controls": [
            {"name": "s", "type": "choice", "source": "text", "options": ["positive", "negative"]}
        ],
    }
    r = site.api(
        "POST",
        "/projects",
        json={"name": "guided-ws", "ontology": onto, "gold_ratio": 0, "guidelines": "Be **kind**."},
    )
    r.raise_for_status()
    pid = r.json()["id"]
    annotator = site.seeded.users["ann2@demo.labelwell"]
    site.api("PUT", f"/projects/{pid}/members/{annotator}", json={"role": "annotator"})
    rows = [{"data": {"text": f"review {i}"}} for i in range(3)]
    site.api("POST", f"/projects/{pid}/items", json={"items": rows}).raise_for_status()

    login(page, "ann2@demo.labelwell")
    before = open_workspace(page, pid)
    assert page.inner_text("#guideline-text strong") == "kind"  # Markdown, rendered
    assert page.is_hidden("#guidelines-changed")  # a first visit announces nothing

    # a new version while working: the next task, leased under it, says so
    site.api("POST", f"/projects/{pid}/guidelines", json={"text": "Be **kind**.\n\nSay why."})
    page.keyboard.press("1")
    submit_and_wait(page, before)
    page.wait_for_selector("#guidelines-changed:not([hidden])")
    assert "The guidelines changed (version 2)" in page.inner_text("#guidelines-changed")
    href = page.get_attribute("#guidelines-diff-link", "href")
    assert href == f"/projects/{pid}/guidelines?from_version=1&to_version=2"
    shot(page, "projects-guidelines-changed")
    page.click("#guidelines-seen")
    assert page.is_hidden("#guidelines-changed")
    open_workspace(page, pid)
    assert page.is_hidden("#guidelines-changed")  # seen: not said again
    assert "Say why." in page.inner_text("#guideline-text")
