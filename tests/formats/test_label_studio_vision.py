"""Label Studio keypoints and brush masks: labelwell -> Label Studio -> labelwell
gives the same labels, and a pose and brush mask made with label-studio-sdk 2.1.2
(``fixtures/label_studio_rich_export.json``) import."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from formats.fmt_samples import label, record
from labelwell.errors import InvalidInput
from labelwell.formats._geometry import mask_to_rle, rle_to_mask
from labelwell.formats.label_studio import LabelStudioExporter, LabelStudioImporter
from labelwell.formats.ls_brush import brush_to_mask, mask_to_brush
from labelwell.schema import Ontology

FIXTURE = Path(__file__).parent / "fixtures" / "label_studio_rich_export.json"
SKELETON = {"keypoints": ["head", "left_hand", "right_hand"], "edges": [[0, 1], [0, 2]]}
IMAGE = {
    "name": "image",
    "controls": [
        {"name": "boxes", "type": "bbox", "source": "image", "labels": [{"name": "person"}]},
        {
            "name": "pose",
            "type": "keypoints",
            "source": "image",
            "labels": [
                {"name": "person", "skeleton": SKELETON},
                {"name": "robot", "skeleton": {"keypoints": ["head", "antenna"], "edges": []}},
            ],
        },
        {
            "name": "masks",
            "type": "mask",
            "source": "image",
            "labels": [{"name": "cat"}, {"name": "dog"}],
        },
        {
            "name": "scene",
            "type": "panoptic",
            "source": "image",
            "labels": [{"name": "sky", "is_thing": False}, {"name": "car", "is_thing": True}],
        },
    ],
}
DATA = {"image": "img/1.jpg", "width": 40, "height": 30}


def _export(records, ontology=IMAGE) -> bytes:
    buf = io.BytesIO()
    LabelStudioExporter(labels="raw").write(records, buf, ontology)
    return buf.getvalue()


def _import(tmp_path: Path, raw: bytes, ontology=IMAGE, **kw):
    p = tmp_path / "ls.json"
    p.write_bytes(raw)
    return list(LabelStudioImporter(ontology, **kw).read(p))


def _box_mask(y0: int, y1: int, x0: int, x1: int, h: int = 30, w: int = 40) -> np.ndarray:
    m = np.zeros((h, w), dtype=bool)
    m[y0:y1, x0:x1] = True
    return m


POSE = [
    {
        "id": "k1",
        "label": "person",
        "points": {"head": [12.5, 3.0, 2], "left_hand": [4.0, 20.25, 1], "right_hand": [30, 21, 2]},
    },
    {"id": "k2", "label": "robot", "points": {"head": [35.0, 5.0, 2], "antenna": [36.0, 1.0, 1]}},
]


def test_keypoints_round_trip(tmp_path):
    raw = _export([record(1, DATA, [label({"pose": POSE}, "alice")])])
    regions = json.loads(raw)[0]["annotations"][0]["result"]
    assert len(regions) == 5 and {r["type"] for r in regions} == {"keypointlabels"}
    head = regions[0]
    assert head["id"] == "k1:head" and head["parentID"] == "k1"
    assert head["value"]["keypointlabels"] == ["head"]
    assert head["value"]["x"] == pytest.approx(100 * 12.5 / 40)
    assert head["value"]["y"] == pytest.approx(10.0)
    assert (head["original_width"], head["original_height"]) == (40, 30)
    (row,) = _import(tmp_path, raw)
    got = row.annotations[0]["result"]["pose"]
    assert [(g["id"], g["label"]) for g in got] == [("k1", "person"), ("k2", "robot")]
    for want, have in zip(POSE, got, strict=True):
        assert have["points"].keys() == want["points"].keys()
        for name, (x, y, v) in want["points"].items():
            assert have["points"][name] == [pytest.approx(x), pytest.approx(y), v]
    Ontology.from_dict(IMAGE).validate(row.annotations[0]["result"], row.data)


def test_unlabeled_keypoints_are_left_out(tmp_path):
    pose = [{"id": "k1", "label": "person", "points": {"head": [1, 1, 2], "left_hand": [0, 0, 0]}}]
    raw = _export([record(1, DATA, [label({"pose": pose})])])
    assert len(json.loads(raw)[0]["annotations"][0]["result"]) == 1
    (row,) = _import(tmp_path, raw)
    assert row.annotations[0]["result"]["pose"][0]["points"] == {"head": [1, 1, 2]}


def test_masks_and_panoptic_round_trip(tmp_path):
    cat = mask_to_rle(_box_mask(2, 9, 3, 17))
    dog = mask_to_rle(_box_mask(10, 30, 0, 40))
    sky = mask_to_rle(_box_mask(0, 10, 0, 40))
    car = mask_to_rle(_box_mask(12, 20, 5, 15))
    result = {
        "masks": [
            {"id": "m1", "label": "cat", "rle": cat},
            {"id": "m2", "label": "dog", "rle": dog},
        ],
        "scene": [
            {"id": "s1", "label": "sky", "rle": sky, "instance_id": 0, "is_thing": False},
            {"id": "s2", "label": "car", "rle": car, "instance_id": 7, "is_thing": True},
        ],
    }
    Ontology.from_dict(IMAGE).validate(result, DATA)
    raw = _export([record(1, DATA, [label(result, "alice")])])
    regions = json.loads(raw)[0]["annotations"][0]["result"]
    assert [r["type"] for r in regions] == ["brushlabels"] * 4
    assert regions[0]["value"]["format"] == "rle"
    assert regions[0]["value"]["brushlabels"] == ["cat"]
    assert regions[0]["value"]["rle"] == mask_to_brush(_box_mask(2, 9, 3, 17))
    assert regions[3]["value"]["instance_id"] == 7
    (row,) = _import(tmp_path, raw)
    assert row.annotations[0]["result"] == result


def test_polygon_masks_are_painted(tmp_path):
    result = {
        "masks": [{"id": "m1", "label": "dog", "points": [[4, 2], [20, 2], [20, 12], [4, 12]]}]
    }
    raw = _export([record(1, DATA, [label(result)])])
    (region,) = json.loads(raw)[0]["annotations"][0]["result"]
    assert np.array_equal(brush_to_mask(region["value"]["rle"], 30, 40), _box_mask(2, 12, 4, 20))
    (row,) = _import(tmp_path, raw)
    (mask,) = row.annotations[0]["result"]["masks"]
    assert np.array_equal(rle_to_mask(mask["rle"]).astype(bool), _box_mask(2, 12, 4, 20))


def test_reads_pose_and_brush_made_by_label_studio_sdk(tmp_path):
    image_task = json.loads(FIXTURE.read_text())[:1]
    rows = _import(tmp_path, json.dumps(image_task).encode())
    (ann,) = rows[0].annotations
    result = ann["result"]
    assert ann["annotator"] == "annotator1@example.org"
    assert result["boxes"][0]["label"] == "person"
    assert [b for b in (result["boxes"][0][k] for k in ("x", "y", "width", "height"))] == (
        pytest.approx([20, 20, 80, 60])
    )
    # the keypoints' parentID is the person rectangle: one instance labeled by it
    (person,) = result["pose"]
    assert person["id"] == "person1" and person["label"] == "person"
    assert person["points"] == {
        "head": [pytest.approx(50), pytest.approx(25), 2],
        "left_hand": [pytest.approx(25), pytest.approx(50), 2],
        "right_hand": [pytest.approx(90), pytest.approx(52), 2],
    }
    (mask,) = result["masks"]
    assert mask["label"] == "cat" and mask["rle"]["size"] == [100, 200]
    assert np.array_equal(
        rle_to_mask(mask["rle"]).astype(bool), _box_mask(30, 60, 50, 120, 100, 200)
    )
    Ontology.from_dict(IMAGE).validate(result, rows[0].data)


def _task(*regions, data=None):
    return [{"data": data or dict(DATA), "annotations": [{"result": list(regions)}]}]


def _kp(name, parent=None, **value):
    reg = {"id": name, "from_name": "pose", "to_name": "image", "type": "keypointlabels"}
    reg["value"] = {"x": 10, "y": 10, "keypointlabels": [name]} | value
    return reg | ({"parentID": parent} if parent else {})


def test_points_without_parent_form_one_instance_of_the_only_fitting_skeleton(tmp_path):
    (row,) = _import(tmp_path, json.dumps(_task(_kp("left_hand"), _kp("right_hand"))).encode())
    (inst,) = row.annotations[0]["result"]["pose"]
    assert inst["label"] == "person" and set(inst["points"]) == {"left_hand", "right_hand"}


F = "tasks[0].annotations[0].result"


@pytest.mark.parametrize(
    ("regions", "field", "message"),
    [
        ([_kp("head")], f"{F}[0].value", "person, robot"),
        ([_kp("head", "p"), _kp("head", "p")], f"{F}[1].value.keypointlabels", "twice"),
        ([_kp("head", visibility=3)], f"{F}[0].value.visibility", "1 or 2"),
        ([_kp("head", instance_label="tree")], f"{F}[0].value.instance_label", "tree"),
        (
            [_kp("head", "p", instance_label="person"), _kp("antenna", "p")],
            f"{F}[1].value.keypointlabels",
            "not a keypoint of 'person'",
        ),
        (
            [
                _kp("head", "p", instance_label="person"),
                _kp("antenna", "p", instance_label="robot"),
            ],
            f"{F}[1].value.instance_label",
            "mixes labels",
        ),
        (
            [
                {
                    "from_name": "masks",
                    "type": "brushlabels",
                    "value": {"format": "rle", "rle": [0, 0, 0, 1], "brushlabels": ["cat"]},
                }
            ],
            f"{F}[0].value.rle",
            "no complete header",
        ),
        (
            [
                {
                    "from_name": "masks",
                    "type": "brushlabels",
                    "value": {"rle": mask_to_brush(np.ones((3, 3), bool)), "brushlabels": ["cat"]},
                }
            ],
            f"{F}[0].value.rle",
            "40 x 30 x 4",
        ),
        (
            [
                {
                    "from_name": "masks",
                    "type": "brushlabels",
                    "value": {"format": "png", "brushlabels": ["cat"]},
                }
            ],
            f"{F}[0].value.format",
            "only rle",
        ),
        (
            [{"from_name": "boxes", "type": "brushlabels", "value": {"brushlabels": ["cat"]}}],
            f"{F}[0].from_name",
            "bbox control",
        ),
    ],
)
def test_bad_regions_name_the_field(tmp_path, regions, field, message):
    with pytest.raises(InvalidInput, match=message) as err:
        _import(tmp_path, json.dumps(_task(*regions)).encode())
    assert err.value.field == field


def test_panoptic_segments_without_instance_id_get_the_next_free_one(tmp_path):
    def seg(label, rows, **extra):
        m = _box_mask(*rows, 0, 40)
        value = {"format": "rle", "rle": mask_to_brush(m), "brushlabels": [label]} | extra
        return {"from_name": "scene", "type": "brushlabels", "value": value}

    task = _task(seg("car", (0, 5), instance_id=4), seg("car", (5, 9)), seg("sky", (10, 30)))
    (row,) = _import(tmp_path, json.dumps(task).encode())
    got = [
        (s["label"], s["instance_id"], s["is_thing"]) for s in row.annotations[0]["result"]["scene"]
    ]
    assert got == [("car", 4, True), ("car", 5, True), ("sky", 1, False)]
    Ontology.from_dict(IMAGE).validate(row.annotations[0]["result"], row.data)
