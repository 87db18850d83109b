"""Media path rules, SVG charts, the review queue order and the catalogue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from labelwell.errors import NotFound
from labelwell.server.web.charts import bar_chart, cumulative_chart
from labelwell.server.web.i18n import CATALOGUE, LANGUAGES, translator
from labelwell.server.web.media import resolve_media
from labelwell.server.web.review import review_queue
from labelwell.store.tables import Annotation


def test_media_stays_under_the_media_root(tmp_path: Path):
    root = tmp_path / "media"
    (root / "p").mkdir(parents=True)
    (root / "p" / "a.png").write_bytes(b"png")
    (tmp_path / "secret.txt").write_text("no")
    assert resolve_media(root, "p/a.png") == (root / "p" / "a.png").resolve()
    assert resolve_media(root, str(root / "p" / "a.png")).name == "a.png"
    for ref in (
        "../secret.txt",
        str(tmp_path / "secret.txt"),
        "p/../../secret.txt",
        "p",
        "/etc/passwd",
    ):
        with pytest.raises(NotFound):
            resolve_media(root, ref)
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(NotFound):
        resolve_media(root, "link.txt")


def test_charts_escape_labels_and_scale_bars():
    svg = bar_chart("Per <annotator>", [("<script>x</script>", 4), ("b@x.org", 2)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    widths = [
        float(w) for w in __import__("re").findall(r'<rect x="150" y="[^"]+" width="([^"]+)"', svg)
    ]
    assert widths[0] == pytest.approx(2 * widths[1])
    now = datetime.now(UTC)
    line = cumulative_chart("Over time", [now, now + timedelta(hours=1)])
    assert line.startswith("<svg") and "<polygon" in line
    assert "<polygon" not in cumulative_chart("empty", [])


def _ann(id_: int, item: int, result: dict, status: str = "submitted") -> Annotation:
    return Annotation(
        id=id_,
        item_id=item,
        agent=f"a{id_}",
        status=status,
        result=result,
        time_spent_ms=10,
        is_gold_check=False,
    )


def test_review_queue_puts_disagreements_first_and_ignores_region_ids():
    rows = [
        _ann(1, 10, {"c": "x"}),
        _ann(2, 10, {"c": "x"}),
        _ann(3, 20, {"c": "x"}),
        _ann(4, 20, {"c": "y"}),
        _ann(5, 30, {"e": [{"id": "a", "start": 0, "end": 2}]}),
        _ann(6, 30, {"e": [{"id": "b", "start": 0, "end": 2}]}),
        _ann(7, 40, {"c": "x"}, status="accepted"),
    ]
    queue = review_queue(rows, show_gold=True)
    assert [(e.item_id, e.disagree) for e in queue] == [(20, True), (10, False), (30, False)]


def test_review_queue_leaves_gold_checks_out_unless_gold_is_shown():
    gold = [_ann(1, 10, {"c": "x"}), _ann(2, 10, {"c": "y"}), _ann(3, 20, {"c": "x"})]
    for a in gold[:2]:
        a.is_gold_check = True
    assert [e.item_id for e in review_queue(gold, show_gold=False)] == [20]
    assert all("is_gold_check" not in a for a in review_queue(gold, show_gold=False)[0].annotations)
    managed = review_queue(gold, show_gold=True)
    assert [e.item_id for e in managed] == [10, 20]
    assert [a["is_gold_check"] for a in managed[0].annotations] == [True, True]


def test_catalogue_is_complete_in_every_language():
    for key, entry in CATALOGUE.items():
        assert set(entry) == set(LANGUAGES), key
        assert all(text.strip() for text in entry.values()), key
    assert translator("ko")("login.title") == "로그인"
    assert translator("xx")("login.title") == "Log in"
