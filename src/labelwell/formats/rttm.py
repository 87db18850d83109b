"""RTTM (Rich Transcription Time Marked; NIST Rich Transcription 2009 evaluation
plan, appendix A): the diarization format of NIST's ``md-eval``, pyannote and
DIHARD. One ``SPEAKER`` line per time region, ten space-separated fields::

    SPEAKER <file> 1 <onset> <duration> <NA> <NA> <speaker> <NA> <NA>

``<file>`` is the item's external id, else its id, with whitespace turned into
``_`` (RTTM fields hold none); with ``labels="raw"`` each annotator's regions get
``<file>@<annotator>``. The speaker is the region's ``speaker``, else its label;
times are seconds with millisecond precision. ``pyannote.database.util.load_rttm``
reads the file.

The importer reads ``SPEAKER`` lines back (other line types and ``;;`` comments
are skipped), one row per file name, keyed as the export keys it (``<file>`` the
item's external id or id; ``<file>@<annotator>`` gives the annotator). A speaker
named like one of the control's labels becomes a region of that label; any other
speaker a region of the ``label`` option (by default the control's first label)
with that ``speaker``. RTTM holds no media, so its regions are attached to items
already in the project (``labelwell import --predictions-of``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from labelwell.errors import InvalidInput
from labelwell.formats._bundle import Bundle, number
from labelwell.formats._ontology import ControlImporter, default_label, first_control
from labelwell.formats._select import attach, check_mode, chosen_labels
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    register_exporter,
    register_importer,
)

TIME_TYPES = ("time_region",)
_SPACE = re.compile(r"\s+")


def rttm_field(text: str) -> str:
    """``text`` as one RTTM field: no whitespace, never empty."""
    return _SPACE.sub("_", text.strip()) or "_"


def rttm_lines(uri: str, regions: Iterable[dict[str, Any]]) -> list[str]:
    """The ``SPEAKER`` lines of one file's regions, in time order."""
    out = []
    for r in sorted(regions, key=lambda r: (float(r["start"]), float(r["end"]))):
        start, end = float(r["start"]), float(r["end"])
        who = rttm_field(str(r.get("speaker") or r["label"]))
        out.append(f"SPEAKER {uri} 1 {start:.3f} {end - start:.3f} <NA> <NA> {who} <NA> <NA>\n")
    return out


class RttmExporter:
    name = "rttm"
    extension = "rttm"
    media_type = "text/plain; charset=utf-8"
    needs = TIME_TYPES

    def __init__(self, labels: str = "consensus", control: str | None = None) -> None:
        self.labels = check_mode(labels)
        self.control = control

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        ctrl = first_control(ontology, self.needs, self.control)
        n = 0
        for rec in records:
            uri = rttm_field(str(rec.external_id or rec.item_id))
            picked = chosen_labels(rec, self.labels)
            for label in picked:
                name = uri
                if self.labels != "consensus" and label.source not in ("consensus", "gold"):
                    name = f"{uri}@{rttm_field(str(label.annotator or label.label_id))}"
                out.write("".join(rttm_lines(name, label.result.get(ctrl.name) or [])).encode())
            n += 1
        return n


class RttmImporter(ControlImporter):
    """Reads RTTM ``SPEAKER`` lines into ``time_region`` results."""

    name = "rttm"
    types = TIME_TYPES
    onto_items_only = True  # the files hold no media to make items of
    default_name, default_source = "regions", "audio"

    def read_bundle(self, bundle: Bundle) -> Iterator[ImportRow]:
        files = bundle.ending(".rttm") or bundle.names
        by_uri: dict[str, tuple[int, list[dict[str, Any]]]] = {}
        skipped = 0
        for name in files:
            for n, raw in enumerate(bundle.text(name).splitlines(), start=1):
                fields = raw.split()
                if not fields or fields[0].startswith(";;"):
                    continue
                if fields[0] != "SPEAKER":
                    skipped += 1
                    continue
                if len(fields) < 8:
                    raise InvalidInput(
                        f"{name} line {n}: a SPEAKER line has 10 fields, got {len(fields)}",
                        line=n,
                        field="fields",
                    )
                start = number(fields[3], where=name, line=n, field="onset", minimum=0)
                length = number(fields[4], where=name, line=n, field="duration", above=0)
                who = fields[7]
                region: dict[str, Any] = {"start": round(start, 3),
                                          "end": round(start + length, 3)}  # fmt: skip
                if who in self.ctrl.labels:
                    region["label"] = who
                else:
                    region["label"] = default_label(
                        self.ctrl, self.label, where=name, line=n, field="speaker"
                    )
                    region["speaker"] = who
                _, regions = by_uri.setdefault(fields[1], (n, []))
                region["id"] = f"r{len(regions) + 1}"
                regions.append(region)
        if skipped:
            self.warnings.append(f"{skipped} lines of other types than SPEAKER were skipped")
        for uri, (n, regions) in by_uri.items():
            key, _, annotator = uri.partition("@")
            row = ImportRow(line=n, data={}, external_id=key)
            attach(row, {self.ctrl.name: regions}, target=self.target, annotator=annotator or None)
            yield row


@register_exporter("rttm")
def _rttm_exporter(**options: Any) -> RttmExporter:
    return RttmExporter(**options)


@register_importer("rttm")
def _rttm_importer() -> RttmImporter:
    return RttmImporter()
