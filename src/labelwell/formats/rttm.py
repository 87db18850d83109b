"""RTTM (Rich Transcription Time Marked; NIST Rich Transcription 2009 evaluation
plan, appendix A): the diarization format of NIST's ``md-eval``, pyannote and
DIHARD. One ``SPEAKER`` line per time region, ten space-separated fields::

    SPEAKER <file> 1 <onset> <duration> <NA> <NA> <speaker> <NA> <NA>

``<file>`` is the item's external id, else its id, with whitespace turned into
``_`` (RTTM fields hold none); with ``labels="raw"`` each annotator's regions get
``<file>@<annotator>``. The speaker is the region's ``speaker``, else its label;
times are seconds with millisecond precision. ``pyannote.database.util.load_rttm``
reads the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, BinaryIO

from labelwell.formats._ontology import first_control
from labelwell.formats._select import check_mode, chosen_labels
from labelwell.formats.registry import ExportRecord, register_exporter

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


@register_exporter("rttm")
def _rttm_exporter(**options: Any) -> RttmExporter:
    return RttmExporter(**options)
