"""KITTI 3D object labels read back by a reader written here from the object
development kit's readme (15 values per line; camera coordinates, the box's
bottom centre, h w l, rotation_y); the boxes read back are the LiDAR cuboids
exported, through the nominal axes and through a calibration."""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from formats.fmt_samples import label, record
from labelwell.errors import InvalidInput
from labelwell.formats.kitti import NOMINAL_VELO_TO_CAM, KittiExporter
from labelwell.formats.registry import EXPORTERS, fits
from labelwell.schema import Ontology

ONTOLOGY = Ontology.from_dict(
    {
        "name": "lidar",
        "controls": [{"name": "cuboids", "type": "cuboid", "labels": ["Car", "Pedestrian"]}],
    }
)
CAR = {
    "id": "c1",
    "label": "Car",
    "center": [10.0, 2.0, -0.95],
    "dimensions": [4.0, 1.8, 1.5],
    "rotation": [0.3, 0, 0],
}
WALKER = {
    "id": "p1",
    "label": "Pedestrian",
    "center": [6.0, -3.0, -0.8],
    "dimensions": [0.6, 0.5, 1.7],
    "rotation": [-2.0, 0, 0],
    "attributes": {"occluded": 1, "truncated": 0.25},
}


def read_kitti(text: str) -> list[dict]:
    """The devkit's label format: type truncated occluded alpha bbox(4) dimensions
    (h w l) location (x y z, camera coordinates) rotation_y [score]."""
    objects = []
    for line in text.splitlines():
        v = line.split(" ")
        assert len(v) in (15, 16), line
        objects.append({
            "type": v[0], "truncated": float(v[1]), "occluded": int(v[2]), "alpha": float(v[3]),
            "bbox": [float(x) for x in v[4:8]], "hwl": [float(x) for x in v[8:11]],
            "location": [float(x) for x in v[11:14]], "rotation_y": float(v[14]),
        })  # fmt: skip
        assert 0 <= objects[-1]["truncated"] <= 1 and objects[-1]["occluded"] in (0, 1, 2, 3)
        assert -math.pi <= objects[-1]["rotation_y"] <= math.pi
        assert -math.pi <= objects[-1]["alpha"] <= math.pi
    return objects


def to_lidar(obj: dict, velo_to_cam: np.ndarray) -> tuple[list[float], list[float], float]:
    """Back to a LiDAR cuboid: centre, (l, w, h), yaw (as OpenPCDet's
    boxes3d_kitti_camera_to_lidar, for any rigid calibration)."""
    rot, shift = velo_to_cam[:, :3], velo_to_cam[:, 3]
    h, w, length = obj["hwl"]
    bottom = rot.T @ (np.array(obj["location"]) - shift)
    centre = bottom + [0, 0, h / 2]
    ry = obj["rotation_y"]
    heading = rot.T @ np.array([math.cos(ry), 0.0, -math.sin(ry)])
    return centre.tolist(), [length, w, h], math.atan2(heading[1], heading[0])


def export(records, tmp_path: Path) -> Path:
    out = tmp_path / "kitti"
    KittiExporter(labels="raw").export_dir(records, out, ONTOLOGY)
    return out


def same_box(got, cuboid) -> None:
    centre, dims, yaw = got
    assert centre == pytest.approx(cuboid["center"], abs=1e-4)
    assert dims == pytest.approx(cuboid["dimensions"], abs=1e-4)
    assert math.sin(yaw - cuboid["rotation"][0]) == pytest.approx(0, abs=1e-5)
    assert math.cos(yaw - cuboid["rotation"][0]) > 0


