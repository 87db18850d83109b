from __future__ import annotations

import csv
import io

import pytest

from formats.fmt_samples import label, record
from labelwell.formats.crowdkit import CrowdKitExporter
from labelwell.formats.registry import LabelRecord, Provenance
from labelwell.formats.tabular import CsvExporter, spreadsheet_safe

SENTIMENT = {
    "name": "s",
    "controls": [{"name": "sentiment", "type": "choice", "source": "text",
                  "labels": ["=1+1", "positive"]}],
}


@pytest.mark.parametrize(("value", "written"), [
    ("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
    ("@SUM(1)", "'@SUM(1)"),
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("plain", "plain"),
    ("", ""),
    ("-12", "-12"),
    ("+3.5e2", "+3.5e2"),
    (-12, -12),
    (0.25, 0.25),
    (None, None),
])
def test_spreadsheet_safe_follows_owasp(value, written):
    assert spreadsheet_safe(value) == written


def _rows(payload: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(payload.decode())))


def test_csv_export_neutralises_formulas_and_keeps_numbers():
    rec = record(1, {"text": "a"}, [label({"sentiment": "positive"}, "@SUM(1)")],
                 external_id='=HYPERLINK("http://evil.example","click")')
    rec.predictions.append(LabelRecord(id=9, result={"sentiment": "positive"}, score=-0.5,
                                       provenance=Provenance(source="model", agent="-clf@1")))
    out = io.BytesIO()
    CsvExporter().write([rec], out, None)
    header, *rows = _rows(out.getvalue())
    cells = [dict(zip(header, r, strict=True)) for r in rows]
    assert {c["external_id"] for c in cells} == {"'=HYPERLINK(\"http://evil.example\",\"click\")"}
    assert cells[0]["agent"] == "'@SUM(1)"
    assert cells[1]["agent"] == "'-clf@1" and cells[1]["score"] == "-0.5"
    assert cells[0]["item_id"] == "1"
    for cell in (c for row in rows for c in row):
        assert not cell or cell[0] not in "=+-@\t\r" or cell == "-0.5"


def test_crowdkit_csv_neutralises_formulas():
    rec = record(1, {"text": "a"}, [label({"sentiment": "=1+1"}, "@SUM(1)")], external_id="-x")
    out = io.BytesIO()
    CrowdKitExporter().write([rec], out, SENTIMENT)
    assert _rows(out.getvalue()) == [["task", "worker", "label"], ["'-x", "'@SUM(1)", "'=1+1"]]
