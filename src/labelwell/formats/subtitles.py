"""Transcripts as subtitles: WebVTT (W3C, "WebVTT: The Web Video Text Tracks
Format", Candidate Recommendation 2019) and SubRip (``.srt``, the de facto format
described by the ``srt`` library's documentation). One file per item, each
region with a transcript (``text``) a cue in time order; regions without text
are left out. A region's ``speaker`` becomes a WebVTT voice span ``<v Speaker>``
and an ``Speaker: `` prefix in SRT.

Both exports are zips of ``<item id>.vtt`` / ``<item id>.srt`` files (items
without cues get none) with ``labelwell_items.jsonl`` mapping files to items.
WebVTT text escapes ``&``, ``<`` and ``>``; SRT cue text has no blank lines.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from labelwell.formats._ontology import first_control
from labelwell.formats._select import chosen_labels
from labelwell.formats._sink import FolderExporter, Sink
from labelwell.formats.registry import ExportRecord, register_exporter
from labelwell.formats.rttm import TIME_TYPES

MANIFEST = "labelwell_items.jsonl"


def timestamp(seconds: float, separator: str) -> str:
    """``hh:mm:ss<separator>mmm``."""
    ms = round(max(0.0, seconds) * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


def _cues(regions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    texts = [r for r in regions if isinstance(r.get("text"), str) and r["text"].strip()]
    return sorted(texts, key=lambda r: (float(r["start"]), float(r["end"])))


def _escape_vtt(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _lines(text: str) -> str:
    """Cue text without blank lines (a blank line ends a cue in both formats)."""
    return "\n".join(line for line in text.strip().splitlines() if line.strip())


def webvtt(regions: Iterable[dict[str, Any]]) -> str:
    out = ["WEBVTT", ""]
    for r in _cues(regions):
        text = _escape_vtt(_lines(r["text"]))
        if r.get("speaker"):
            text = f"<v {_escape_vtt(str(r['speaker']))}>{text}"
        out += [
            f"{timestamp(float(r['start']), '.')} --> {timestamp(float(r['end']), '.')}",
            text,
            "",
        ]
    return "\n".join(out)


def srt(regions: Iterable[dict[str, Any]]) -> str:
    out = []
    for i, r in enumerate(_cues(regions), start=1):
        text = _lines(r["text"])
        if r.get("speaker"):
            text = f"{r['speaker']}: {text}"
        out += [
            str(i),
            f"{timestamp(float(r['start']), ',')} --> {timestamp(float(r['end']), ',')}",
            text,
            "",
        ]
    return "\n".join(out)


class SubtitleExporter(FolderExporter):
    needs = TIME_TYPES
    suffix = ""

    def render(self, regions: list[dict[str, Any]]) -> str:
        raise NotImplementedError

    def _export(self, records: Iterable[ExportRecord], sink: Sink, ontology: Any) -> int:
        ctrl = first_control(ontology, self.needs, self.control)
        manifest: list[bytes] = []
        n = 0
        for rec in records:
            for k, picked in enumerate(chosen_labels(rec, self.labels)):
                regions = list(picked.result.get(ctrl.name) or [])
                if not _cues(regions):
                    continue
                name = f"{rec.item_id}{'' if k == 0 else f'_{k}'}.{self.suffix}"
                sink.write(name, self.render(regions).encode())
                entry = {
                    "file": name,
                    "item_id": rec.item_id,
                    "external_id": rec.external_id,
                    "annotator": picked.annotator,
                    "source": picked.source,
                }
                manifest.append(json.dumps(entry, ensure_ascii=False).encode() + b"\n")
            n += 1
        sink.write(MANIFEST, b"".join(manifest))
        return n


class WebVTTExporter(SubtitleExporter):
    name = "webvtt"
    suffix = "vtt"

    def render(self, regions: list[dict[str, Any]]) -> str:
        return webvtt(regions)


class SrtExporter(SubtitleExporter):
    name = "srt"
    suffix = "srt"

    def render(self, regions: list[dict[str, Any]]) -> str:
        return srt(regions)


@register_exporter("webvtt")
def _webvtt_exporter(**options: Any) -> WebVTTExporter:
    return WebVTTExporter(**options)


@register_exporter("srt")
def _srt_exporter(**options: Any) -> SrtExporter:
    return SrtExporter(**options)
