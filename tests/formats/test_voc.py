from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import pytest

from formats.fmt_samples import VISION, label, record, vision_records
from labelwell.errors import InvalidInput
from labelwell.formats.registry import EXPORTERS, IMPORTERS
from labelwell.formats.voc import VocExporter, VocImporter


def test_layout_xml_and_round_trip(tmp_path):
    assert "voc" in EXPORTERS and "voc" in IMPORTERS
    recs = vision_records()
    out = tmp_path / "voc"
    assert VocExporter(labels="raw").export_dir(recs, out, VISION) == 3
    assert (out / "ImageSets/Main/train.txt").read_text().split() == ["1_1", "2_2", "3_3"]
    root = ET.parse(out / "Annotations/1_1.xml").getroot()
    assert root.findtext("size/width") == "640"
    obj = root.findall("object")[1]
    assert obj.findtext("name") == "dog" and obj.findtext("occluded") == "1"
    assert [obj.findtext(f"bndbox/{k}") for k in ("xmin", "ymin", "xmax", "ymax")] == [
        "200.5",
        "100.25",
        "240.5",
        "180.25",
    ]
    rows = list(VocImporter(VISION).read(out))
    for rec, row in zip(recs, rows, strict=True):
        assert row.data["width"] == rec.data["width"]
        want = [(a.provenance.agent, a.result.get("boxes", [])) for a in rec.annotations]
        got = [(a.get("annotator"), a["result"]["boxes"]) for a in row.annotations]
        assert got == want
    # import -> export -> import
    again = [
        record(i, r.data, [label(a["result"], a["annotator"]) for a in r.annotations])
        for i, r in enumerate(rows)
    ]
    buf = io.BytesIO()
    VocExporter(labels="raw").write(again, buf, VISION)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        zf.extractall(tmp_path / "z")
    rows2 = list(VocImporter(VISION).read(tmp_path / "z"))
    assert [r.annotations for r in rows2] == [r.annotations for r in rows]


def test_reads_classic_voc_file(tmp_path):
    p = tmp_path / "000005.xml"
    p.write_text(
        "<annotation><filename>000005.jpg</filename><size><width>500</width><height>375</height>"
        "<depth>3</depth></size><object><name>dog</name><pose>Left</pose><truncated>1</truncated>"
        "<difficult>0</difficult><bndbox><xmin>263</xmin><ymin>211</ymin><xmax>324</xmax>"
        "<ymax>339</ymax></bndbox></object></annotation>"
    )
    (row,) = VocImporter(VISION).read(p)
    (box,) = row.annotations[0]["result"]["boxes"]
    assert box == {
        "id": "000005-0",
        "label": "dog",
        "x": 263.0,
        "y": 211.0,
        "width": 61.0,
        "height": 128.0,
        "attributes": {"pose": "Left", "truncated": True},
    }


@pytest.mark.parametrize(
    ("xml", "field"),
    [
        ("<annotation><size><width>5</width></size></annotation>", "size.height"),
        (
            "<annotation><size><width>5</width><height>5</height></size><object><name>cow</name></object></annotation>",
            "object[0].name",
        ),
        (
            "<annotation><size><width>5</width><height>5</height></size><object><name>dog</name></object></annotation>",
            "object[0].bndbox.xmin",
        ),
        ("<annotation>\n<size>", "xml"),
    ],
)
def test_errors(tmp_path, xml, field):
    p = tmp_path / "bad.xml"
    p.write_text(xml)
    with pytest.raises(InvalidInput) as err:
        list(VocImporter(VISION).read(p))
    assert err.value.field == field and "bad.xml" in err.value.message


def test_reads_its_own_zip_export(tmp_path):
    buf = io.BytesIO()
    recs = vision_records()
    VocExporter(control="boxes").write(recs, buf, VISION)
    archive = tmp_path / "voc.zip"
    archive.write_bytes(buf.getvalue())
    rows = list(VocImporter(VISION, control="boxes").read(archive))
    assert len(rows) == 3
    got = sorted(b["label"] for r in rows for a in r.annotations for b in a["result"]["boxes"])
    assert got == ["cat", "dog", "dog"]
