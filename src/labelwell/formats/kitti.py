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
frames. ``labelwell_items.jsonl`` maps files to items. An item with a calibration
also gets ``calib/<name>.txt`` beside each label file, with the devkit's
``R0_rect:`` and ``Tr_velo_to_cam:`` lines (the camera matrices ``P0``-``P3`` are
not known, so not written).

The importer inverts the export exactly: each line back to a LiDAR cuboid
through the calibration in ``calib/<name>.txt`` (else the nominal axes), a
file's frame and item from the manifest (else from a ``<item>_<frame>`` name),
``truncated``/``occluded`` kept as attributes where the label declares them;
``DontCare`` lines are skipped. Label files hold no point cloud, so the cuboids
are attached to items already in the project (``labelwell import --predictions-of``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from labelwell.errors import InvalidInput
from labelwell.formats._bundle import MANIFEST, Bundle, item_key, number
from labelwell.formats._ontology import Control, ControlImporter, check_label, first_control
from labelwell.formats._select import attach, chosen_labels
from labelwell.formats._sink import FolderExporter, Sink
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    register_exporter,
    register_importer,
)

CALIB_KEYS = (("R0_rect", 9), ("Tr_velo_to_cam", 12))
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


def calib_text(calib: dict[str, Any]) -> str:
    """The devkit's calibration lines for what an item's ``calib`` gives."""
    r0 = calib.get("R0_rect", np.eye(3).ravel().tolist())
    values = {"R0_rect": r0, "Tr_velo_to_cam": calib["Tr_velo_to_cam"]}
    return "".join(
        f"{k}: {' '.join(f'{float(v):.12g}' for v in values[k])}\n" for k, _ in CALIB_KEYS
    )


def read_calib(text: str, where: str) -> dict[str, list[float]]:
    """``R0_rect`` and ``Tr_velo_to_cam`` from a devkit calibration file."""
    found: dict[str, list[float]] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        key, sep, rest = line.partition(":")
        size = dict(CALIB_KEYS).get(key.strip())
        if not sep or size is None:
            continue
        values = [number(v, where=where, line=n, field=key.strip()) for v in rest.split()]
        if len(values) != size:
            raise InvalidInput(f"{where} line {n}: {key.strip()} needs {size} numbers, got "
                               f"{len(values)}", line=n, field=key.strip())  # fmt: skip
        found[key.strip()] = values
    if "Tr_velo_to_cam" not in found:
        raise InvalidInput(f"{where}: no Tr_velo_to_cam line", field="Tr_velo_to_cam")
    return found


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
                if rec.data.get("calib"):
                    sink.write(f"calib/{name}.txt", calib_text(rec.data["calib"]).encode())
                entry = {"file": f"label_2/{name}.txt", "item_id": rec.item_id, "frame": frame}
                entry["external_id"] = rec.external_id
                manifest.append(json.dumps(entry, ensure_ascii=False).encode() + b"\n")
            n += 1
        sink.write(MANIFEST, b"".join(manifest))
        return n


def lidar_cuboid(values: list[float], velo_to_cam: np.ndarray) -> dict[str, Any]:
    """The inverse of :func:`kitti_line` for its 14 numbers (type left out)."""
    height, width, length = values[7:10]
    m, shift = velo_to_cam[:, :3], velo_to_cam[:, 3]
    bottom = np.linalg.solve(m, np.asarray(values[10:13]) - shift)
    centre = bottom + np.array([0.0, 0.0, height / 2])
    # the yaw whose heading, taken to the camera, points along rotation_y in its xz plane
    ry = values[13]
    a = m[0, 0] * math.sin(ry) + m[2, 0] * math.cos(ry)
    b = m[0, 1] * math.sin(ry) + m[2, 1] * math.cos(ry)
    yaw = math.atan2(-a, b)
    heading = m @ np.array([math.cos(yaw), math.sin(yaw), 0.0])
    if heading[0] * math.cos(ry) - heading[2] * math.sin(ry) < 0:
        yaw = (yaw + 2 * math.pi) % (2 * math.pi) - math.pi
    return {
        "center": [round(float(v), 6) for v in centre],
        "dimensions": [length, width, height],
        "rotation": [round(yaw, 6), 0.0, 0.0],
    }


