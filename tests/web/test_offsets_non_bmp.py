"""Span offsets between the browser (UTF-16 strings) and the server (code
points) on text with a flag, an emoji with a skin tone, a ZWJ family and
Korean: made by dragging, pre-labelled by a model, shown in the review queue,
and exported."""

from __future__ import annotations

import json

from web.helpers import login, open_workspace, shot, submit_and_wait
from web.text_select import SELECT_UNITS, drag_select, span_project, stored_spans, utf16

FLAG, THUMB, FAMILY = "🇰🇷", "👍🏽", "👨\u200d👩\u200d👧"
TEXT = f"{FLAG} 팀 응원! {THUMB} 김철수와 {FAMILY} 가족이 서울에서 만났다. {THUMB}{FLAG}"
KEY = {"PER": "1", "LOC": "2", "ORG": "3"}


def _at(part: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(part, start + 1)
    return start, start + len(part)


def _rows(page) -> list[str]:
    return page.locator(".region-list .span-text").all_text_contents()


def _highlighted(page) -> list[str]:
    """The text of each highlighted run, joined across a span's segments."""
    return page.evaluate(
        """() => {
      const out = []; let run = null, last = null;
      for (const el of document.querySelectorAll('.ner-text .seg')) {
        if (el.classList.contains('ent')) {
          if (run !== null && last && last.nextElementSibling === el) run += el.textContent;
          else { if (run !== null) out.push(run); run = el.textContent; }
          last = el;
        }
      }
      if (run !== null) out.push(run);
      return out;
    }"""
    )


def test_dragged_spans_after_astral_characters_store_code_points(page, site):
    wanted = [
        (FLAG, "LOC", 0),
        ("팀", "ORG", 0),
        ("김철수", "PER", 0),
        (FAMILY, "PER", 0),
        ("서울", "LOC", 0),
        (FLAG, "LOC", 1),
    ]
    pid = span_project(site, [TEXT], "ann1@demo.labelwell")
    login(page, "ann1@demo.labelwell")
    first = open_workspace(page, pid)
    for part, label, nth in wanted:
        drag_select(page, TEXT, *_at(part, nth))
        page.keyboard.press(KEY[label])
    order = sorted(wanted, key=lambda w: _at(w[0], w[2]))
    assert _rows(page) == [part for part, _, _ in order]
    assert _highlighted(page) == [part for part, _, _ in order]
    # The whole text is drawn once, in order, whatever the cuts.
    drawn = "".join(page.locator(".ner-text .seg").all_text_contents())
    assert drawn == TEXT
    shot(page, "workspace-ner-astral")
    submit_and_wait(page, first, "Control+Enter")
    got = sorted((s["start"], s["end"], s["label"], s["text"]) for s in stored_spans(site, pid))
    assert got == sorted((*_at(p, n), label, p) for p, label, n in wanted)
    for s in stored_spans(site, pid):
        assert TEXT[s["start"] : s["end"]] == s["text"]

    # Exported, the offsets still cut the same text in Python.
    r = site.api("GET", f"/projects/{pid}/export", params={"format": "jsonl", "labels": "raw"})
    r.raise_for_status()
    (row,) = [json.loads(line) for line in r.text.splitlines()]
    text = row["data"]["text"]
    assert text == TEXT
    spans = row["annotations"][0]["result"]["entities"]
    assert sorted(text[s["start"] : s["end"]] for s in spans) == sorted(p for p, _, _ in wanted)
    r = site.api("GET", f"/projects/{pid}/export", params={"format": "conll", "labels": "raw"})
    r.raise_for_status()
    entities: list[list[str]] = []
    for line in r.text.splitlines():
        cols = line.split(" ")
        if len(cols) < 2 or line.startswith(("-DOCSTART-", "#")):
            continue
        if cols[-1].startswith("B-"):
            entities.append([cols[0], cols[-1][2:]])
        elif cols[-1].startswith("I-"):
            entities[-1][0] += cols[0]
    assert [tuple(e) for e in entities] == [(p, label) for p, label, _ in order]


def test_a_selection_inside_an_emoji_takes_the_whole_character(page, site):
    pid = span_project(site, [TEXT], "ann2@demo.labelwell")
    login(page, "ann2@demo.labelwell")
    first = open_workspace(page, pid)
    flag, thumb, family = _at(FLAG), _at(THUMB), _at(FAMILY)
    kim = _at("김철수")
    # Between the two letters of the flag, to the end of the first: the flag.
    page.evaluate(SELECT_UNITS, [utf16(TEXT, flag[0]), utf16(TEXT, flag[0] + 1)])
    page.keyboard.press("2")
    # Between the thumb and its skin tone, to the end of 김철수.
    page.evaluate(SELECT_UNITS, [utf16(TEXT, thumb[0] + 1), utf16(TEXT, kim[1])])
    page.keyboard.press("1")
    # Inside the family: after the man and his ZWJ, to after the woman.
    page.evaluate(SELECT_UNITS, [utf16(TEXT, family[0] + 2), utf16(TEXT, family[0] + 3)])
    page.keyboard.press("1")
    # Half of a UTF-16 surrogate pair (only a script can do this): the whole
    # code point and its cluster, never half a character.
    page.evaluate(SELECT_UNITS, [utf16(TEXT, flag[0]) + 1, utf16(TEXT, flag[0]) + 3])
    page.keyboard.press("3")
    assert _rows(page) == [FLAG, FLAG, TEXT[thumb[0] : kim[1]], FAMILY]
    submit_and_wait(page, first, "Control+Enter")
    got = sorted((s["start"], s["end"], s["label"]) for s in stored_spans(site, pid))
    want = [(*flag, "LOC"), (*flag, "ORG"), (thumb[0], kim[1], "PER"), (*family, "PER")]
    assert got == sorted(want)


def test_model_pre_labels_without_text_show_and_store_the_right_characters(page, site):
    pre = [
        {"id": "p1", "start": _at("김철수")[0], "end": _at("김철수")[1], "label": "PER"},
        {"id": "p2", "start": _at("서울")[0], "end": _at("서울")[1], "label": "LOC"},
        {"id": "p3", "start": _at(THUMB, 1)[0], "end": _at(FLAG, 1)[1], "label": "ORG"},
    ]
    pid = span_project(site, [TEXT], "ann3@demo.labelwell", predictions=[pre])
    login(page, "ann3@demo.labelwell")
    first = open_workspace(page, pid)
    assert page.locator("#suggestion").is_visible()
    want = ["김철수", "서울", THUMB + FLAG]
    assert _rows(page) == want
    assert _highlighted(page) == want
    submit_and_wait(page, first, "Control+Enter")
    got = {(s["id"], s["start"], s["end"], s["label"], s["text"]) for s in stored_spans(site, pid)}
    assert got == {
        (p["id"], p["start"], p["end"], p["label"], t) for p, t in zip(pre, want, strict=True)
    }


def test_review_queue_shows_the_span_text_of_stored_offsets(page, site, tmp_path):
    """Annotations imported with offsets only (no ``text``) are shown with the
    characters at those code points, in the review queue."""
    pid = span_project(site, [], "ann1@demo.labelwell", relations=True)
    spans = [
        {"id": "a", "start": _at("김철수")[0], "end": _at("김철수")[1], "label": "PER"},
        {"id": "b", "start": _at(FAMILY)[0], "end": _at(FAMILY)[1], "label": "ORG"},
        {"id": "c", "start": _at(FLAG, 1)[0], "end": _at(FLAG, 1)[1], "label": "LOC"},
    ]
    result = {"entities": spans, "links": [{"from": "a", "to": "b", "label": "works_at"}]}
    row = {"data": {"text": TEXT}, "annotations": [{"result": result, "annotator": "vendor"}]}
    path = tmp_path / "astral.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    with path.open("rb") as fh:
        r = site.api("POST", f"/projects/{pid}/import", files={"file": ("astral.jsonl", fh)})
    assert r.status_code == 201, r.text
    login(page, "admin@demo.labelwell")
    page.goto(f"/projects/{pid}/review")
    dd = page.locator("dd[data-control=entities]").first
    dd.wait_for()
    assert dd.locator(".span-text").all_text_contents() == ["김철수", FAMILY, FLAG]
    links = page.locator("dd[data-control=links]").first.inner_text()
    assert "PER: 김철수" in links and f"ORG: {FAMILY}" in links
