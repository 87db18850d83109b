"""COCO panoptic segmentation (Kirillov et al., "Panoptic Segmentation", CVPR
2019; https://cocodataset.org/#format-data): ``panoptic.json`` with
``segments_info`` per image, and one RGB PNG per image in ``panoptic/`` whose
pixel colour encodes the segment id as ``R + 256 G + 256² B`` (0 is void).

Segments come from a ``panoptic`` control whose regions carry an RLE mask,
``instance_id`` and ``is_thing``; categories are the control's labels, with
``isthing`` from the label's ``is_thing``. The segment id is the region's
integer ``instance_id`` when unique in the image, else its position (1, 2,
...); later segments paint over earlier ones where masks overlap. PNGs are
written with zlib alone; the importer decodes them with Pillow when installed,
else with its own reader (8-bit RGB/RGBA, filters None, Sub and Up, which
covers what this exporter writes).
"""

from __future__ import annotations

import struct
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import orjson

from labelwell.errors import InvalidInput
from labelwell.formats._geometry import mask_to_rle, rle_area, rle_bbox, rle_to_mask
from labelwell.formats._ontology import TakesOntology, check_label, first_control
from labelwell.formats._paths import inside
from labelwell.formats._select import attach, chosen_labels
from labelwell.formats._sink import FolderExporter, Sink
from labelwell.formats.coco import image_meta
from labelwell.formats.registry import ExportRecord, ImportRow, register_exporter, register_importer


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def encode_png(rgb: np.ndarray) -> bytes:
    h, w, _ = rgb.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rgb.reshape(h, w * 3)], axis=1).tobytes()
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(raw, 6))
        + _chunk(b"IEND", b"")
    )


def decode_png(path: Path) -> np.ndarray:
    """``(h, w, 3)`` uint8 RGB of a PNG file."""
    try:
        from PIL import Image
    except ImportError:
        return _decode_png_plain(path)
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _decode_png_plain(path: Path) -> np.ndarray:
    data = path.read_bytes()
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise InvalidInput(f"{path.name}: not a PNG file", field="file_name")
    pos, idat, w = 8, b"", 0
    h = depth = ctype = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if tag == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    channels = {2: 3, 6: 4}.get(ctype)
    if depth != 8 or channels is None:
        raise InvalidInput(f"{path.name}: only 8-bit RGB/RGBA PNGs are read without Pillow")
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * channels)
    out = np.zeros((h, w * channels), np.uint8)
    for y in range(h):
        kind, line = rows[y, 0], rows[y, 1:]
        if kind == 0:
            out[y] = line
        elif kind == 2:
            out[y] = line + (out[y - 1] if y else 0)
        elif kind == 1:
            row = line.astype(np.int64).reshape(w, channels)
            out[y] = (np.cumsum(row, axis=0) % 256).astype(np.uint8).reshape(-1)
        else:
            raise InvalidInput(f"{path.name}: PNG filter {kind} needs Pillow to read")
    return out.reshape(h, w, channels)[:, :, :3]


