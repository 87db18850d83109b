"""YOLO exports checked against the documented Ultralytics layout
(https://docs.ultralytics.com/datasets/detect/, /segment/, /pose/) by a reader
written here from that documentation; Ultralytics itself is too heavy for CI."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import yaml

from formats.fmt_samples import VISION, label, record, vision_records, write_png
from labelwell.errors import InvalidInput
from labelwell.formats._geometry import image_size
from labelwell.formats.registry import EXPORTERS, IMPORTERS
from labelwell.formats.yolo import YoloExporter, YoloImporter, flip_index


def check_layout(root: Path, task: str) -> dict:
    """The documented rules: data.yaml with train/val image dirs and names; a
    label .txt per image under labels/ mirroring images/; each line a class id
    and normalised coordinates."""
    cfg = yaml.safe_load((root / "data.yaml").read_text())
    assert {"train", "val", "names"} <= cfg.keys()
    n_cls = len(cfg["names"])
    n_files = 0
    for split in ("train", "val"):
        img_dir = root / cfg[split]
        lbl_dir = root / cfg[split].replace("images", "labels", 1)
        for img in img_dir.glob("*"):
            assert (lbl_dir / f"{img.stem}.txt").is_file()
        for txt in lbl_dir.glob("*.txt"):
            n_files += 1
            for line in txt.read_text().splitlines():
                vals = line.split()
                assert vals[0].isdigit() and int(vals[0]) < n_cls
                coords = [float(v) for v in vals[1:]]
                if task == "detect":
                    assert len(coords) == 4
                elif task == "segment":
                    assert len(coords) >= 6 and len(coords) % 2 == 0
                else:
                    k, d = cfg["kpt_shape"]
                    assert len(coords) == 4 + k * d
                    del coords[6::3]  # visibility flags are 0/1/2, not coordinates
                assert all(0.0 <= c <= 1.0 for c in coords), line
    assert n_files
    return cfg


def _records_with_images(tmp_path):
    recs = vision_records()
    for rec in recs:
        img = tmp_path / "src" / Path(rec.data["image"]).name.replace(".jpg", ".png")
        img.parent.mkdir(exist_ok=True)
        write_png(img, rec.data["width"], rec.data["height"])
        rec.data["image"] = str(img)
    recs[1].data["split"] = "val"
    return recs


def test_detection_layout_and_round_trip(tmp_path):
    assert "yolo" in EXPORTERS and "yolo" in IMPORTERS
    recs = _records_with_images(tmp_path)
    out = tmp_path / "ds"
    assert YoloExporter(control="boxes").export_dir(recs, out, VISION) == 3
    cfg = check_layout(out, "detect")
    assert cfg["names"] == {0: "cat", 1: "dog"} and cfg["val"] == "images/val"
    assert (out / "labels/train/1_1.txt").read_text().splitlines()[
        0
    ] == "0 0.09375 0.09375 0.15625 0.1041666667"
    assert image_size(out / "images/val/2_2.png") == (320, 200)
    assert [p.name for p in out.glob("labelwell_items*")] == ["labelwell_items.jsonl"]
    rows = list(YoloImporter(VISION, control="boxes").read(out))
    assert sorted(r.external_id for r in rows) == ["a", "b", "c"]
    by_ext = {r.external_id: r for r in rows}
    for rec in recs:
        row = by_ext[rec.external_id]
        assert row.data["width"] == rec.data["width"] and row.data["image"] == rec.data["image"]
        want = rec.consensus or (rec.annotations[0] if rec.annotations else None)
        got = row.annotations[0]["result"]["boxes"] if row.annotations else []
        boxes = want.result.get("boxes", []) if want else []
        assert [g["label"] for g in got] == [b["label"] for b in boxes]
        for g, b in zip(got, boxes, strict=True):
            assert [g[k] for k in ("x", "y", "width", "height")] == pytest.approx(
                [b[k] for k in ("x", "y", "width", "height")]
            )


def test_without_manifest_sizes_come_from_images(tmp_path):
    out = tmp_path / "ds"
    YoloExporter(control="boxes").export_dir(_records_with_images(tmp_path), out, VISION)
    for part in out.glob("labelwell_items.jsonl*"):
        part.unlink()
    rows = list(YoloImporter(VISION, control="boxes").read(out / "data.yaml"))
    assert {(r.data["width"], r.data["height"]) for r in rows} == {(640, 480), (320, 200), (10, 10)}


def test_segmentation_and_pose(tmp_path):
    recs = vision_records()
    seg = tmp_path / "seg"
    YoloExporter(control="outline").export_dir(recs, seg, VISION)
    check_layout(seg, "segment")
    (row,) = [r for r in YoloImporter(VISION).read(seg) if r.annotations]
    pts = row.annotations[0]["result"]["outline"][0]["points"]
    assert [v for p in pts for v in p] == pytest.approx([300, 300, 400, 300, 400, 420, 300, 420])
    pose = tmp_path / "pose"
    YoloExporter(control="pose").export_dir(recs, pose, VISION)
    cfg = check_layout(pose, "pose")
    assert cfg["kpt_shape"] == [3, 3] and cfg["flip_idx"] == [0, 2, 1]
    (row,) = [r for r in YoloImporter(VISION).read(pose) if r.annotations]
    got = row.annotations[0]["result"]["pose"][0]["points"]
    want = recs[0].annotations[0].result["pose"][0]["points"]
    assert set(got) == set(want)
    for name in want:
        assert got[name] == pytest.approx(want[name])


def test_zip_output(tmp_path):
    buf = io.BytesIO()
    YoloExporter(control="boxes").write(vision_records(), buf, VISION)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        zf.extractall(tmp_path / "z")
    check_layout(tmp_path / "z", "detect")


def test_flip_index():
    assert flip_index(["nose", "left_eye", "right_eye", "left_ear", "right_ear"]) == [0, 2, 1, 4, 3]


def test_importer_errors(tmp_path):
    out = tmp_path / "ds"
    YoloExporter(control="boxes").export_dir(vision_records(), out, VISION)
    (out / "labels/train/1_1.txt").write_text("0 0.5 0.5 0.1 0.1\n7 0.5 0.5 0.1 0.1\n")
    with pytest.raises(InvalidInput) as err:
        list(YoloImporter(VISION, control="boxes").read(out))
    assert (err.value.line, err.value.field) == (2, "class") and "1_1.txt" in err.value.message
    (out / "labels/train/1_1.txt").write_text("0 0.5 0.5 x 0.1\n")
    with pytest.raises(InvalidInput) as err:
        list(YoloImporter(VISION, control="boxes").read(out))
    assert err.value.line == 1
    (out / "data.yaml").write_text("train: images/train\n")
    with pytest.raises(InvalidInput) as err:
        list(YoloImporter(VISION).read(out))
    assert err.value.field == "names"


def test_export_rejects_unknown_label():
    rec = record(
        1,
        {"image": "x.jpg", "width": 5, "height": 5},
        [label({"boxes": [{"label": "cow", "x": 0, "y": 0, "width": 1, "height": 1}]})],
    )
    with pytest.raises(InvalidInput, match="cow"):
        YoloExporter(control="boxes").write([rec], io.BytesIO(), VISION)


LS_YOLO = Path(__file__).parent / "fixtures" / "ls" / "yolo"
LS_VISION = {
    "name": "ls",
    "controls": [
        {"name": "label", "type": "bbox", "source": "image", "labels": ["cat", "dog"]},
        {"name": "polygon", "type": "polygon", "source": "image", "labels": ["cat", "dog"]},
    ],
}


def test_label_studio_yolo_export_with_boxes_and_polygons_in_one_file():
    rows = sorted(YoloImporter(LS_VISION).read(LS_YOLO), key=lambda r: r.external_id)
    assert [r.external_id for r in rows] == ["8f2a91c4-street", "b71e03d2-park"]
    street, park = rows
    assert (street.data["width"], street.data["height"]) == (64, 48)
    (ann,) = street.annotations
    (box,) = ann["result"]["label"]
    assert box["label"] == "cat"
    assert [box[k] for k in ("x", "y", "width", "height")] == pytest.approx([8, 12, 16, 24])
    (poly,) = ann["result"]["polygon"]
    assert poly["label"] == "dog"
    assert [v for p in poly["points"] for v in p] == pytest.approx([32, 12, 48, 12, 48, 36, 32, 36])
    assert park.annotations[0]["result"]["label"][0]["width"] == pytest.approx(32)
    # classes.txt itself may be the uploaded path
    assert len(list(YoloImporter(LS_VISION).read(LS_YOLO / "classes.txt"))) == 2


def _outside_dataset(tmp_path: Path) -> Path:
    secret = tmp_path / "secret"
    (secret / "images").mkdir(parents=True)
    (secret / "labels").mkdir()
    write_png(secret / "images" / "payroll.png", 8, 8)
    (secret / "labels" / "payroll.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    upload = tmp_path / "upload"
    upload.mkdir()
    return upload


@pytest.mark.parametrize("train", ["../secret/images", "ABSOLUTE"])
def test_data_yaml_paths_outside_the_upload_are_refused(tmp_path, train):
    upload = _outside_dataset(tmp_path)
    if train == "ABSOLUTE":
        train = str(tmp_path / "secret" / "images")
    (upload / "data.yaml").write_text(f"train: {train}\nnames: [cat, dog]\n")
    with pytest.raises(InvalidInput) as err:
        list(YoloImporter(VISION).read(upload))
    assert err.value.field == "train"
    assert "secret" not in err.value.message and "payroll" not in err.value.message


def test_links_out_of_the_upload_are_refused(tmp_path):
    upload = _outside_dataset(tmp_path)
    (upload / "images").mkdir()
    (upload / "labels").symlink_to(tmp_path / "secret" / "labels")
    (upload / "data.yaml").write_text("train: images\nnames: [cat, dog]\n")
    with pytest.raises(InvalidInput) as err:
        list(YoloImporter(VISION).read(upload))
    assert "secret" not in err.value.message and "payroll" not in err.value.message
    (upload / "labels").unlink()
    (upload / "labels").mkdir()
    (upload / "labels" / "payroll.txt").symlink_to(tmp_path / "secret" / "labels" / "payroll.txt")
    with pytest.raises(InvalidInput) as err:
        list(YoloImporter(VISION).read(upload))
    assert "secret" not in err.value.message
