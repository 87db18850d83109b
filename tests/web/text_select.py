"""Selecting text in the NER tool as a person does (a real mouse drag over the
characters), and small projects made through the API for span tests."""

from __future__ import annotations

from itertools import count
from typing import Any

_names = count(1)

#: Select a range by UTF-16 offsets into the tool's text, as a script can (and
#: a browser's own selection never does: inside a flag or an emoji sequence).
SELECT_UNITS = """([start, end]) => {
  const body = document.querySelector('.ner-text');
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => n.parentElement.classList.contains('seg') ? 1 : 3 });
  let pos = 0, range = document.createRange(), node;
  while ((node = walker.nextNode())) {
    const len = node.data.length;
    if (start >= pos && start <= pos + len) range.setStart(node, start - pos);
    if (end >= pos && end <= pos + len) { range.setEnd(node, end - pos); break; }
    pos += len;
  }
  const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
  body.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
}"""

#: The viewport rectangles of the first and last character (UTF-16 offsets
#: ``[start, end)`` into the tool's text), found through the seg text nodes only.
_RECTS = """([start, end]) => {
  const body = document.querySelector('.ner-text');
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => n.parentElement.classList.contains('seg') ? 1 : 3 });
  const points = [];
  let pos = 0, node;
  const rectAt = (n, a, b) => { const r = document.createRange(); r.setStart(n, a); r.setEnd(n, b);
    const box = r.getClientRects()[0]; return [box.left, box.right, (box.top + box.bottom) / 2]; };
  let first = null, last = null;
  while ((node = walker.nextNode())) {
    const len = node.data.length;
    if (first === null && start >= pos && start < pos + len) {
      const i = start - pos;
      const w = node.data.codePointAt(i) > 0xffff ? 2 : 1;
      first = rectAt(node, i, i + w);
    }
    if (end > pos && end <= pos + len) {
      const j = end - pos;
      const low = node.data.charCodeAt(j - 1);
      const w = j >= 2 && low >= 0xdc00 && low < 0xe000 ? 2 : 1;
      last = rectAt(node, j - w, j);
      break;
    }
    pos += len;
  }
  return [first, last];
}"""


def utf16(text: str, cp: int) -> int:
    """A code point offset as a JavaScript (UTF-16) string index."""
    return len(text[:cp].encode("utf-16-le")) // 2


def drag_select(page: Any, text: str, start: int, end: int) -> None:
    """Drag the mouse over ``text[start:end]`` (code point offsets) in the NER tool."""
    page.locator(".ner-text").scroll_into_view_if_needed()
    first, last = page.evaluate(_RECTS, [utf16(text, start), utf16(text, end)])
    assert first and last, f"no characters at [{start}, {end})"
    page.mouse.move(first[0] + 1, first[2])
    page.mouse.down()
    page.mouse.move((first[0] + last[1]) / 2, (first[2] + last[2]) / 2, steps=3)
    page.mouse.move(last[1] - 1, last[2], steps=2)
    page.mouse.up()


def span_project(
    site: Any,
    texts: list[str],
    annotator: str,
    *,
    labels: tuple[str, ...] = ("PER", "LOC", "ORG"),
    relations: bool = False,
    predictions: list[list[dict[str, Any]]] | None = None,
) -> int:
    """A new NER project (spans, optionally relations) with ``texts`` as its
    items and ``annotator`` as its only annotator; returns its id."""
    controls: list[dict[str, Any]] = [
        {"name": "entities", "type": "spans", "source": "text", "labels": list(labels)}
    ]
    if relations:
        controls.append(
            {"name": "links", "type": "relations", "spans": "entities", "labels": ["works_at"]}
        )
    name = f"spans-{next(_names)}-{annotator.split('@')[0]}"
    r = site.api(
        "POST",
        "/projects",
        json={"name": name, "ontology": {"name": name, "controls": controls}, "gold_ratio": 0.0},
    )
    r.raise_for_status()
    pid = int(r.json()["id"])
    uid = site.seeded.users[annotator]
    site.api("PUT", f"/projects/{pid}/members/{uid}", json={"role": "annotator"}).raise_for_status()
    rows = []
    for i, t in enumerate(texts):
        row: dict[str, Any] = {"data": {"text": t}}
        if predictions and predictions[i]:
            row["predictions"] = [
                {"result": {"entities": predictions[i]}, "model_name": "ner", "model_version": "1"}
            ]
        rows.append(row)
    if rows:
        site.api("POST", f"/projects/{pid}/items", json={"items": rows}).raise_for_status()
    return pid


def stored_spans(site: Any, project_id: int) -> list[dict[str, Any]]:
    """The spans of the project's annotations, read back through the API."""
    r = site.api("GET", f"/projects/{project_id}/annotations")
    r.raise_for_status()
    return [sp for a in r.json()["data"] for sp in a["result"].get("entities", [])]
