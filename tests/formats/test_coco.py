from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from formats.fmt_samples import VISION, label, record, vision_records
from labelwell.errors import InvalidInput
from labelwell.formats._geometry import mask_to_rle, rle_area, rle_bbox, rle_to_mask
from labelwell.formats.coco import CocoExporter, CocoImporter
from labelwell.formats.registry import EXPORTERS, IMPORTERS


def _mask_record() -> list:
    m = np.zeros((30, 40), dtype=np.uint8)
    m[5:12, 8:20] = 1
    m[20:25, 30:33] = 1
    rle = mask_utils.encode(np.asfortranarray(m))
    rle = {"size": rle["size"], "counts": rle["counts"].decode()}
    res = {"masks": [{"id": "m1", "label": "cat", "rle": rle}]}
    return [record(7, {"image": "m.png", "width": 40, "height": 30}, [label(res, "carol")])]


def _export(tmp_path, records, **kw):
    path = tmp_path / "coco.json"
    with path.open("wb") as fh:
        n = CocoExporter(**kw).write(records, fh, VISION)
    return path, n


def _quiet_coco(path):
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


def _self_ap(gt: COCO, iou_type: str) -> float:
    dets = []
    for ann in gt.loadAnns(gt.getAnnIds()):
        if iou_type == "segm" and not ann["segmentation"]:
            continue
        if iou_type == "keypoints" and not ann.get("num_keypoints"):
            continue
        det = {"image_id": ann["image_id"], "category_id": ann["category_id"], "score": 1.0}
        det["bbox"] = ann["bbox"]
        if iou_type == "segm":
            det["segmentation"] = ann["segmentation"]
        if iou_type == "keypoints":
            det["keypoints"] = ann["keypoints"]
        dets.append(det)
    with contextlib.redirect_stdout(io.StringIO()):
        dt = gt.loadRes(dets)
        ev = COCOeval(gt, dt, iou_type)
        if iou_type == "keypoints":
            ev.params.kpt_oks_sigmas = np.array([0.1, 0.1, 0.1])
            ev.params.catIds = [3]
        elif iou_type == "segm":
            ev.params.catIds = [1, 2]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return float(ev.stats[0])


def test_registered():
    assert isinstance(EXPORTERS["coco"](), CocoExporter)
    assert isinstance(IMPORTERS["coco"](), CocoImporter)


def test_loads_in_pycocotools_and_scores_ap_one(tmp_path):
    path, n = _export(tmp_path, vision_records() + _mask_record())
    assert n == 4
    gt = _quiet_coco(path)
    assert len(gt.getImgIds()) == 4
    assert [c["name"] for c in gt.loadCats(gt.getCatIds())] == ["cat", "dog", "person"]
    assert gt.loadCats(3)[0]["skeleton"] == [[1, 2], [1, 3]]
    assert _self_ap(gt, "bbox") == pytest.approx(1.0)
    assert _self_ap(gt, "segm") == pytest.approx(1.0)
    assert _self_ap(gt, "keypoints") == pytest.approx(1.0)


def test_mask_area_and_bbox_match_pycocotools(tmp_path):
    path, _ = _export(tmp_path, _mask_record())
    gt = _quiet_coco(path)
    ann = gt.loadAnns(gt.getAnnIds())[0]
    rle = ann["segmentation"]
    ref = {"size": rle["size"], "counts": rle["counts"].encode()}
    assert ann["area"] == int(mask_utils.area(ref))
    assert ann["bbox"] == pytest.approx(mask_utils.toBbox(ref).tolist())
    np.testing.assert_array_equal(gt.annToMask(ann), rle_to_mask(rle))


def test_rle_codec_matches_pycocotools():
    rng = np.random.default_rng(0)
    for _ in range(20):
        m = (rng.random((17, 23)) > 0.6).astype(np.uint8)
        ours = mask_to_rle(m)
        ref = mask_utils.encode(np.asfortranarray(m))
        assert ours["counts"] == ref["counts"].decode()
        assert rle_area(ours) == int(mask_utils.area(ref))
        assert rle_bbox(ours) == pytest.approx(mask_utils.toBbox(ref).tolist())
        np.testing.assert_array_equal(rle_to_mask(ours), m)


