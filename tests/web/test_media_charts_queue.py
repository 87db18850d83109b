"""Media path rules, SVG charts and the catalogue."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from labelwell.errors import NotFound
from labelwell.server.web.charts import bar_chart, cumulative_chart
from labelwell.server.web.i18n import CATALOGUE, LANGUAGES, translator
from labelwell.server.web.media import resolve_media
from labelwell.work.stats import Timeline


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
        float(w) for w in re.findall(r'<rect x="150" y="[^"]+" width="([^"]+)"', svg)
    ]
    assert widths[0] == pytest.approx(2 * widths[1])
    now = datetime.now(UTC)
    line = cumulative_chart("Over time", Timeline(now, 60, [1, 0, 3]))
    assert line.startswith("<svg") and "<polygon" in line and ">4</text>" in line
    # the running count: 1 of 4 after the first minute, then flat, then all 4
    heights = [float(y) for y in re.findall(r",([0-9.]+)", line.split('points="')[1])]
    assert heights == [132.0, 106.0, 106.0, 28.0, 132.0]
    assert "<polygon" not in cumulative_chart("empty", Timeline(None, 1, []))


def test_catalogue_is_complete_in_every_language():
    for key, entry in CATALOGUE.items():
        assert set(entry) == set(LANGUAGES), key
        assert all(text.strip() for text in entry.values()), key
    assert translator("ko")("login.title") == "로그인"
    assert translator("xx")("login.title") == "Log in"
