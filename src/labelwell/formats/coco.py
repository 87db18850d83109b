"""COCO object detection, segmentation (polygons and RLE masks) and keypoints.

Format: https://cocodataset.org/#format-data (Lin et al., "Microsoft COCO:
Common Objects in Context", ECCV 2014). Categories come from the ontology's
``bbox``/``polygon``/``mask``/``keypoints`` controls, numbered from 1 in
ontology order; keypoint categories carry ``keypoints`` and a 1-based
``skeleton``. Each annotation dict also carries labelwell's extras, which COCO
readers ignore: ``control``, ``region_id``, ``annotator``, ``source`` and
``attributes``; the importer uses them to give back exactly what was exported.
Boxes also carry their rectangle as a polygon ``segmentation``, so segmentation
tools (``COCOeval(iouType="segm")``) accept every annotation.

The exporter streams: image dicts go straight to the output, annotation dicts
to a temporary file appended after the images, so memory stays flat.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from labelwell.errors import InvalidInput
from labelwell.formats._geometry import points_bbox, polygon_area, rle_area, rle_bbox
from labelwell.formats._ontology import (
    Control,
    category_names,
    check_label,
    controls,
    pick_controls,
)
from labelwell.formats._select import Chosen, attach, check_mode, chosen_labels
from labelwell.formats._sink import copy_spooled
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    register_exporter,
    register_importer,
)

VISION_TYPES = ("bbox", "polygon", "mask", "keypoints")


def image_meta(rec: ExportRecord, image_key: str = "image") -> tuple[str, int, int]:
    """``(file_name, width, height)`` of an item; raises when a size is missing."""
    data = rec.data
    name = data.get(image_key) or (rec.media[0] if rec.media else None) or str(rec.item_id)
    try:
        return str(name), int(data["width"]), int(data["height"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(
            f"item {rec.item_id} needs integer data.width and data.height for this format",
            field="data.width",
        ) from exc


def skeleton_of(control: Control, label: str) -> tuple[list[str], list[list[int]]]:
    sk = control.label_info.get(label, {}).get("skeleton") or {}
    return list(sk.get("keypoints") or []), [list(e) for e in sk.get("edges") or []]


def coco_categories(ctrls: list[Control]) -> list[dict[str, Any]]:
    cats: list[dict[str, Any]] = []
    for i, name in enumerate(category_names(ctrls), start=1):
        owner = next(c for c in ctrls if name in c.labels)
        cat: dict[str, Any] = {"id": i, "name": name, "supercategory": owner.name}
        kp_ctrl = next((c for c in ctrls if c.type == "keypoints" and name in c.labels), None)
        if kp_ctrl is not None:
            names, edges = skeleton_of(kp_ctrl, name)
            cat["keypoints"] = names
            cat["skeleton"] = [[a + 1, b + 1] for a, b in edges]
        cats.append(cat)
    return cats


def region_to_ann(ctrl: Control, region: dict[str, Any], kp_names: list[str]) -> dict[str, Any]:
    """The geometry keys of a COCO annotation for one labelwell region."""
    if ctrl.type == "bbox":
        x, y, w, h = box = [float(region[k]) for k in ("x", "y", "width", "height")]
        rect = [x, y, x + w, y, x + w, y + h, x, y + h]
        return {"bbox": box, "area": w * h, "segmentation": [rect], "iscrowd": 0}
    if ctrl.type == "polygon":
        flat = [float(v) for pt in region["points"] for v in pt[:2]]
        bbox = points_bbox(flat[0::2], flat[1::2])
        return {"segmentation": [flat], "bbox": bbox, "area": polygon_area(flat), "iscrowd": 0}
    if ctrl.type == "mask":
        rle = region["rle"]
        crowd = int((region.get("attributes") or {}).get("iscrowd", 0))
        return {"segmentation": rle, "bbox": rle_bbox(rle), "area": rle_area(rle), "iscrowd": crowd}
    pts = region["points"]
    flat, xs, ys = [], [], []
    for name in kp_names:
        x, y, v = (list(pts[name]) + [2])[:3] if name in pts else (0, 0, 0)
        flat.extend((float(x), float(y), int(v)))
        if v:
            xs.append(float(x))
            ys.append(float(y))
    bbox = [float(v) for v in region["bbox"]] if "bbox" in region else points_bbox(xs, ys)
    return {
        "keypoints": flat,
        "num_keypoints": len(xs),
        "bbox": bbox,
        "area": bbox[2] * bbox[3],
        "segmentation": [],
        "iscrowd": 0,
    }


class CocoExporter:
    name = "coco"
    needs = VISION_TYPES
    extension = "json"
    media_type = "application/json"

    def __init__(self, labels: str = "raw", control: str | None = None) -> None:
        self.labels = check_mode(labels)
        self.control = control

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        ctrls = pick_controls(ontology, VISION_TYPES, self.control)
        if not ctrls:
            raise InvalidInput("COCO export needs a bbox, polygon, mask or keypoints control")
        cats = coco_categories(ctrls)
        cat_id = {c["name"]: c["id"] for c in cats}
        kp_names = {c["name"]: c.get("keypoints", []) for c in cats}
        head = {"info": {"description": "labelwell export"}, "licenses": []}
        out.write(orjson.dumps(head)[:-1] + b',"categories":' + orjson.dumps(cats))
        out.write(b',"images":[')
        n = ann_id = 0
        written = False
        with tempfile.TemporaryFile() as anns:
            for rec in records:
                file_name, width, height = image_meta(rec)
                image: dict[str, Any] = {
                    "id": rec.item_id,
                    "file_name": file_name,
                    "width": width,
                    "height": height,
                }
                if rec.external_id is not None:
                    image["external_id"] = rec.external_id
                out.write((b"," if n else b"") + orjson.dumps(image))
                n += 1
                batch: list[dict[str, Any]] = []
                for picked in chosen_labels(rec, self.labels):
                    for ctrl in ctrls:
                        regions = picked.result.get(ctrl.name)
                        if regions:
                            ann_id = self._annotations(
                                batch, ann_id, rec.item_id, ctrl, regions, picked, cat_id, kp_names
                            )
                if batch:
                    anns.write((b"," if written else b"") + orjson.dumps(batch)[1:-1])
                    written = True
            out.write(b'],"annotations":[')
            copy_spooled(anns, out)
        out.write(b"]}")
        return n

    @staticmethod
    def _annotations(
        batch: list[dict[str, Any]],
        ann_id: int,
        image_id: int,
        ctrl: Control,
        regions: list[dict[str, Any]],
        picked: Chosen,
        cat_id: dict[str, int],
        kp_names: dict[str, list[str]],
    ) -> int:
        """Append one COCO annotation dict per region to ``batch``; boxes take a
        fast path, as they are most of any large detection export."""
        name, annotator, source = ctrl.name, picked.annotator, picked.source
        for region in regions:
            try:
                cid = cat_id[region["label"]]
            except KeyError:
                raise InvalidInput(
                    f"item {image_id}: label {region.get('label')!r} is not in the ontology",
                    field=f"{ctrl.name}.label",
                ) from None
            ann_id += 1
            if ctrl.type == "bbox":
                x, y = float(region["x"]), float(region["y"])
                w, h = float(region["width"]), float(region["height"])
                ann: dict[str, Any] = {
                    "id": ann_id,
                    "image_id": image_id,
                    "category_id": cid,
                    "bbox": [x, y, w, h],
                    "area": w * h,
                    "segmentation": [[x, y, x + w, y, x + w, y + h, x, y + h]],
                    "iscrowd": 0,
                    "control": name,
                    "annotator": annotator,
                    "source": source,
                    "region_id": region.get("id"),
                }
            else:
                ann = {"id": ann_id, "image_id": image_id, "category_id": cid}
                ann.update(region_to_ann(ctrl, region, kp_names[region["label"]]))
                ann.update(
                    control=name, annotator=annotator, source=source, region_id=region.get("id")
                )
            attrs = region.get("attributes")
            if attrs:
                ann["attributes"] = attrs
            batch.append(ann)
        return ann_id


def _ann_region(kind: str, ann: dict[str, Any], cat: dict[str, Any], where: str) -> dict[str, Any]:
    region: dict[str, Any] = {"id": str(ann.get("region_id") or ann["id"]), "label": cat["name"]}
    try:
        if kind == "bbox":
            x, y, w, h = (float(v) for v in ann["bbox"])
            region.update(x=x, y=y, width=w, height=h)
        elif kind == "polygon":
            flat = ann["segmentation"][0]
            region["points"] = [
                [float(flat[i]), float(flat[i + 1])] for i in range(0, len(flat), 2)
            ]
        elif kind == "mask":
            seg = ann["segmentation"]
            region["rle"] = {"size": [int(v) for v in seg["size"]], "counts": seg["counts"]}
        else:
            flat = ann["keypoints"]
            names = cat.get("keypoints") or [str(i) for i in range(len(flat) // 3)]
            pts = {}
            for i, name in enumerate(names):
                x, y, v = flat[3 * i : 3 * i + 3]
                if x or y or v:
                    pts[name] = [float(x), float(y), int(v)]
            region["points"] = pts
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise InvalidInput(f"bad {kind} geometry: {exc}", field=where) from exc
    if ann.get("attributes"):
        region["attributes"] = ann["attributes"]
    if kind == "mask" and ann.get("iscrowd"):
        region.setdefault("attributes", {})["iscrowd"] = 1
    return region


def ann_kind(ann: dict[str, Any]) -> str:
    if any(ann.get("keypoints") or []):
        return "keypoints"
    seg = ann.get("segmentation")
    if isinstance(seg, dict):
        return "mask"
    if isinstance(seg, list) and seg and len(seg[0]) >= 6:
        return "polygon"
    return "bbox"


class CocoImporter:
    """Reads a COCO instances/keypoints file into one row per image.

    ``target`` says whether the labels become annotations (grouped by the
    ``annotator`` extra when present), predictions or gold."""

    name = "coco"

    def __init__(self, ontology: Any = None, target: str = "annotation") -> None:
        self.ontology = ontology
        self.target = target

    def _control_for(self, ann: dict[str, Any], kind: str, where: str) -> tuple[str, str]:
        ctrls = pick_controls(self.ontology, VISION_TYPES)
        if not ctrls:
            return str(ann.get("control") or kind), kind
        named = next((c for c in ctrls if c.name == ann.get("control")), None)
        if named is not None:
            return named.name, named.type
        for wanted in (kind, "bbox"):
            match = next((c for c in ctrls if c.type == wanted), None)
            if match is not None:
                return match.name, match.type
        raise InvalidInput(f"the ontology has no control for {kind} annotations", field=where)

    def read(self, path: Path) -> Iterator[ImportRow]:
        path = Path(path)
        try:
            doc = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"{path.name}: not JSON: {exc}", line=exc.lineno) from exc
        for key in ("images", "annotations", "categories"):
            if not isinstance(doc.get(key), list):
                raise InvalidInput(f"{path.name}: {key} must be a list", field=key)
        cats = {c["id"]: c for c in doc["categories"]}
        by_image: dict[Any, list[tuple[int, dict[str, Any]]]] = {}
        for i, ann in enumerate(doc["annotations"]):
            by_image.setdefault(ann.get("image_id"), []).append((i, ann))
        known = {img.get("id") for img in doc["images"]}
        for image_id in by_image:
            if image_id not in known:
                i = by_image[image_id][0][0]
                raise InvalidInput(
                    f"{path.name}: image_id {image_id!r} is not in images",
                    field=f"annotations[{i}].image_id",
                )
        for n, img in enumerate(doc["images"]):
            for key in ("id", "width", "height", "file_name"):
                if key not in img:
                    raise InvalidInput(
                        f"{path.name}: image has no {key}", field=f"images[{n}].{key}"
                    )
            data = {k: v for k, v in img.items() if k not in ("id", "file_name", "external_id")}
            data["image"] = img["file_name"]
            ext = img.get("external_id", str(img["id"]))
            row = ImportRow(line=n + 1, data=data, external_id=ext)
            groups: dict[tuple[Any, Any], dict[str, list[dict[str, Any]]]] = {}
            for i, ann in by_image.get(img["id"], []):
                where = f"annotations[{i}]"
                cat = cats.get(ann.get("category_id"))
                if cat is None:
                    raise InvalidInput(
                        f"{path.name}: category_id {ann.get('category_id')!r} is not in categories",
                        field=f"{where}.category_id",
                    )
                control, kind = self._control_for(ann, ann_kind(ann), where)
                ctrl = next((c for c in controls(self.ontology) if c.name == control), None)
                if ctrl is not None:
                    check_label(
                        ctrl, cat["name"], line=None, field=f"{where}.category_id", file=path.name
                    )
                made_by = (ann.get("annotator"), ann.get("source"))
                result = groups.setdefault(made_by, {})
                result.setdefault(control, []).append(_ann_region(kind, ann, cat, where))
            for (annotator, source), result in groups.items():
                target = "gold" if source == "gold" and self.target == "annotation" else self.target
                attach(row, result, target=target, annotator=annotator, source=source)
            yield row


@register_exporter("coco")
def _coco_exporter() -> CocoExporter:
    return CocoExporter()


@register_importer("coco")
def _coco_importer() -> CocoImporter:
    return CocoImporter()


# COCO panoptic lives in its own module; importing it here registers it with COCO.
from labelwell.formats import coco_panoptic  # noqa: E402, F401
