"""Transcripts as subtitles: WebVTT (W3C, "WebVTT: The Web Video Text Tracks
Format", Candidate Recommendation 2019) and SubRip (``.srt``, the de facto format
described by the ``srt`` library's documentation). One file per item, each
region with a transcript (``text``) a cue in time order; regions without text
are left out. A region's ``speaker`` becomes a WebVTT voice span ``<v Speaker>``
and an ``Speaker: `` prefix in SRT.

Both exports are zips of ``<item id>.vtt`` / ``<item id>.srt`` files (items
without cues get none) with ``labelwell_items.jsonl`` mapping files to items.
WebVTT text escapes ``&``, ``<`` and ``>``; SRT cue text has no blank lines.

The importers read such files back (a zip or folder of them, or one file): each
cue a region of the ``label`` option (by default the control's first label)
with its ``text``; a WebVTT voice span ``<v Speaker>`` gives the ``speaker``
(other tags are dropped, entities unescaped). SRT has no speaker field, so an
``Speaker: `` prefix stays part of the text. With the manifest, files are keyed
as their items (external id, else id) and annotators; without it, by file name.
Subtitles hold no media, so cues are attached to items already in the project
(``labelwell import --predictions-of``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import Any

from labelwell.errors import InvalidInput
from labelwell.formats._bundle import MANIFEST, Bundle, item_key, number
from labelwell.formats._ontology import ControlImporter, default_label, first_control
from labelwell.formats._select import attach, chosen_labels
from labelwell.formats._sink import FolderExporter, Sink
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    register_exporter,
    register_importer,
)
from labelwell.formats.rttm import TIME_TYPES

_TIME = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})$")
_VOICE = re.compile(r"^<v(?:\.[^\s>]*)?\s+([^>]*)>")
_TAG = re.compile(r"</?[^>]*>")


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


def seconds(text: str, *, where: str, line: int, field: str) -> float:
    """``[hh:]mm:ss.mmm`` (or ``,mmm``) in seconds; the inverse of :func:`timestamp`."""
    m = _TIME.match(text.strip())
    if m is None:
        raise InvalidInput(
            f"{where} line {line}: {field} must be a time like 00:01:02.500, got {text!r}",
            line=line,
            field=field,
        )
    h, mi, s, ms = m.groups()
    for part, name in ((mi, "minutes"), (s, "seconds")):
        number(part, where=where, line=line, field=f"{field} {name}", minimum=0)
        if int(part) > 59:
            raise InvalidInput(
                f"{where} line {line}: {field} has {int(part)} {name}", line=line, field=field
            )
    return int(h or 0) * 3600 + int(mi) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def read_cues(text: str, *, where: str, vtt: bool) -> list[dict[str, Any]]:
    """The cues of a WebVTT (``vtt``) or SRT file: ``start``, ``end``, ``text``
    and, from a WebVTT voice span, ``speaker``; ``line`` is the timing line's."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if vtt and not lines[0].startswith("WEBVTT"):
        raise InvalidInput(f"{where} line 1: a WebVTT file starts with WEBVTT", line=1,
                           field="header")  # fmt: skip
    cues: list[dict[str, Any]] = []
    n = 1 if vtt else 0
    while n < len(lines):
        if not lines[n].strip():
            n += 1
            continue
        block_start = n
        while n < len(lines) and lines[n].strip():
            n += 1
        block = lines[block_start:n]
        timing = next((i for i, ln in enumerate(block) if "-->" in ln), None)
        if timing is None:
            if vtt and block[0].split(" ", 1)[0] in ("NOTE", "STYLE", "REGION"):
                continue
            raise InvalidInput(
                f"{where} line {block_start + 1}: a cue needs a 'start --> end' line",
                line=block_start + 1,
                field="timing",
            )
        at = block_start + timing + 1
        start_text, _, rest = block[timing].partition("-->")
        end_text = rest.split()[0] if rest.split() else ""
        start = seconds(start_text, where=where, line=at, field="start")
        end = seconds(end_text, where=where, line=at, field="end")
        if end <= start:
            raise InvalidInput(
                f"{where} line {at}: end {end_text} is not after start {start_text.strip()}",
                line=at,
                field="end",
            )
        body = "\n".join(block[timing + 1 :])
        cue: dict[str, Any] = {"start": start, "end": end, "line": at}
        if vtt:
            voice = _VOICE.match(body)
            if voice:
                cue["speaker"] = html.unescape(voice.group(1).strip())
            body = html.unescape(_TAG.sub("", body))
        cue["text"] = body
        cues.append(cue)
    return cues


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


class SubtitleImporter(ControlImporter):
    """Reads WebVTT or SRT cues into ``time_region`` results with ``text``."""

    name = ""
    suffix = ""
    types = TIME_TYPES
    onto_items_only = True  # the files hold no media to make items of
    default_name, default_source = "regions", "audio"

    def read_bundle(self, bundle: Bundle) -> Iterator[ImportRow]:
        manifest = bundle.manifest()
        for n, name in enumerate(bundle.ending(f".{self.suffix}"), start=1):
            entry = manifest.get(name)
            key = (
                item_key(entry.get("external_id"), entry.get("item_id"))
                if entry
                else PurePosixPath(name).stem
            )
            cues = read_cues(bundle.text(name), where=name, vtt=self.suffix == "vtt")
            label = (
                default_label(self.ctrl, self.label, where=name, line=1, field="label")
                if cues
                else ""
            )
            regions = []
            for i, cue in enumerate(cues, start=1):
                region = {"id": f"c{i}", "label": label, "start": cue["start"],
                          "end": cue["end"], "text": cue["text"]}  # fmt: skip
                if cue.get("speaker"):
                    region["speaker"] = cue["speaker"]
                regions.append(region)
            row = ImportRow(line=n, data={}, external_id=key)
            annotator = (entry or {}).get("annotator")
            source = (entry or {}).get("source")
            attach(
                row,
                {self.ctrl.name: regions},
                target=self.target,
                annotator=annotator,
                source=source if source in ("human", "model") else None,
            )
            yield row


class WebVTTImporter(SubtitleImporter):
    name = "webvtt"
    suffix = "vtt"


class SrtImporter(SubtitleImporter):
    name = "srt"
    suffix = "srt"


@register_exporter("webvtt")
def _webvtt_exporter(**options: Any) -> WebVTTExporter:
    return WebVTTExporter(**options)


@register_exporter("srt")
def _srt_exporter(**options: Any) -> SrtExporter:
    return SrtExporter(**options)


@register_importer("webvtt")
def _webvtt_importer() -> WebVTTImporter:
    return WebVTTImporter()


@register_importer("srt")
def _srt_importer() -> SrtImporter:
    return SrtImporter()
