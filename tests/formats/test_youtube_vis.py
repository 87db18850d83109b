"""YouTube-VIS JSON: a hand-checked literal export of two tracks, the file read
as the challenge's loaders read it (detectron2's ``load_ytvis_json`` as used by
IFC, MinVIS and DVIS: per frame, the objects whose ``bboxes`` entry is not null,
XYWH), and the import back to keyframes that interpolate to the same boxes."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from formats.test_video_formats import ONTOLOGY, TRACKS, record
from labelwell.errors import InvalidInput
from labelwell.formats.registry import (
    EXPORTERS,
    IMPORTERS,
    ExportRecord,
    LabelRecord,
    Provenance,
    fits,
)
from labelwell.media.video import interpolate

CAR_BOXES = [[10.0, 20.0, 30.0, 40.0], [20.0, 20.0, 30.0, 40.0], [30.0, 20.0, 30.0, 40.0],
             [40.0, 20.0, 30.0, 40.0], [50.0, 20.0, 30.0, 40.0], [50.0, 20.0, 30.0, 40.0],
             None, None, None, None]  # fmt: skip
PERSON_BOXES = [None, None] + [[100.0, 10.0, 20.0, 50.0]] * 8

EXPECTED = {
    "info": {"description": "labelwell export"},
    "licenses": [],
    "categories": [{"id": 1, "name": "car", "supercategory": "object"},
                   {"id": 2, "name": "person", "supercategory": "object"}],
    "videos": [{"id": 7, "width": 320, "height": 240, "length": 10,
                "file_names": [f"7_street/{i:05d}.jpg" for i in range(10)],
                "item_id": 7, "external_id": "clip-7", "video": "clips/street.mp4"}],
    "annotations": [
        {"id": 1, "video_id": 7, "category_id": 1, "iscrowd": 0, "width": 320, "height": 240,
         "bboxes": CAR_BOXES, "areas": [1200.0] * 6 + [None] * 4, "segmentations": [None] * 10,
         "track_id": "a", "annotator": "ann"},
        {"id": 2, "video_id": 7, "category_id": 2, "iscrowd": 0, "width": 320, "height": 240,
         "bboxes": PERSON_BOXES, "areas": [None] * 2 + [1000.0] * 8,
         "segmentations": [None] * 10, "track_id": 9, "annotator": "ann"},
    ],
}  # fmt: skip


def export(records) -> dict:
    out = io.BytesIO()
    assert EXPORTERS["youtube_vis"]().write(records, out, ONTOLOGY) == len(records)
    return json.loads(out.getvalue())


def load_ytvis(doc: dict) -> list[dict]:
    """What detectron2's ``load_ytvis_json`` makes of the file: a record per video
    with, per frame, its objects (category from 0, XYWH box) where the box is set."""
    cats = sorted(c["id"] for c in doc["categories"])
    by_video: dict[int, list[dict]] = {v["id"]: [] for v in doc["videos"]}
    for ann in doc["annotations"]:
        by_video[ann["video_id"]].append(ann)
    out = []
    for video in doc["videos"]:
        frames = []
        for f in range(video["length"]):
            objs = []
            for ann in by_video[video["id"]]:
                box = ann["bboxes"][f]
                if box is None:
                    continue
                objs.append({"id": ann["id"], "bbox": box,
                             "category_id": cats.index(ann["category_id"])})  # fmt: skip
            frames.append(objs)
        keys = ("file_names", "length", "height", "width")
        out.append({**{k: video[k] for k in keys}, "annotations": frames})
    return out


def test_the_export_is_the_hand_checked_file():
    assert export([record()]) == EXPECTED


def test_loaders_see_each_tracks_interpolated_box():
    (video,) = load_ytvis(export([record()]))
    assert len(video["file_names"]) == video["length"] == len(video["annotations"]) == 10
    for ann_id, track in enumerate(TRACKS, start=1):
        rows = interpolate(track["keyframes"], 10)
        for f in range(10):
            got = [o for o in video["annotations"][f] if o["id"] == ann_id]
            assert len(got) == int(rows[f, 4])
            if got:
                np.testing.assert_allclose(got[0]["bbox"], rows[f, :4])
                assert got[0]["category_id"] == ["car", "person"].index(track["label"])


def test_import_gives_back_the_tracks(tmp_path):
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(export([record()])))
    importer = IMPORTERS["youtube_vis"]()
    importer.ontology = ONTOLOGY
    (row,) = importer.read(path)
    assert row.external_id == "clip-7"
    assert row.data == {"video": "clips/street.mp4", "frames": 10, "width": 320, "height": 240}
    tracks = row.annotations[0]["result"]["tracks"]
    ONTOLOGY.validate({"tracks": tracks}, row.data)
    assert [(t["track_id"], t["label"]) for t in tracks] == [("a", "car"), (9, "person")]
    for mine, theirs in zip(tracks, TRACKS, strict=True):
        np.testing.assert_allclose(
            interpolate(mine["keyframes"], 10)[:, :5], interpolate(theirs["keyframes"], 10)[:, :5]
        )
    # and again: the same file
    label = LabelRecord(id=1, result={"tracks": tracks}, provenance=Provenance("human", "ann"))
    again = ExportRecord(item_id=7, external_id="clip-7", data={**row.data, "fps": 25},
                         media=[], status="done", annotations=[label])  # fmt: skip
    assert export([again]) == EXPECTED


@pytest.mark.parametrize(
    ("change", "field", "match"),
    [
        (lambda d: d["annotations"][0].update(category_id=5), "annotations[0].category_id",
         "5 is no category's id"),
        (lambda d: d["annotations"][1]["bboxes"].pop(), "annotations[1].bboxes",
         "9 entries for a video of 10 frames"),
        (lambda d: d["annotations"][0]["bboxes"].__setitem__(1, [1, 2, 0, 4]), "w, h",
         r"bboxes\[1\]: w, h must be > 0"),
        (lambda d: d["annotations"][0].update(video_id=99), "annotations[0].video_id",
         "99 is no video's id"),
        (lambda d: d["categories"][0].update(name="bus"), "categories[0].name", "'bus' is not in"),
        (lambda d: d["videos"][0].update(length=0), "length", "length must be > 0"),
        (lambda d: d["annotations"].append(3), "annotations[2]", "must be an object"),
    ],
)  # fmt: skip
def test_bad_files_name_the_field(tmp_path, change, field, match):
    doc = export([record()])
    change(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    importer = IMPORTERS["youtube_vis"]()
    importer.ontology = ONTOLOGY
    with pytest.raises(InvalidInput, match=match) as err:
        list(importer.read(path))
    assert err.value.details["field"] == field


def test_registered_and_needs_a_video_track():
    assert fits("youtube_vis", ONTOLOGY) == (True, "")
    assert "video_track" in fits("youtube_vis", {"name": "t", "controls": []})[1]