def test_round_trip_raw_keeps_annotators_and_regions(tmp_path):
    records = vision_records() + _mask_record()
    path, _ = _export(tmp_path, records)
    rows = list(CocoImporter(VISION).read(path))
    assert [r.external_id for r in rows] == ["a", "b", "c", "7"]
    for rec, row in zip(records, rows, strict=True):
        assert row.data["width"] == rec.data["width"]
        got = [(a["annotator"], a["result"]) for a in row.annotations]
        want = [(a.provenance.agent, a.result) for a in rec.annotations]
        assert json.loads(json.dumps(got)) == json.loads(json.dumps(want))
    # import -> export -> import gives the same labels
    again = tmp_path / "again.json"
    recs2 = [
        record(
            i + 1,
            r.data,
            [label(a["result"], a["annotator"]) for a in r.annotations],
            external_id=r.external_id,
        )
        for i, r in enumerate(rows)
    ]
    with again.open("wb") as fh:
        CocoExporter().write(recs2, fh, VISION)
    rows2 = list(CocoImporter(VISION).read(again))
    assert [r.annotations for r in rows2] == [r.annotations for r in rows]


def test_consensus_mode_writes_one_label_per_item(tmp_path):
    path, _ = _export(tmp_path, vision_records(), labels="consensus")
    gt = _quiet_coco(path)
    anns = gt.loadAnns(gt.getAnnIds(imgIds=[2]))
    assert len(anns) == 1 and anns[0]["source"] == "consensus" and anns[0]["region_id"] == "b3"


def test_import_plain_coco_without_extras(tmp_path):
    doc = {
        "images": [{"id": 5, "file_name": "x.jpg", "width": 100, "height": 80}],
        "categories": [{"id": 9, "name": "dog"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 5,
                "category_id": 9,
                "bbox": [1, 2, 3, 4],
                "area": 12,
                "iscrowd": 0,
            },
            {
                "id": 2,
                "image_id": 5,
                "category_id": 9,
                "bbox": [0, 0, 10, 10],
                "segmentation": [[0, 0, 10, 0, 10, 10]],
            },
        ],
    }
    p = tmp_path / "plain.json"
    p.write_text(json.dumps(doc))
    (row,) = CocoImporter(VISION, target="prediction").read(p)
    res = row.predictions[0]["result"]
    assert res["boxes"] == [
        {"id": "1", "label": "dog", "x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0}
    ]
    assert res["outline"][0]["points"] == [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["annotations"][0].update(category_id=99), "annotations[0].category_id"),
        (lambda d: d["annotations"][0].update(image_id=42), "annotations[0].image_id"),
        (lambda d: d["images"][0].pop("width"), "images[0].width"),
        (lambda d: d.pop("categories"), "categories"),
    ],
)
def test_import_errors_name_the_field(tmp_path, mutate, field):
    doc = {
        "images": [{"id": 1, "file_name": "x.jpg", "width": 10, "height": 10}],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}],
    }
    mutate(doc)
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(InvalidInput) as err:
        list(CocoImporter(VISION).read(p))
    assert err.value.field == field
    assert "bad.json" in err.value.message


def test_import_rejects_label_outside_ontology(tmp_path):
    doc = {
        "images": [{"id": 1, "file_name": "x.jpg", "width": 10, "height": 10}],
        "categories": [{"id": 1, "name": "zebra"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}],
    }
    p = tmp_path / "z.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(InvalidInput, match="zebra"):
        list(CocoImporter(VISION).read(p))


def test_export_needs_image_size():
    rec = record(1, {"image": "x.jpg"}, [label({"boxes": []})])
    with pytest.raises(InvalidInput) as err:
        CocoExporter().write([rec], io.BytesIO(), VISION)
    assert err.value.field == "data.width"
