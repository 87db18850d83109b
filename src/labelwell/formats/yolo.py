"""YOLO datasets in the Ultralytics layout (https://docs.ultralytics.com/datasets/):
``images/<split>/``, ``labels/<split>/<name>.txt`` and ``data.yaml``.

One line per object, coordinates normalised to ``[0, 1]`` by the image size:
detection ``class cx cy w h``; segmentation ``class x1 y1 x2 y2 ...``; pose
``class cx cy w h x1 y1 v1 ...`` with ``kpt_shape: [K, 3]`` and ``flip_idx``
(``left``/``right`` keypoint names swapped) in ``data.yaml``. The task follows
the exported control's type: ``bbox``, ``polygon`` or ``keypoints``; class ids
are the control's labels in ontology order.

Items go to ``data["split"]`` (default ``train``); file names are
``<item id>_<image stem>``. Local image files are copied into ``images/``.
``labelwell_items.jsonl`` records each item's original image path, size and
ids (past 10,000 items the earlier ones go to ``labelwell_items-<n>.jsonl``
parts), so the importer restores them; without it, sizes are read from the image
files. YOLO holds one label set per image: by default the consensus (see
:mod:`labelwell.formats._select`); ``labels="raw"`` writes every annotator's
objects into the same file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from labelwell.errors import InvalidInput
from labelwell.formats._geometry import image_size, points_bbox
from labelwell.formats._ontology import Control, first_control, pick_controls
from labelwell.formats._paths import inside
from labelwell.formats._select import attach, chosen_labels
from labelwell.formats._sink import FolderExporter, Sink
from labelwell.formats.coco import image_meta, skeleton_of
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    register_exporter,
    register_importer,
)

YOLO_TYPES = ("bbox", "polygon", "keypoints")
MANIFEST = "labelwell_items.jsonl"
MANIFEST_PART = "labelwell_items-"


def _n(v: float) -> str:
    return format(v, ".10g")


def flip_index(names: list[str]) -> list[int]:
    """For each keypoint, the index of its mirror image (``left_x`` <-> ``right_x``)."""
    pos = {n: i for i, n in enumerate(names)}
    out = []
    for i, n in enumerate(names):
        twin = n.replace("left", "\0").replace("right", "left").replace("\0", "right")
        out.append(pos.get(twin, i))
    return out


def yolo_line(
    ctrl: Control, cls: int, region: dict[str, Any], w: int, h: int, kp: list[str]
) -> str:
    if ctrl.type == "bbox":
        x, y, bw, bh = (float(region[k]) for k in ("x", "y", "width", "height"))
        vals = [(x + bw / 2) / w, (y + bh / 2) / h, bw / w, bh / h]
    elif ctrl.type == "polygon":
        vals = [
            float(v) / (w if i % 2 == 0 else h)
            for pt in region["points"]
            for i, v in enumerate(pt[:2])
        ]
    else:
        pts = region["points"]
        trip = [(list(pts[n]) + [2])[:3] if n in pts else [0, 0, 0] for n in kp]
        seen = [(float(x), float(y)) for x, y, v in trip if v]
        x, y, bw, bh = region.get("bbox") or points_bbox([p[0] for p in seen], [p[1] for p in seen])
        vals = [(x + bw / 2) / w, (y + bh / 2) / h, bw / w, bh / h]
        for px, py, v in trip:
            vals.extend((float(px) / w, float(py) / h, int(v)))
    return " ".join([str(cls)] + [_n(v) for v in vals])


class YoloExporter(FolderExporter):
    name = "yolo"
    needs = YOLO_TYPES

    def _export(self, records: Iterable[ExportRecord], sink: Sink, ontology: Any) -> int:
        ctrl = first_control(ontology, YOLO_TYPES, self.control)
        cls_of = ctrl.label_index()
        kp: list[str] = []
        if ctrl.type == "keypoints":
            shapes = {tuple(skeleton_of(ctrl, label)[0]) for label in ctrl.labels}
            if len(shapes) != 1:
                raise InvalidInput(
                    "YOLO pose needs the same keypoints for every label", field=ctrl.name
                )
            kp = list(shapes.pop())
        splits: dict[str, None] = {}
        manifest: list[bytes] = []
        n = 0
        for rec in records:
            image, w, h = image_meta(rec)
            split = str(rec.data.get("split") or self.default_split)
            splits.setdefault(split, None)
            name = f"{rec.item_id}_{PurePosixPath(image).stem}"
            lines = []
            for picked in chosen_labels(rec, self.labels):
                for region in picked.result.get(ctrl.name) or []:
                    if region["label"] not in cls_of:
                        raise InvalidInput(
                            f"item {rec.item_id}: label {region['label']!r} is not in {ctrl.name}",
                            field=f"{ctrl.name}.label",
                        )
                    lines.append(yolo_line(ctrl, cls_of[region["label"]], region, w, h, kp))
            sink.write(f"labels/{split}/{name}.txt", "".join(f"{ln}\n" for ln in lines).encode())
            src = Path(image)
            if self.copy_images and src.is_file():
                sink.copy(src, f"images/{split}/{name}{src.suffix}")
            entry = {"name": name, "split": split, "image": image, "width": w, "height": h}
            entry.update(item_id=rec.item_id, external_id=rec.external_id)
            manifest.append(json.dumps(entry, ensure_ascii=False).encode() + b"\n")
            if len(manifest) >= 10_000:
                sink.write(f"{MANIFEST_PART}{n:012d}.jsonl", b"".join(manifest))
                manifest.clear()
            n += 1
        self._finish(sink, ctrl, kp, list(splits) or [self.default_split], manifest)
        return n

    def _finish(
        self, sink: Sink, ctrl: Control, kp: list[str], splits: list[str], rest: list[bytes]
    ) -> None:
        sink.write(MANIFEST, b"".join(rest))
        doc: dict[str, Any] = {s: f"images/{s}" for s in splits}
        doc.setdefault("val", doc.get("train", f"images/{splits[0]}"))
        doc.setdefault("train", doc["val"])
        doc["names"] = dict(enumerate(ctrl.labels))
        if kp:
            doc["kpt_shape"] = [len(kp), 3]
            doc["flip_idx"] = flip_index(kp)
            doc["kpt_names"] = {0: kp}
        sink.write("data.yaml", yaml.safe_dump(doc, sort_keys=False, allow_unicode=True).encode())


def _read_manifest(root: Path) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    parts = sorted(set(root.glob(f"{MANIFEST_PART}*.jsonl")) | set(root.glob(f"{MANIFEST}*")))
    for part in parts:
        part = inside(root, part, part.name, "manifest")
        for line in part.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            out[(entry["split"], entry["name"])] = entry
    return out


def _read_names(cfg_path: Path, root: Path) -> tuple[list[Any], dict[str, Any]]:
    """Class names and the config: ``data.yaml`` (Ultralytics) or ``classes.txt``
    (Label Studio's YOLO export: one name a line, ``images/`` and ``labels/``
    beside it, no splits)."""
    cfg_path = inside(root, cfg_path, cfg_path.name, cfg_path.name)
    try:
        text = cfg_path.read_text(encoding="utf-8")
        if cfg_path.name == "classes.txt":
            names: Any = [ln.strip() for ln in text.splitlines() if ln.strip()]
            cfg: dict[str, Any] = {"train": "images", "names": names}
        else:
            cfg = yaml.safe_load(text) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{cfg_path.name}: cannot read: {exc}", field=cfg_path.name) from exc
    if not isinstance(cfg, dict):
        raise InvalidInput(f"{cfg_path.name}: expected a mapping", field=cfg_path.name)
    names = cfg.get("names")
    if isinstance(names, dict):
        names = [names[k] for k in sorted(names)]
    if not isinstance(names, list) or not names:
        raise InvalidInput(f"{cfg_path.name}: names must list the classes", field="names")
    return names, cfg


class YoloImporter:
    """Reads an Ultralytics dataset folder (or its ``data.yaml``), or Label
    Studio's YOLO export (a folder with ``classes.txt``, or that file). Boxes
    (5 numbers a line) and polygons (more) may share a file; each kind goes to
    the ontology's control of that type."""

    name = "yolo"

    def __init__(
        self, ontology: Any = None, control: str | None = None, target: str = "annotation"
    ):
        self.ontology = ontology
        self.control = control
        self.target = target

    def read(self, path: Path) -> Iterator[ImportRow]:
        path = Path(path)
        root = (path.parent if path.is_file() else path).resolve()
        if path.is_file():
            cfg_path = path
        else:
            found = [root / n for n in ("data.yaml", "data.yml", "classes.txt")]
            cfg_path = next((p for p in found if p.exists()), found[0])
        names, cfg = _read_names(cfg_path, root)
        shape = cfg.get("kpt_shape")
        kind = "keypoints" if shape else None
        # (keypoints, numbers per keypoint); only read for keypoint files
        kpt = (int(shape[0]), int(shape[1])) if shape else (0, 0)
        kp_names = (cfg.get("kpt_names") or {}).get(0) or [str(i) for i in range(kpt[0])]
        manifest = _read_manifest(root)
        seen: set[str] = set()
        n = 0
        for split in ("train", "val", "test"):
            images = cfg.get(split)
            if not isinstance(images, str) or images in seen:
                continue
            seen.add(images)
            img_dir = inside(root, root / images, split, split)
            labels = str(PurePosixPath(images)).replace("images", "labels", 1)
            label_dir = inside(root, root / labels, f"the labels of {split}", split)
            for label_file in sorted(label_dir.glob("*.txt")):
                inside(root, label_file, label_file.name, split)
                n += 1
                yield self._row(
                    n, label_file, img_dir, split, names, kind, kpt, kp_names, manifest, root
                )

    def _row(
        self,
        n: int,
        label_file: Path,
        img_dir: Path,
        split: str,
        names: list[Any],
        kind: str | None,
        kpt: tuple[int, int],
        kp_names: list[str],
        manifest: dict[tuple[str, str], dict[str, Any]],
        root: Path,
    ) -> ImportRow:
        stem = label_file.stem
        entry = manifest.get((split, stem))
        image = next(iter(sorted(img_dir.glob(f"{stem}.*"))), None)
        if image is not None:
            image = inside(root, image, f"the image of {label_file.name}", split)
        data: dict[str, Any]
        ext: str | None
        if entry is not None:
            data = {"image": entry["image"], "width": entry["width"], "height": entry["height"]}
            ext = entry.get("external_id")
        else:
            size = image_size(image) if image is not None else None
            if size is None:
                raise InvalidInput(
                    f"{label_file.name}: no readable image for its size", field="width"
                )
            data = {"image": str(image), "width": size[0], "height": size[1]}
            ext = stem
        data["split"] = split
        w, h = float(data["width"]), float(data["height"])
        regions: dict[str, list[dict[str, Any]]] = {}
        lines = label_file.read_text(encoding="utf-8").splitlines()
        for ln, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                vals = [float(v) for v in line.split()]
            except ValueError as exc:
                raise InvalidInput(
                    f"{label_file.name}: not numbers", line=ln, field="values"
                ) from exc
            cls = int(vals[0])
            if not 0 <= cls < len(names) or vals[0] != cls:
                raise InvalidInput(
                    f"{label_file.name}: class {vals[0]} is not in names", line=ln, field="class"
                )
            this = kind or ("bbox" if len(vals) == 5 else "polygon")
            if this == "polygon" and (len(vals) < 7 or len(vals) % 2 == 0):
                raise InvalidInput(
                    f"{label_file.name}: a polygon needs x y pairs", line=ln, field="values"
                )
            if this == "keypoints" and len(vals) != 5 + kpt[0] * kpt[1]:
                raise InvalidInput(
                    f"{label_file.name}: expected {list(kpt)} keypoints", line=ln, field="values"
                )
            ctrl = self._ctrl(this)
            region = _region(this, names[cls], vals, w, h, kp_names, kpt, f"{stem}-{ln}")
            regions.setdefault(ctrl.name, []).append(region)
            if ctrl.labels and names[cls] not in ctrl.labels:
                raise InvalidInput(
                    f"{label_file.name}: {names[cls]!r} is not in {ctrl.name}",
                    line=ln,
                    field="class",
                )
        row = ImportRow(line=n, data=data, external_id=ext)
        if regions:
            attach(row, regions, target=self.target)
        return row

    def _ctrl(self, kind: str) -> Control:
        if self.ontology is None:
            return Control(name=self.control or kind, type=kind, source="image", labels=())
        found = pick_controls(self.ontology, (kind,), self.control)
        if not found:
            raise InvalidInput(f"the ontology has no {kind} control for these YOLO labels")
        return found[0]


def _region(
    kind: str,
    label: str,
    vals: list[float],
    w: float,
    h: float,
    kp_names: list[str],
    kpt: tuple[int, int],
    rid: str,
) -> dict[str, Any]:
    region: dict[str, Any] = {"id": rid, "label": label}
    if kind == "polygon":
        region["points"] = [[vals[i] * w, vals[i + 1] * h] for i in range(1, len(vals), 2)]
        return region
    cx, cy, bw, bh = vals[1:5]
    box = {"x": (cx - bw / 2) * w, "y": (cy - bh / 2) * h, "width": bw * w, "height": bh * h}
    if kind == "bbox":
        region.update(box)
        return region
    dims = kpt[1]
    pts = {}
    for i, name in enumerate(kp_names):
        x, y = vals[5 + dims * i], vals[6 + dims * i]
        v = int(vals[7 + dims * i]) if dims == 3 else 2
        if x or y or v:
            pts[name] = [x * w, y * h, v]
    region["points"] = pts
    return region


@register_exporter("yolo")
def _yolo_exporter() -> YoloExporter:
    return YoloExporter()


@register_importer("yolo")
def _yolo_importer() -> YoloImporter:
    return YoloImporter()
