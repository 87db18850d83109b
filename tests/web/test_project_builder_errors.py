"""The project builder says what is wrong in words (English and Korean),
beside the field, never in the validator's own terms, and each message goes
away once its field is fixed; the control type starts unchosen."""

from __future__ import annotations

import uuid

from web.helpers import login, shot


def error(page, place: str) -> str:
    loc = page.locator(f"#{place}-error")
    return loc.inner_text() if loc.is_visible() else ""


def test_builder_errors_are_words_and_clear_once_fixed(page, site):
    login(page, "manager@demo.labelwell")
    page.goto("/projects/new")
    assert page.input_value("#c-type") == ""  # nothing chosen for the user
    assert page.inner_text("#c-type option:checked") == "Choose a type…"
    page.click("#builder button")
    assert error(page, "builder") == "Give the control a name."
    assert page.get_attribute("#c-name", "aria-invalid") == "true"
    page.fill("#c-name", "sentiment")  # fixed; the next missing thing is said instead
    assert error(page, "builder") == "Choose the control's type."
    page.select_option("#c-type", "choice")
    assert error(page, "builder") == "List the options, separated by commas."
    page.fill("#c-options", "good, bad")
    assert error(page, "builder") == ""
    assert page.get_attribute("#c-name", "aria-invalid") is None
    page.click("#builder button")
    assert page.input_value("#c-type") == ""  # ready for the next control
    page.fill("#c-name", "sentiment")
    page.select_option("#c-type", "text")
    page.click("#builder button")
    assert error(page, "builder") == "There is already a control with this name."
    page.fill("#c-name", "note")
    assert error(page, "builder") == ""
    page.click("#builder button")

    # the project's own fields, all checked at once
    page.fill("#overlap", "0")
    page.fill("#gold_ratio", "5")
    page.click("#create")
    assert error(page, "name") == "Give the project a name."
    assert error(page, "overlap") == "Overlap must be a whole number from 1 to 100."
    assert error(page, "gold_ratio") == "The gold ratio must be a number from 0 to 1 (0.05 is 5 %)."
    shot(page, "new-project-errors")
    page.fill("#name", "builder-errors")
    assert error(page, "name") == ""
    page.fill("#overlap", "2")
    page.fill("#gold_ratio", "0.05")
    assert error(page, "overlap") == "" and error(page, "gold_ratio") == ""

    # the server's checks, in the page's words and by the control they are about
    page.fill(
        "#ontology",
        '{"controls": [{"name": "cars", "type": "bbox", "source": "image"}]}',
    )
    page.click("#create")
    page.wait_for_selector("#ontology-error:not([hidden])")
    message = error(page, "ontology")
    assert message == "Control “cars”: List the labels, separated by commas."
    assert "missing" not in message and "Input should" not in message
    page.fill("#ontology", '{"controls": [')
    assert error(page, "ontology") == ""  # changed: the server's verdict no longer holds
    page.click("#create")
    assert error(page, "ontology").startswith("The ontology text is not valid JSON.")
    page.fill("#ontology", '{"controls": []}')
    assert error(page, "ontology") == ""
    page.click("#create")
    assert error(page, "ontology") == "Add at least one control before creating the project."

    taken = f"taken-{uuid.uuid4().hex[:6]}"
    ontology = {"controls": [{"name": "s", "type": "choice", "options": ["a", "b"]}]}
    r = site.api("POST", "/projects", json={"name": taken, "ontology": {"name": taken, **ontology}})
    assert r.status_code == 201, r.text
    page.fill("#name", taken)
    page.fill("#ontology", '{"controls": [{"name": "s", "type": "choice", "options": ["a"]}]}')
    page.click("#create")
    page.wait_for_selector("#name-error:not([hidden])")
    assert error(page, "name") == "A project with this name already exists. Choose another name."
    page.fill("#name", f"{taken}-2")
    assert error(page, "name") == ""
    page.click("#create")
    page.wait_for_url("**/manage")


def test_builder_errors_in_korean(page, site):
    login(page, "manager@demo.labelwell")
    page.context.add_cookies([{"name": "lw_lang", "value": "ko", "url": site.url}])
    page.goto("/projects/new")
    assert page.inner_text("#c-type option:checked") == "유형 선택…"
    page.click("#builder button")
    assert error(page, "builder") == "컨트롤 이름을 입력하세요."
    page.fill("#c-name", "감정")
    assert error(page, "builder") == "컨트롤 유형을 고르세요."
    page.click("#create")
    assert error(page, "name") == "프로젝트 이름을 입력하세요."
