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
from labelwell.formats._geometry import mask_to_rle, rle_to_mask
from labelwell.formats.coco_panoptic import (
    CocoPanopticExporter,
    CocoPanopticImporter,
    _decode_png_plain,
    encode_png,
)
from labelwell.formats.registry import EXPORTERS, IMPORTERS

PANOPTIC = {
    "name": "pan",
    "controls": [
        {
            "name": "scene",
            "type": "panoptic",
            "source": "image",
            "labels": [{"name": "person", "is_thing": True}, {"name": "sky", "is_thing": False}],
        }
    ],
}


def _records():
    h, w = 12, 16
    sky = np.zeros((h, w), np.uint8)
    sky[:4] = 1
    p1 = np.zeros((h, w), np.uint8)
    p1[5:10, 2:6] = 1
    p2 = np.zeros((h, w), np.uint8)
    p2[6:11, 9:14] = 1
    regions = [
        {"id": "s", "label": "sky", "rle": mask_to_rle(sky), "instance_id": 7, "is_thing": False},
        {
            "id": "a",
            "label": "person",
            "rle": mask_to_rle(p1),
            "instance_id": 300,
            "is_thing": True,
        },
        {
            "id": "b",
            "label": "person",
            "rle": mask_to_rle(p2),
            "instance_id": 70000,
            "is_thing": True,
        },
    ]
    data = {"image": "street.jpg", "width": w, "height": h}
    return [record(1, data, [label({"scene": regions}, "alice")], external_id="1")], regions


def test_export_layout_png_ids_and_round_trip(tmp_path):
    assert "coco_panoptic" in EXPORTERS and "coco_panoptic" in IMPORTERS
    recs, regions = _records()
    out = tmp_path / "pan"
    assert CocoPanopticExporter().export_dir(recs, out, PANOPTIC) == 1
    doc = json.loads((out / "panoptic.json").read_text())
    assert [(c["name"], c["isthing"]) for c in doc["categories"]] == [("person", 1), ("sky", 0)]
    (ann,) = doc["annotations"]
    png = np.asarray(Image.open(out / "panoptic" / ann["file_name"]).convert("RGB")).astype(
        np.int64
    )
    ids = png[..., 0] + 256 * png[..., 1] + 65536 * png[..., 2]
    assert sorted(np.unique(ids).tolist()) == [0, 7, 300, 70000]
    for seg, region in zip(ann["segments_info"], regions, strict=True):
        ref = mask_utils.encode(np.asfortranarray(rle_to_mask(region["rle"])))
        assert seg["area"] == int(mask_utils.area(ref)) == int((ids == seg["id"]).sum())
        assert seg["bbox"] == pytest.approx(mask_utils.toBbox(ref).tolist())
    (row,) = CocoPanopticImporter(PANOPTIC).read(out)
    assert row.annotations[0]["result"]["scene"] == regions


def test_zip_and_plain_png_reader(tmp_path):
    recs, regions = _records()
    buf = io.BytesIO()
    CocoPanopticExporter().write(recs, buf, PANOPTIC)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        zf.extractall(tmp_path / "z")
    (row,) = CocoPanopticImporter(PANOPTIC).read(tmp_path / "z" / "panoptic.json")
    assert [r["instance_id"] for r in row.annotations[0]["result"]["scene"]] == [7, 300, 70000]
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    p = tmp_path / "x.png"
    p.write_bytes(encode_png(rgb))
    np.testing.assert_array_equal(_decode_png_plain(p), rgb)


def test_errors(tmp_path):
    recs, regions = _records()
    regions[0]["label"] = "tree"
    with pytest.raises(InvalidInput, match="tree"):
        CocoPanopticExporter().write(recs, io.BytesIO(), PANOPTIC)
    regions[0]["label"] = "sky"
    out = tmp_path / "pan"
    CocoPanopticExporter().export_dir(recs, out, PANOPTIC)
    doc = json.loads((out / "panoptic.json").read_text())
    doc["annotations"][0]["segments_info"][1]["category_id"] = 9
    (out / "panoptic.json").write_text(json.dumps(doc))
    with pytest.raises(InvalidInput) as err:
        list(CocoPanopticImporter(PANOPTIC).read(out))
    assert err.value.field == "annotations[image_id=1].segments_info[1].category_id"


def test_png_outside_the_upload_is_refused(tmp_path):
    recs, _ = _records()
    out = tmp_path / "upload" / "pan"
    CocoPanopticExporter().export_dir(recs, out, PANOPTIC)
    doc = json.loads((out / "panoptic.json").read_text())
    secret = tmp_path / "upload" / "secret.png"
    (out / "panoptic" / doc["annotations"][0]["file_name"]).rename(secret)
    doc["annotations"][0]["file_name"] = "../../secret.png"
    (out / "panoptic.json").write_text(json.dumps(doc))
    with pytest.raises(InvalidInput) as err:
        list(CocoPanopticImporter(PANOPTIC).read(out))
    assert err.value.field == "file_name" and "secret" not in err.value.message
