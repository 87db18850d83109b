"""NER spans made the way people make them: a label key never changes the span
just made; relabelling a span is its own named action (R, or the Relabel button)."""

from __future__ import annotations

from web.helpers import login, open_workspace, shot, submit_and_wait
from web.text_select import drag_select, span_project, stored_spans

TEXT = "Alice met Bob in Paris, then Acme hired Carol in Seoul and Dana at Initech."
#: (surface, label) in text order: the labels alternate, as in real sentences.
WANTED = [
    ("Alice", "PER"),
    ("Bob", "PER"),
    ("Paris", "LOC"),
    ("Acme", "ORG"),
    ("Carol", "PER"),
    ("Seoul", "LOC"),
    ("Dana", "PER"),
    ("Initech", "ORG"),
]
KEY = {"PER": "1", "LOC": "2", "ORG": "3"}


def _where(surface: str) -> tuple[int, int]:
    start = TEXT.index(surface)
    return start, start + len(surface)


def _expected() -> set[tuple[str, int, int, str]]:
    return {(label, *_where(s), s) for s, label in WANTED}


def _stored(site, pid) -> set[tuple[str, int, int, str]]:
    return {(s["label"], s["start"], s["end"], s["text"]) for s in stored_spans(site, pid)}


def test_label_key_before_each_selection_never_relabels_the_span_just_made(page, site):
    """The palette says "active label": pick it, then select. Each key picks the
    label of the next span; the span just made keeps its own."""
    pid = span_project(site, [TEXT], "ann1@demo.labelwell")
    login(page, "ann1@demo.labelwell")
    first = open_workspace(page, pid)
    for surface, label in WANTED:
        page.keyboard.press(KEY[label])
        drag_select(page, TEXT, *_where(surface))
    assert page.locator(".ner-text .seg.ent").count() == len(WANTED)
    submit_and_wait(page, first, "Control+Enter")
    assert _stored(site, pid) == _expected()


def test_select_then_label_key_labels_the_selection(page, site):
    """Select the text first, then press its label's key: each selection gets
    the key pressed after it, and the next key goes to the next selection."""
    pid = span_project(site, [TEXT], "ann2@demo.labelwell")
    login(page, "ann2@demo.labelwell")
    first = open_workspace(page, pid)
    for i, (surface, label) in enumerate(WANTED):
        drag_select(page, TEXT, *_where(surface))
        if i == 3:  # the selection waits for its label, and the hint says so
            assert page.locator(".ner-text .seg.pending").inner_text() == surface
            assert surface in page.inner_text(".spans-hint")
            shot(page, "workspace-ner-waiting")
        page.keyboard.press(KEY[label])
    submit_and_wait(page, first, "Control+Enter")
    assert _stored(site, pid) == _expected()


def test_mouse_only_select_then_click_a_label(page, site):
    pid = span_project(site, [TEXT], "ann3@demo.labelwell")
    login(page, "ann3@demo.labelwell")
    first = open_workspace(page, pid)
    for surface, label in WANTED[:4]:
        drag_select(page, TEXT, *_where(surface))
        page.click(f".label-palette button[data-label={label}]")
    page.click("#btn-submit")
    page.wait_for_selector(f"body[data-ready]:not([data-ready='{first}'])", state="attached")
    want = {(label, *_where(s), s) for s, label in WANTED[:4]}
    assert _stored(site, pid) == want


def test_relabel_is_an_explicit_named_action(page, site):
    pid = span_project(site, [TEXT], "ann1@demo.labelwell")
    login(page, "ann1@demo.labelwell")
    first = open_workspace(page, pid)
    page.keyboard.press("1")
    for surface in ("Alice", "Paris", "Acme"):
        drag_select(page, TEXT, *_where(surface))  # all three PER for now
    # With a span selected, a number key still only picks the next label.
    page.keyboard.press("2")
    assert page.locator(".region-list li.selected .chip").text_content() == "PER"
    # Relabel with the keyboard: select Paris (arrows), R, then its label's key.
    page.keyboard.press("ArrowLeft")
    assert page.locator(".region-list li.selected .span-text").text_content() == "Paris"
    page.keyboard.press("r")
    assert "Paris" in page.inner_text(".spans-hint")
    page.keyboard.press("2")
    # The relabel is done: the next key picks a label and touches no span.
    page.keyboard.press("3")
    # Relabel with the mouse: click Acme, the Relabel button, then ORG.
    page.click(".ner-text .seg.ent >> text=Acme")
    page.click(".spans-tool button.relabel")
    page.click(".label-palette button[data-label=ORG]")
    # Escape cancels a relabel that was started.
    page.click(".ner-text .seg.ent >> text=Alice")
    page.keyboard.press("r")
    page.keyboard.press("Escape")
    page.keyboard.press("3")
    submit_and_wait(page, first, "Control+Enter")
    assert _stored(site, pid) == {
        ("PER", *_where("Alice"), "Alice"),
        ("LOC", *_where("Paris"), "Paris"),
        ("ORG", *_where("Acme"), "Acme"),
    }


def test_shortcuts_overlay_names_relabel_in_english_and_korean(page, site):
    pid = span_project(site, [TEXT], "ann2@demo.labelwell")
    login(page, "ann2@demo.labelwell")
    open_workspace(page, pid)
    page.keyboard.press("?")
    keys = page.inner_text("#help-dialog")
    assert "R" in page.locator("#help-dialog kbd").all_inner_texts()
    assert "relabel the selected span" in keys
    page.click("#help-close")
    page.goto("/projects")
    page.select_option("#lang-select", "ko")
    page.click("form[action='/lang'] button")
    page.wait_for_selector("text=내 프로젝트")
    open_workspace(page, pid)
    page.keyboard.press("?")
    assert "선택한 스팬의 라벨 바꾸기" in page.inner_text("#help-dialog")
