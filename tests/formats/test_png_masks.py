"""PNG label maps: the class index of every pixel, read back with Pillow and
compared with pycocotools' decoding of the same RLEs."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from formats.fmt_samples import label, record
from labelwell.errors import InvalidInput
from labelwell.formats._geometry import mask_to_rle
from labelwell.formats.png_masks import PngMasksExporter, voc_palette
from labelwell.formats.registry import EXPORTERS

MASKS = {
    "name": "seg",
    "controls": [
        {"name": "seg", "type": "mask", "source": "image", "labels": ["road", "car", "tree"]}
    ],
}


def _records():
    h, w = 20, 30
    road = np.zeros((h, w), np.uint8)
    road[12:] = 1
    car = np.zeros((h, w), np.uint8)
    car[10:16, 5:15] = 1  # over the road: painted later, so it wins
    regions = [
        {"id": "r", "label": "road", "rle": mask_to_rle(road)},
        {"id": "c", "label": "car", "rle": mask_to_rle(car)},
        {"id": "t", "label": "tree", "points": [[20, 2], [28, 2], [28, 8], [20, 8]]},
    ]
    data = {"image": "street.jpg", "width": w, "height": h}
    return [record(4, data, [label({"seg": regions})])], regions


def test_label_map_pixels_are_class_indices():
    assert "png_masks" in EXPORTERS
    recs, regions = _records()
    buf = io.BytesIO()
    assert PngMasksExporter().write(recs, buf, MASKS) == 1
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        assert sorted(zf.namelist()) == ["classes.json", "masks/4_street.png"]
        classes = json.loads(zf.read("classes.json"))
        with Image.open(io.BytesIO(zf.read("masks/4_street.png"))) as im:
            assert im.mode == "P" and im.size == (30, 20)
            got = np.asarray(im)
            palette = im.getpalette()[:12]
    assert [c["name"] for c in classes] == ["background", "road", "car", "tree"]
    assert palette == voc_palette()[:12] and classes[1]["color"] == "#800000"
    expected = np.zeros((20, 30), np.uint8)
    for index, region in ((1, regions[0]), (2, regions[1])):
        rle = dict(region["rle"], counts=region["rle"]["counts"].encode())
        expected[mask_utils.decode(rle).astype(bool)] = index
    expected[2:9, 20:29] = 3  # the polygon's pixels, edges included
    assert np.array_equal(got, expected)


def test_many_labels_use_16_bit(tmp_path):
    names = [f"c{i}" for i in range(300)]
    onto = {"name": "big", "controls": [{"name": "seg", "type": "mask", "labels": names}]}
    m = np.zeros((4, 5), np.uint8)
    m[1:3, 1:4] = 1
    recs = [
        record(
            1,
            {"width": 5, "height": 4},
            [label({"seg": [{"id": "x", "label": "c299", "rle": mask_to_rle(m)}]})],
        )
    ]
    assert PngMasksExporter().export_dir(recs, tmp_path, onto) == 1
    with Image.open(tmp_path / "masks" / "1_1.png") as im:
        assert np.array_equal(np.asarray(im).astype(int), m.astype(int) * 300)


def test_a_mask_of_another_size_is_refused(tmp_path):
    m = np.zeros((4, 5), np.uint8)
    recs = [
        record(
            1,
            {"width": 6, "height": 4},
            [label({"seg": [{"id": "x", "label": "car", "rle": mask_to_rle(m)}]})],
        )
    ]
    with pytest.raises(InvalidInput, match="item 1: mask size"):
        PngMasksExporter().export_dir(recs, tmp_path, MASKS)
