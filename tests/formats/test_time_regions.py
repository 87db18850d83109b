"""RTTM, WebVTT and SRT exports of time regions, read back with the ecosystem's
own readers: pyannote.database's load_rttm, webvtt-py and srt."""

from __future__ import annotations

import html
import io
import zipfile

import pytest
import srt as srt_lib
import webvtt
from pyannote.database.util import load_rttm

from formats.fmt_samples import label, record
from labelwell.formats.registry import EXPORTERS, fits
from labelwell.formats.rttm import RttmExporter
from labelwell.formats.subtitles import SrtExporter, WebVTTExporter
from labelwell.schema import Ontology

ONTOLOGY = Ontology.from_dict(
    {
        "name": "talk",
        "controls": [
            {
                "name": "turns",
                "type": "time_region",
                "source": "audio",
                "labels": ["speech", "music"],
            }
        ],
    }
)
TURNS = [
    {
        "id": "b",
        "label": "speech",
        "start": 4.25,
        "end": 6.5,
        "speaker": "Bo Kim",
        "text": "Fine, & you? <yes>",
    },
    {
        "id": "a",
        "label": "speech",
        "start": 0.5,
        "end": 3.125,
        "speaker": "Ann",
        "text": "Hello there.\n\nHow are you?",
    },
    {"id": "m", "label": "music", "start": 3.5, "end": 4.0},
    {"id": "c", "label": "speech", "start": 3661.0, "end": 3662.5, "text": "an hour in"},
]


def records():
    return [
        record(
            1,
            {"audio": "a.wav"},
            [label({"turns": TURNS}, agent="ann@x.org")],
            external_id="call one",
        ),
        record(2, {"audio": "b.wav"}, [label({"turns": TURNS[2:3]})]),
    ]


def test_rttm_reads_back_with_pyannote(tmp_path):
    buf = io.BytesIO()
    assert RttmExporter().write(records(), buf, ONTOLOGY) == 2
    path = tmp_path / "out.rttm"
    path.write_bytes(buf.getvalue())
    found = load_rttm(str(path))
    assert sorted(found) == ["2", "call_one"]
    one = found["call_one"]
    got = sorted(
        (round(s.start, 3), round(s.end, 3), who) for s, _, who in one.itertracks(yield_label=True)
    )
    assert got == [
        (0.5, 3.125, "Ann"),
        (3.5, 4.0, "music"),
        (4.25, 6.5, "Bo_Kim"),
        (3661.0, 3662.5, "speech"),
    ]
    raw = io.BytesIO()
    RttmExporter(labels="raw").write(records(), raw, ONTOLOGY)
    assert (
        "SPEAKER call_one@ann@x.org 1 0.500 2.625 <NA> <NA> Ann <NA> <NA>"
        in raw.getvalue().decode()
    )


def _zip(exporter):
    buf = io.BytesIO()
    assert exporter.write(records(), buf, ONTOLOGY) == 2
    return zipfile.ZipFile(buf)


def test_webvtt_reads_back_with_webvtt_py():
    z = _zip(WebVTTExporter())
    assert sorted(z.namelist()) == ["1.vtt", "labelwell_items.jsonl"]  # item 2 has no text
    captions = webvtt.from_buffer(io.StringIO(z.read("1.vtt").decode())).captions
    assert [(c.start, c.end) for c in captions] == [
        ("00:00:00.500", "00:00:03.125"),
        ("00:00:04.250", "00:00:06.500"),
        ("01:01:01.000", "01:01:02.500"),
    ]
    assert captions[0].voice == "Ann" and captions[0].text == "Hello there.\nHow are you?"
    # WebVTT escapes & < > in cue text (webvtt-py hands the text back as written)
    assert captions[1].voice == "Bo Kim" and captions[1].text == "Fine, &amp; you? &lt;yes&gt;"
    assert html.unescape(captions[1].text) == "Fine, & you? <yes>"
    assert captions[2].voice is None and captions[2].text == "an hour in"


def test_srt_reads_back_with_srt():
    z = _zip(SrtExporter())
    subs = list(srt_lib.parse(z.read("1.srt").decode()))
    assert [(s.start.total_seconds(), s.end.total_seconds()) for s in subs] == [
        (0.5, 3.125),
        (4.25, 6.5),
        (3661.0, 3662.5),
    ]
    assert subs[0].content == "Ann: Hello there.\nHow are you?"
    assert subs[2].content == "an hour in"


@pytest.mark.parametrize("name", ["rttm", "webvtt", "srt"])
def test_registered_and_need_a_time_region(name):
    assert EXPORTERS[name]().name == name
    boxes = Ontology.from_dict(
        {"name": "b", "controls": [{"name": "b", "type": "bbox", "labels": ["x"]}]}
    )
    ok, why = fits(name, boxes)
    assert not ok and "time_region" in why
    assert fits(name, ONTOLOGY) == (True, "")