def test_single_frames_in_camera_coordinates(tmp_path):
    out = export(
        [record(7, {"pointcloud": "a.pcd"}, [label({"cuboids": [CAR, WALKER]})])], tmp_path
    )
    objects = read_kitti((out / "label_2" / "000007.txt").read_text())
    car, walker = objects
    assert car["type"] == "Car" and walker["type"] == "Pedestrian"
    # the nominal axes: x_cam = -y, y_cam = -z (down), z_cam = x; the bottom face's centre
    assert car["location"] == pytest.approx([-2.0, 0.95 + 0.75, 10.0], abs=1e-4)
    assert car["hwl"] == pytest.approx([1.5, 1.8, 4.0])
    assert car["rotation_y"] == pytest.approx(-0.3 - math.pi / 2, abs=1e-5)
    x, _, z = car["location"]
    assert car["alpha"] == pytest.approx(car["rotation_y"] - math.atan2(x, z), abs=1e-5)
    assert walker["occluded"] == 1 and walker["truncated"] == 0.25
    for obj, cuboid in zip(objects, (CAR, WALKER), strict=True):
        same_box(to_lidar(obj, NOMINAL_VELO_TO_CAM), cuboid)
    manifest = [json.loads(x) for x in (out / "labelwell_items.jsonl").read_text().splitlines()]
    assert manifest == [
        {"file": "label_2/000007.txt", "item_id": 7, "frame": None, "external_id": None}
    ]


def test_a_calibrated_sequence_writes_a_file_per_frame(tmp_path):
    # KITTI's 0000 calibration (training/calib/000000.txt), rounded
    tr = [7.533745e-03, -9.999714e-01, -6.166020e-04, -4.069766e-03,
          1.480249e-02, 7.280733e-04, -9.998902e-01, -7.631618e-02,
          9.998621e-01, 7.523790e-03, 1.480755e-02, -2.717806e-01]  # fmt: skip
    r0 = [9.999239e-01, 9.837760e-03, -7.445048e-03, -9.869795e-03, 9.999421e-01,
          -4.278459e-03, 7.402527e-03, 4.351614e-03, 9.999631e-01]  # fmt: skip
    data = {
        "pointcloud": ["0.bin", "1.bin", "2.bin"],
        "calib": {"Tr_velo_to_cam": tr, "R0_rect": r0},
    }
    boxes = [CAR | {"frame": 0, "tracking_id": 1}, CAR | {"id": "c2", "frame": 2, "tracking_id": 1}]
    out = export([record(3, data, [label({"cuboids": boxes})])], tmp_path)
    names = sorted(p.name for p in (out / "label_2").iterdir())
    assert names == ["000003_000000.txt", "000003_000001.txt", "000003_000002.txt"]
    assert (out / "label_2" / "000003_000001.txt").read_text() == ""
    velo_to_cam = np.array(r0).reshape(3, 3) @ np.array(tr).reshape(3, 4)
    (obj,) = read_kitti((out / "label_2" / "000003_000002.txt").read_text())
    # a rotation that is nearly (not exactly) rigid: the round trip holds to a centimetre
    centre, dims, yaw = to_lidar(obj, velo_to_cam)
    assert centre == pytest.approx(CAR["center"], abs=1e-2) and dims == pytest.approx(
        CAR["dimensions"]
    )
    assert yaw == pytest.approx(CAR["rotation"][0], abs=1e-2)


def test_registered_and_needs_a_cuboid_control(tmp_path):
    assert isinstance(EXPORTERS["kitti"](), KittiExporter)
    boxes = Ontology.from_dict(
        {"name": "b", "controls": [{"name": "b", "type": "bbox", "labels": ["x"]}]}
    )
    ok, why = fits("kitti", boxes)
    assert not ok and "cuboid" in why
    buf = io.BytesIO()
    rec = record(1, {"pointcloud": "a.pcd"}, [label({"cuboids": [CAR]})])
    assert KittiExporter(labels="raw").write([rec], buf, ONTOLOGY) == 1
    assert "label_2/000001.txt" in zipfile.ZipFile(buf).namelist()
    bad = record(
        2, {"pointcloud": "a.pcd", "calib": {"Tr_velo_to_cam": [1, 2]}}, [label({"cuboids": [CAR]})]
    )
    with pytest.raises(InvalidInput, match="Tr_velo_to_cam"):
        KittiExporter(labels="raw").export_dir([bad], tmp_path / "bad", ONTOLOGY)
