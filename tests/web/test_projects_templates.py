"""The project builder's templates gallery and its live preview: a template
fills in the ontology, the preview shows the workspace's own tools on a sample
item and follows every edit, and a project made from a template keeps it."""

from __future__ import annotations

import json

from web.helpers import login, shot


def controls_in_preview(page) -> list[str]:
    return page.eval_on_selector_all(
        "#preview fieldset.control", "els => els.map((e) => e.dataset.type)"
    )


def test_templates_fill_the_ontology_and_the_preview_follows(page, site):
    login(page, "manager@demo.labelwell")
    page.goto("/projects/new")
    assert (
        page.inner_text("#preview-note") == "Add a control or pick a template to see the workspace."
    )

    page.click("#template-gallery [data-template=ner]")
    ontology = json.loads(page.input_value("#ontology"))
    assert [c["type"] for c in ontology["controls"]] == ["spans", "relations"]
    page.wait_for_selector("#preview fieldset[data-type=relations]")
    assert controls_in_preview(page) == ["spans", "relations"]
    assert "Charles Babbage" in page.inner_text("#preview")  # the sample item's text
    assert page.get_attribute("[data-template=ner]", "aria-pressed") == "true"

    # an untouched template is swapped for another without asking
    page.click("[data-template=boxes]")
    page.wait_for_selector("#preview fieldset[data-type=bbox] svg image")
    href = page.get_attribute("#preview svg image", "href")
    assert href == "/static/img/template-sample.svg"

    page.click("[data-template=classification]")
    page.wait_for_selector("#preview fieldset[data-type=choice]")
    assert controls_in_preview(page) == ["choice", "multi_choice", "text"]
    # the preview's tools work as in the workspace: number keys choose an option
    page.click("#preview fieldset[data-type=choice] legend")
    page.keyboard.press("2")
    assert page.is_checked("#preview fieldset[data-type=choice] input[value=negative]")
    shot(page, "projects-templates")

    # the builder adds a control and the preview shows it
    page.fill("#c-name", "stars")
    page.select_option("#c-type", "rating")
    page.click("#builder button")
    page.wait_for_selector("#preview fieldset[data-control=stars]")
    assert controls_in_preview(page)[-1] == "rating"

    # the user's own controls are not replaced without asking: cancelled here
    page.once("dialog", lambda d: d.dismiss())
    page.click("[data-template=ranking]")
    assert "stars" in page.input_value("#ontology")

    # broken JSON: the preview says so, and comes back once fixed
    text = page.input_value("#ontology")
    page.fill("#ontology", text + "}")
    page.wait_for_selector("#preview-note")
    assert page.inner_text("#preview-note") == "Fix the ontology's JSON to see the preview."
    page.fill("#ontology", text)
    page.wait_for_selector("#preview fieldset[data-control=stars]")

    # accepted: a project from the RLHF pairwise template keeps its ontology
    page.once("dialog", lambda d: d.accept())
    page.click("[data-template=rlhf_pairwise]")
    page.wait_for_selector("#preview fieldset[data-type=pairwise]")
    assert "Hash tables are data structures." in page.inner_text("#preview")
    page.fill("#name", "from-template-pairwise")
    page.click("#create")
    page.wait_for_url("**/manage")
    pid = int(page.url.rstrip("/").split("/")[-2])
    made = site.api("GET", f"/projects/{pid}").json()["ontology"]
    assert [c["type"] for c in made["controls"]] == ["pairwise", "rating"]


def test_every_template_previews_without_errors(page, site):
    login(page, "manager@demo.labelwell")
    page.goto("/projects/new")
    keys = page.eval_on_selector_all(
        "#template-gallery [data-template]", "els => els.map((e) => e.dataset.template)"
    )
    assert len(keys) == 13  # blank and twelve templates
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for key in keys[1:]:
        page.click(f"[data-template={key}]")
        n = len(json.loads(page.input_value("#ontology"))["controls"])
        page.wait_for_selector(f"#preview[data-controls='{n}'] fieldset.control >> nth={n - 1}")
    assert errors == []


def test_the_gallery_and_preview_speak_korean(page, site):
    login(page, "manager@demo.labelwell")
    page.goto("/projects/new")
    page.select_option("#lang-select", "ko")
    page.click("form[action='/lang'] button")
    page.wait_for_selector("#template-gallery")
    try:
        assert page.inner_text("#templates-title") == "템플릿으로 시작"
        assert page.inner_text("[data-template=ner] strong") == "개체명 인식"
        page.click("[data-template=ner]")
        page.wait_for_selector("#preview fieldset[data-type=spans]")
        assert page.inner_text("#preview-title") == "미리보기: 작업자에게 보이는 화면"
        shot(page, "projects-templates-ko")
    finally:
        page.select_option("#lang-select", "en")
        page.click("form[action='/lang'] button")
