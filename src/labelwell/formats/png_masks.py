"""Semantic label maps as PNG: one image per item whose pixel value is the class
index, as Pascal VOC's ``SegmentationClass`` and Cityscapes' ``labelIds`` lay
them out (Everingham et al., "The PASCAL Visual Object Classes Challenge",
IJCV 88(2), 2010, section 4.3).

A zip (or folder) with ``masks/<item id>_<image stem>.png`` and ``classes.json``
(``[{"index", "name", "color"}]``): 0 is background, the control's labels are
1, 2, ... in ontology order. With up to 255 labels the PNG is 8-bit with a
palette (each label in its colour, as VOC's are), else 16-bit grey. Regions of a
``mask`` or ``panoptic`` control, RLE or polygon, are painted in order, later
ones over earlier ones; the size is the item's ``width`` x ``height``, else
its masks'."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import orjson
from PIL import Image, ImageDraw

from labelwell.errors import InvalidInput
from labelwell.formats._geometry import rle_to_mask
from labelwell.formats._ontology import check_label, first_control
from labelwell.formats._select import chosen_labels
from labelwell.formats._sink import FolderExporter, Sink
from labelwell.formats.registry import ExportRecord, register_exporter

_PALETTE_SIZE = 256


def voc_palette() -> list[int]:
    """The PASCAL VOC colour map (``VOCdevkit``'s ``labelcolormap``): flat RGB."""
    out: list[int] = []
    for i in range(_PALETTE_SIZE):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        out += [r, g, b]
    return out


def label_map(
    regions: list[dict[str, Any]], index: dict[str, int], size: tuple[int, int]
) -> np.ndarray:
    """``(h, w)`` class indices of ``regions`` painted in order."""
    h, w = size
    out = np.zeros((h, w), np.uint16)
    for r in regions:
        if r.get("rle") is not None:
            if list(r["rle"]["size"]) != [h, w]:
                raise InvalidInput(
                    f"mask size {r['rle']['size']} is not the image size [{h}, {w}]", field="rle"
                )
            out[rle_to_mask(r["rle"]).astype(bool)] = index[r["label"]]
        elif r.get("points"):
            canvas = Image.new("L", (w, h), 0)
            ImageDraw.Draw(canvas).polygon([tuple(p) for p in r["points"]], fill=1)
            out[np.asarray(canvas, bool)] = index[r["label"]]
    return out


def encode(labels: np.ndarray, n_classes: int) -> bytes:
    buf = io.BytesIO()
    if n_classes <= 255:
        im = Image.fromarray(labels.astype(np.uint8), "P")
        im.putpalette(voc_palette())
    else:
        im = Image.fromarray(labels.astype(np.uint16))
    im.save(buf, "PNG")
    return buf.getvalue()


class PngMasksExporter(FolderExporter):
    """Written as a zip (``write``) or a folder (``export_dir``)."""
    name = "png_masks"
    needs = ("mask", "panoptic")

    def _export(self, records: Iterable[ExportRecord], sink: Sink, ontology: Any) -> int:
        ctrl = first_control(ontology, self.needs, self.control)
        index = {name: i for i, name in enumerate(ctrl.labels, start=1)}
        palette = voc_palette()
        classes = [{"index": 0, "name": "background", "color": "#000000"}] + [
            {"index": i, "name": n, "color": "#" + bytes(palette[3 * i : 3 * i + 3]).hex()}
            for n, i in index.items()
        ]
        n = 0
        for rec in records:
            picks = chosen_labels(rec, self.labels)
            regions = [r for p in picks[:1] for r in p.result.get(ctrl.name) or []]
            for r in regions:
                check_label(
                    ctrl, r.get("label"), line=None, field=f"item {rec.item_id} {ctrl.name}"
                )
            size = _size(rec, regions)
            if size is None:
                continue
            name = rec.data.get("image") or (rec.media[0] if rec.media else str(rec.item_id))
            stem = f"{rec.item_id}_{PurePosixPath(str(name)).stem}"
            try:
                labels = label_map(regions, index, size)
            except InvalidInput as exc:
                raise InvalidInput(f"item {rec.item_id}: {exc}", field=ctrl.name) from None
            sink.write(f"masks/{stem}.png", encode(labels, len(index)))
            n += 1
        sink.write("classes.json", orjson.dumps(classes, option=orjson.OPT_INDENT_2))
        return n


def _size(rec: ExportRecord, regions: list[dict[str, Any]]) -> tuple[int, int] | None:
    try:
        return int(rec.data["height"]), int(rec.data["width"])
    except (KeyError, TypeError, ValueError):
        pass
    for r in regions:
        if r.get("rle") is not None:
            h, w = r["rle"]["size"]
            return int(h), int(w)
    return None


register_exporter("png_masks")(PngMasksExporter)
