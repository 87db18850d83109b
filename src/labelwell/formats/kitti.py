"""KITTI 3D object labels (Geiger et al. 2012, "Are we ready for autonomous
driving?"; the object development kit's ``readme.txt``): one ``label_2/<name>.txt``
per frame, one line per object of 15 space-separated values::

    type truncated occluded alpha left top right bottom height width length x y z rotation_y

Coordinates are KITTI's rectified **camera** frame (x right, y down, z forward);
``x y z`` is the centre of the box's *bottom* face, ``rotation_y`` the yaw about
the camera's y axis in ``[-pi, pi]`` (0: facing the camera's x axis) and ``alpha``
the observation angle ``rotation_y - atan2(x, z)``. labelwell's cuboids live in the
LiDAR frame (x forward, y left, z up, yaw about z from x). An item's
``data["calib"]`` may give ``Tr_velo_to_cam`` (12 numbers, 3x4 row-major) and
``R0_rect`` (9 numbers); without it the axes are swapped nominally
(``x_cam = -y``, ``y_cam = -z``, ``z_cam = x``), so ``rotation_y = -yaw - pi/2``
as in OpenPCDet's ``boxes3d_lidar_to_kitti_camera``. Lidar pitch and roll are not
written (KITTI has none). The 2D box is ``0 0 0 0`` (no camera projection is
known); ``truncated`` and ``occluded`` come from cuboid attributes of those names
when present, else 0. Type names have spaces turned into ``_``.

A single-frame item writes ``<item id>.txt`` (six digits); a sequence (the control's
source field a list of frames) writes ``<item id>_<frame>.txt`` for each of its
frames. ``labelwell_items.jsonl`` maps files to items.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from labelwell.errors import InvalidInput
from labelwell.formats._ontology import first_control
from labelwell.formats._select import chosen_labels
from labelwell.formats._sink import FolderExporter, Sink
from labelwell.formats.registry import ExportRecord, register_exporter

MANIFEST = "labelwell_items.jsonl"
#: LiDAR -> camera with no calibration: x_cam = -y, y_cam = -z, z_cam = x.
NOMINAL_VELO_TO_CAM = np.array([[0.0, -1.0, 0.0, 0.0], [0.0, 0.0, -1.0, 0.0], [1.0, 0.0, 0.0, 0.0]])


def _calibration(data: dict[str, Any], item_id: int) -> np.ndarray:
    """The 3x4 LiDAR -> rectified camera transform of an item."""
    calib = data.get("calib")
    if not calib:
        return NOMINAL_VELO_TO_CAM
    try:
        tr = np.asarray(calib["Tr_velo_to_cam"], dtype=float).reshape(3, 4)
        r0 = np.asarray(calib.get("R0_rect", np.eye(3).ravel()), dtype=float).reshape(3, 3)
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(
            f"item {item_id}: calib needs Tr_velo_to_cam (12 numbers) and R0_rect (9)",
            field="data.calib",
        ) from None
    transform: np.ndarray = r0 @ tr
    return transform


def kitti_line(cuboid: dict[str, Any], velo_to_cam: np.ndarray) -> str:
    """One KITTI label line for a stored cuboid (LiDAR frame)."""
    length, width, height = (float(v) for v in cuboid["dimensions"])
    yaw = float(cuboid["rotation"][0])
    centre = velo_to_cam @ np.array([*map(float, cuboid["center"]), 1.0])
    # the bottom face's centre: half the height down along lidar z, in camera terms
    bottom = centre - velo_to_cam[:, :3] @ np.array([0.0, 0.0, height / 2])
    heading = velo_to_cam[:, :3] @ np.array([math.cos(yaw), math.sin(yaw), 0.0])
    ry = -math.atan2(heading[2], heading[0])
    ry = (ry + math.pi) % (2 * math.pi) - math.pi
    alpha = ry - math.atan2(bottom[0], bottom[2])
    alpha = (alpha + math.pi) % (2 * math.pi) - math.pi
    attrs = cuboid.get("attributes") or {}
    kind = str(cuboid["label"]).replace(" ", "_")
    values = [
        float(attrs.get("truncated", 0) or 0),
        int(attrs.get("occluded", 0) or 0),
        alpha,
        0.0, 0.0, 0.0, 0.0,
        height, width, length,
        *bottom.tolist(),
        ry,
    ]  # fmt: skip
    parts = [kind, f"{values[0]:.2f}", str(values[1])] + [f"{v:.6g}" for v in values[2:]]
    return " ".join(parts)


class KittiExporter(FolderExporter):
    name = "kitti"
    needs = ("cuboid",)

    def _export(self, records: Iterable[ExportRecord], sink: Sink, ontology: Any) -> int:
        ctrl = first_control(ontology, self.needs, self.control)
        manifest: list[bytes] = []
        n = 0
        for rec in records:
            velo_to_cam = _calibration(rec.data, rec.item_id)
            by_frame: dict[int | None, list[str]] = {}
            frames = rec.data.get(ctrl.source or "pointcloud")
            if isinstance(frames, list):  # a sequence: a file for every frame, empty or not
                by_frame.update({f: [] for f in range(len(frames))})
            for picked in chosen_labels(rec, self.labels):
                for cuboid in picked.result.get(ctrl.name) or []:
                    by_frame.setdefault(cuboid.get("frame"), []).append(
                        kitti_line(cuboid, velo_to_cam)
                    )
            if not by_frame:
                by_frame[None] = []
            for frame, lines in sorted(
                by_frame.items(), key=lambda kv: -1 if kv[0] is None else kv[0]
            ):
                name = f"{rec.item_id:06d}" if frame is None else f"{rec.item_id:06d}_{frame:06d}"
                sink.write(f"label_2/{name}.txt", "".join(f"{ln}\n" for ln in lines).encode())
                entry = {"file": f"label_2/{name}.txt", "item_id": rec.item_id, "frame": frame}
                entry["external_id"] = rec.external_id
                manifest.append(json.dumps(entry, ensure_ascii=False).encode() + b"\n")
            n += 1
        sink.write(MANIFEST, b"".join(manifest))
        return n


@register_exporter("kitti")
def _kitti_exporter() -> KittiExporter:
    return KittiExporter()
