"""Small SVG charts drawn on the server: no chart library, no script, every
label escaped. Each function returns markup safe to place in a page."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from labelwell.work.stats import Timeline

PALETTE = ("#3b6fd8", "#e0803a", "#3aa66b", "#c94f7c", "#8a63d2", "#2aa5b8", "#b59a2c")
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def bar_chart(title: str, bars: Sequence[tuple[str, float]], *, width: int = 420) -> Markup:
    """Horizontal bars, one row per (label, value)."""
    row, label_w, pad = 24, 150, 8
    height = max(1, len(bars)) * row + 2 * pad
    top = max((v for _, v in bars), default=0.0) or 1.0
    span = width - label_w - 60
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    if not bars:
        parts.append(f'<text x="{pad}" y="{pad + 14}" {_FONT} fill="#667">—</text>')
    for i, (label, value) in enumerate(bars):
        y = pad + i * row
        w = max(1.0, span * value / top) if value else 0.0
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" {_FONT} fill="#223">'
            f"{escape(label[:24])}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" rx="3" '
            f'fill="{colour}"><title>{escape(label)}: {_fmt(value)}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" {_FONT} fill="#223">{_fmt(value)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def cumulative_chart(title: str, timeline: Timeline, *, width: int = 420) -> Markup:
    """The running count of a :class:`~labelwell.work.stats.Timeline`, rising
    through each interval by the annotations made in it."""
    height, pad = 160, 28
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    running = timeline.cumulative()
    if timeline.start is not None and timeline.total:
        n, steps = timeline.total, len(running)
        pts: list[tuple[float, float]] = [(pad, height - pad)]
        for i, (_, count) in enumerate(running):
            x = pad + (width - 2 * pad) * (i + 1) / steps
            pts.append((x, height - pad - (height - 2 * pad) * count / n))
        pts.append((width - pad, height - pad))
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        parts.append(f'<polygon points="{path}" fill="#3b6fd833" stroke="#3b6fd8"/>')
        start = timeline.start.astimezone().strftime("%m-%d %H:%M")
        end = running[-1][0].astimezone().strftime("%m-%d %H:%M")
        parts.append(
            f'<text x="{pad}" y="{height - 8}" {_FONT} fill="#445">{start}</text>'
            f'<text x="{width - pad}" y="{height - 8}" text-anchor="end" {_FONT} '
            f'fill="#445">{end}</text>'
            f'<text x="{pad}" y="{pad - 10}" {_FONT} fill="#223">{n}</text>'
        )
    parts.append(
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#889"/></svg>'
    )
    return Markup("".join(parts))
