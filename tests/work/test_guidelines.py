"""Guidelines as sanitised Markdown and the difference between versions
(work/guidelines.py)."""

from __future__ import annotations

import pytest

from labelwell.errors import NotFound
from labelwell.work import guidelines, projects
from labelwell.work.guidelines import DiffLine, diff_lines, render_markdown
from world import build_world


def test_markdown_keeps_its_formatting():
    html = render_markdown("# Rules\n\n* **one**\n* `two`\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<h1>Rules</h1>" in html and "<strong>one</strong>" in html
    assert "<code>two</code>" in html and "<td>1</td>" in html


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](//evil.example/x)",
        '<a href="https://x" onclick="alert(1)">x</a>',
    ],
)
def test_raw_html_and_unsafe_links_stay_inert(text):
    html = render_markdown(text)
    assert "<script" not in html and "onerror=" not in html.replace("onerror=&quot;", "")
    assert 'href="javascript' not in html.lower() and 'href="vbscript' not in html.lower()
    assert 'href="data:' not in html and 'href="//' not in html and "<a href" not in html
    assert "<img" not in html


def test_a_backslash_path_stays_on_this_host():
    # browsers read "/\\host" as "//host"; the link is kept with the backslash encoded
    assert '<a href="/%5Cevil.example/x">' in render_markdown("[click](/\\evil.example/x)")


def test_images_only_from_an_items_media_route():
    assert '<img src="/media/items/12/0" alt="a cat"' in render_markdown(
        "![a cat](/media/items/12/0)"
    )
    for src in (
        "https://evil.example/t.png",
        "/media/items/12/../../x",
        "/static/x.png",
        "data:image/png;base64,AAAA",
    ):
        html = render_markdown(f"![pixel]({src})")
        assert "<img" not in html, src
    assert '<span class="image-refused">pixel</span>' in render_markdown("![pixel](/static/x.png)")
    assert '<a href="https://labelwell.example/faq">faq</a>' in render_markdown(
        "[faq](https://labelwell.example/faq)"
    )


def test_diff_lines():
    assert diff_lines("a\nb\nc", "a\nB\nc\nd") == [
        DiffLine("same", "a"),
        DiffLine("removed", "b"),
        DiffLine("added", "B"),
        DiffLine("same", "c"),
        DiffLine("added", "d"),
    ]


def test_diff_between_stored_versions(db):
    world = build_world(db, n_items=1)
    with db.session() as s:
        projects.add_guideline(s, world.manager, world.project_id, "Be careful.\nSay why.")
    with db.read_session() as s:
        found = guidelines.guideline_diff(s, world.annotators[0], world.project_id, 1, 2)
        assert (found.added, found.removed) == (1, 0)
        assert found.lines[-1] == DiffLine("added", "Say why.")
        shown = guidelines.rendered(s, world.annotators[0], world.project_id, 2)
        assert shown["html"] == "<p>Be careful.\nSay why.</p>\n"
        with pytest.raises(NotFound):
            guidelines.guideline_diff(s, world.annotators[0], world.project_id, 1, 9)
        with pytest.raises(NotFound):
            guidelines.rendered(s, world.outsider, world.project_id, 1)