def _declared(ctrl: Control, label: str) -> set[str]:
    attrs = ctrl.label_info.get(label, {}).get("attributes") or []
    return {a if isinstance(a, str) else a.get("name") for a in attrs}


class KittiImporter(ControlImporter):
    """Reads KITTI ``label_2`` files (with ``calib`` files) into ``cuboid`` results."""

    name = "kitti"
    types = ("cuboid",)
    onto_items_only = True  # the files hold no media to make items of
    default_name, default_source = "cuboids", "pointcloud"

    def _label(self, kind: str, where: str, line: int) -> str:
        spaced = kind.replace("_", " ")
        if self.ctrl.labels and kind not in self.ctrl.labels and spaced in self.ctrl.labels:
            return spaced
        return check_label(self.ctrl, kind, line=line, field="type", file=where)

    def _cuboids(self, text: str, where: str, velo_to_cam: np.ndarray) -> list[dict[str, Any]]:
        out = []
        for n, line in enumerate(text.splitlines(), start=1):
            fields = line.split()
            if not fields:
                continue
            if fields[0] == "DontCare":
                self.warnings.append(f"{where} line {n}: DontCare region skipped")
                continue
            if len(fields) not in (15, 16):
                raise InvalidInput(f"{where} line {n}: a KITTI label line has 15 values (16 "
                                   f"with a score), got {len(fields)}", line=n,
                                   field="values")  # fmt: skip
            names = ("truncated", "occluded", "alpha", "left", "top", "right", "bottom",
                     "height", "width", "length", "x", "y", "z", "rotation_y")  # fmt: skip
            pairs = zip(fields[1:15], names, strict=True)
            values = [number(v, where=where, line=n, field=k) for v, k in pairs]
            for k in (7, 8, 9):
                number(fields[k + 1], where=where, line=n, field=names[k], above=0)
            label = self._label(fields[0], where, n)
            cuboid: dict[str, Any] = {"label": label, **lidar_cuboid(values, velo_to_cam)}
            declared = _declared(self.ctrl, label)
            attrs = {k: v for k, v in (("truncated", values[0]), ("occluded", int(values[1])))
                     if v and k in declared}  # fmt: skip
            if attrs:
                cuboid["attributes"] = attrs
            out.append(cuboid)
        return out

    def read_bundle(self, bundle: Bundle) -> Iterator[ImportRow]:
        manifest = bundle.manifest()
        texts = bundle.ending(".txt")
        labels = [n for n in texts if "/label_2/" in f"/{n}"] or [
            n for n in texts if "/calib/" not in f"/{n}"
        ]
        items: dict[str, tuple[int, dict[str, Any], list[dict[str, Any]]]] = {}
        for n, name in enumerate(labels, start=1):
            stem = PurePosixPath(name).stem
            entry = manifest.get(name)
            if entry is not None:
                key, frame = item_key(entry.get("external_id"), entry.get("item_id")), None
                if entry.get("frame") is not None:
                    at = f"{MANIFEST}: {name}"
                    frame = int(number(str(entry["frame"]), where=at, line=None, field="frame",
                                       integer=True, minimum=0))  # fmt: skip
            else:
                head, _, tail = stem.partition("_")
                key = (head.lstrip("0") or "0") if head.isdigit() else stem
                frame = int(tail) if tail.isdigit() else None
            calib_name = PurePosixPath(name).parent.parent / "calib" / f"{stem}.txt"
            data: dict[str, Any] = {}
            velo_to_cam = NOMINAL_VELO_TO_CAM
            if (at := calib_name.as_posix()) in bundle.names:
                data["calib"] = read_calib(bundle.text(at), at)
                velo_to_cam = _calibration(data, 0)
            cuboids = self._cuboids(bundle.text(name), name, velo_to_cam)
            _, _, found = items.setdefault(key, (n, data, []))
            for c in cuboids:
                if frame is not None:
                    c["frame"] = int(frame)
                c["id"] = f"k{len(found) + 1}"
                found.append(c)
        for key, (n, data, found) in items.items():
            row = ImportRow(line=n, data=data, external_id=key)
            attach(row, {self.ctrl.name: found}, target=self.target)
            yield row


@register_exporter("kitti")
def _kitti_exporter() -> KittiExporter:
    return KittiExporter()


@register_importer("kitti")
def _kitti_importer() -> KittiImporter:
    return KittiImporter()
