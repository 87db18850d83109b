from __future__ import annotations

import io
import zipfile

import motmetrics as mm
import numpy as np
import pytest

from labelwell.errors import InvalidInput
from labelwell.formats.registry import EXPORTERS, IMPORTERS, ExportRecord, LabelRecord, Provenance
from labelwell.media.video import interpolate
from labelwell.schema import Ontology

ONTOLOGY = Ontology.from_dict(
    {
        "name": "clips",
        "controls": [{"name": "tracks", "type": "video_track", "labels": ["car", "person"]}],
    }
)
TRACKS = [
    {
        "track_id": "a",
        "label": "car",
        "keyframes": [
            {"frame": 0, "x": 10, "y": 20, "width": 30, "height": 40},
            {"frame": 4, "x": 50, "y": 20, "width": 30, "height": 40, "occluded": True},
            {"frame": 6, "x": 50, "y": 20, "width": 30, "height": 40, "outside": True},
        ],
    },
    {
        "track_id": 9,
        "label": "person",
        "keyframes": [{"frame": 2, "x": 100, "y": 10, "width": 20, "height": 50}],
    },
]


def record(tracks=TRACKS, **data):
    label = LabelRecord(id=1, result={"tracks": tracks}, provenance=Provenance("human", "ann"))
    return ExportRecord(
        item_id=7,
        external_id="clip-7",
        data={
            "video": "clips/street.mp4",
            "frames": 10,
            "fps": 25,
            "width": 320,
            "height": 240,
            **data,
        },  # fmt: skip
        media=[],
        status="done",
        annotations=[label],
    )


def export(name, records):
    out = io.BytesIO()
    EXPORTERS[name]().write(records, out, ONTOLOGY)
    return zipfile.ZipFile(io.BytesIO(out.getvalue()))


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")
def test_mot_files_read_by_motmetrics(tmp_path):
    zf = export("mot", [record()])
    assert sorted(zf.namelist()) == [
        "7_street/gt/gt.txt",
        "7_street/labelwell_tracks.json",
        "7_street/seqinfo.ini",
    ]
    (tmp_path / "gt.txt").write_bytes(zf.read("7_street/gt/gt.txt"))
    df = mm.io.loadtxt(str(tmp_path / "gt.txt"), fmt="mot16")
    assert "seqLength=10" in zf.read("7_street/seqinfo.ini").decode()
    for mot_id, track in enumerate(TRACKS, start=1):
        rows = interpolate(track["keyframes"], 10)
        present = np.flatnonzero(rows[:, 4])
        mine = df.xs(mot_id, level="Id").sort_index()
        assert list(mine.index) == [int(f) + 1 for f in present]  # 1-based frames
        np.testing.assert_allclose(
            mine[["X", "Y", "Width", "Height"]].to_numpy(), rows[present, :4], atol=0.01
        )
        assert set(mine["ClassId"]) == {1 + ["car", "person"].index(track["label"])}
    car = df.xs(1, level="Id")
    assert car.loc[5, "Visibility"] == 0.5 and car.loc[1, "Visibility"] == 1.0  # occluded from 4


def test_cvat_video_round_trip(tmp_path):
    zf = export("cvat_video", [record()])
    assert zf.namelist() == ["annotations/7_street.xml"]
    xml = zf.read("annotations/7_street.xml").decode()
    assert "<mode>interpolation</mode>" in xml and 'keyframe="1"' in xml
    path = tmp_path / "street.xml"
    path.write_text(xml)
    importer = IMPORTERS["cvat_video"]()
    importer.ontology = ONTOLOGY
    (row,) = importer.read(path)
    assert row.data == {"video": "clips/street.mp4", "frames": 10, "width": 320, "height": 240}
    got = row.annotations[0]["result"]["tracks"]
    assert [t["label"] for t in got] == ["car", "person"]
    for mine, theirs in zip(got, TRACKS, strict=True):
        np.testing.assert_allclose(
            interpolate(mine["keyframes"], 10), interpolate(theirs["keyframes"], 10)
        )
    ONTOLOGY.validate({"tracks": got}, row.data)


def test_cvat_video_import_names_the_bad_label(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text(
        "<annotations><meta><task><size>5</size></task></meta>"
        '<track id="0" label="bus"><box frame="0" xtl="0" ytl="0" xbr="1" ybr="1"/></track>'
        "</annotations>"
    )
    importer = IMPORTERS["cvat_video"]()
    importer.ontology = ONTOLOGY
    with pytest.raises(InvalidInput, match="bus"):
        list(importer.read(path))


def test_video_exports_need_a_video_track_control():
    from labelwell.formats.registry import fits

    text = Ontology.from_dict(
        {"name": "t", "controls": [{"name": "c", "type": "choice", "options": ["a", "b"]}]}
    )
    assert not fits("mot", text)[0] and not fits("cvat_video", text)[0]
    assert fits("mot", ONTOLOGY)[0]