class CocoPanopticExporter(FolderExporter):
    """Written as a zip (``write``) or a folder (``export_dir``)."""
    name = "coco_panoptic"
    needs = ("panoptic",)

    def _export(self, records: Iterable[ExportRecord], sink: Sink, ontology: Any) -> int:
        ctrl = first_control(ontology, ("panoptic",), self.control)
        cats = [
            {
                "id": i,
                "name": n,
                "supercategory": ctrl.name,
                "isthing": int(bool(ctrl.label_info[n].get("is_thing", True))),
            }
            for i, n in enumerate(ctrl.labels, start=1)
        ]
        cat_id = {c["name"]: c["id"] for c in cats}
        n = 0
        with tempfile.TemporaryFile() as images, tempfile.TemporaryFile() as anns:
            for rec in records:
                image, w, h = image_meta(rec)
                stem = f"{rec.item_id}_{PurePosixPath(image).stem}"
                sep = b"," if n else b""
                images.write(
                    sep
                    + orjson.dumps({"id": rec.item_id, "file_name": image, "width": w, "height": h})
                )
                picks = chosen_labels(rec, self.labels)
                regions = [r for p in picks[:1] for r in p.result.get(ctrl.name) or []]
                ids = [r.get("instance_id") for r in regions]
                if not all(isinstance(i, int) and 0 < i < 256**3 for i in ids) or len(
                    set(ids)
                ) != len(ids):
                    ids = list(range(1, len(regions) + 1))
                canvas = np.zeros((h, w), np.int64)
                segments = []
                for seg_id, r in zip(ids, regions, strict=True):
                    check_label(
                        ctrl, r.get("label"), line=None, field=f"item {rec.item_id} {ctrl.name}"
                    )
                    if list(r["rle"]["size"]) != [h, w]:
                        raise InvalidInput(
                            f"item {rec.item_id}: mask size is not the image size", field=ctrl.name
                        )
                    canvas[rle_to_mask(r["rle"]).astype(bool)] = seg_id
                    segments.append(
                        {
                            "id": seg_id,
                            "category_id": cat_id[r["label"]],
                            "iscrowd": 0,
                            "region_id": r.get("id"),
                        }
                    )
                for seg in segments:
                    rle = mask_to_rle(canvas == seg["id"])
                    seg.update(area=rle_area(rle), bbox=rle_bbox(rle))
                rgb = np.stack(
                    [canvas % 256, canvas // 256 % 256, canvas // 65536], axis=-1
                ).astype(np.uint8)
                sink.write(f"panoptic/{stem}.png", encode_png(rgb))
                ann = {
                    "image_id": rec.item_id,
                    "file_name": f"{stem}.png",
                    "segments_info": segments,
                }
                anns.write(sep + orjson.dumps(ann))
                n += 1
            with sink.open("panoptic.json") as fh:
                fh.write(b'{"info":{"description":"labelwell export"},"licenses":[],"categories":')
                fh.write(orjson.dumps(cats) + b',"images":[')
                for part, tail in ((images, b'],"annotations":['), (anns, b"]}")):
                    part.seek(0)
                    while chunk := part.read(1 << 20):
                        fh.write(chunk)
                    fh.write(tail)
        return n


class CocoPanopticImporter(TakesOntology):
    """Reads ``panoptic.json`` and the PNG folder beside it (``panoptic/``, or
    the JSON's name without ``.json``)."""

    name = "coco_panoptic"

    def __init__(
        self, ontology: Any = None, control: str | None = None, target: str = "annotation"
    ) -> None:
        self.control = control
        self.target = target
        self.ontology = ontology

    def bind(self, ontology: Any) -> None:
        self.ctrl = (
            first_control(ontology, ("panoptic",), self.control) if ontology is not None else None
        )

    def read(self, path: Path) -> Iterator[ImportRow]:
        path = Path(path)
        js = path / "panoptic.json" if path.is_dir() else path
        try:
            doc = orjson.loads(js.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise InvalidInput(f"{js.name}: cannot read: {exc}", field="panoptic.json") from exc
        root = js.parent.resolve()
        png_dir = next(
            (d for d in (js.parent / "panoptic", js.with_suffix("")) if d.is_dir()), js.parent
        )
        cats = {c["id"]: c for c in doc.get("categories", [])}
        anns = {a["image_id"]: a for a in doc.get("annotations", [])}
        name = self.ctrl.name if self.ctrl else "panoptic"
        for n, img in enumerate(doc.get("images", []), start=1):
            data = {
                "image": img.get("file_name"),
                "width": img.get("width"),
                "height": img.get("height"),
            }
            row = ImportRow(line=n, data=data, external_id=str(img.get("id")))
            ann = anns.get(img.get("id"))
            if ann is not None:
                png = inside(root, png_dir / str(ann["file_name"]), "file_name", "file_name")
                ids = decode_png(png).astype(np.int64) @ np.array([1, 256, 65536])
                regions = []
                for i, seg in enumerate(ann["segments_info"]):
                    where = f"annotations[image_id={img.get('id')}].segments_info[{i}]"
                    cat = cats.get(seg.get("category_id"))
                    if cat is None:
                        raise InvalidInput(
                            f"{js.name}: unknown category_id", field=f"{where}.category_id"
                        )
                    if self.ctrl is not None:
                        check_label(
                            self.ctrl,
                            cat["name"],
                            line=None,
                            field=f"{where}.category_id",
                            file=js.name,
                        )
                    regions.append(
                        {
                            "id": str(seg.get("region_id") or seg["id"]),
                            "label": cat["name"],
                            "rle": mask_to_rle(ids == seg["id"]),
                            "instance_id": seg["id"],
                            "is_thing": bool(cat.get("isthing", 1)),
                        }
                    )
                attach(row, {name: regions}, target=self.target)
            yield row


register_exporter("coco_panoptic")(CocoPanopticExporter)
register_importer("coco_panoptic")(CocoPanopticImporter)
