"""Pascal VOC XML (Everingham et al., "The PASCAL Visual Object Classes (VOC)
Challenge", IJCV 2010; devkit layout ``Annotations/``, ``ImageSets/Main/``,
``JPEGImages/``). One XML file per image, one ``<object>`` per box with
``<bndbox>`` ``xmin, ymin, xmax, ymax`` = ``x, y, x + width, y + height`` in
pixels (no 1-based shift, as LabelImg and CVAT write them).

``truncated``, ``difficult`` and ``occluded`` come from the region's
attributes; other attributes go in CVAT's ``<attributes>`` element (values as
JSON), the annotator in ``<annotator>``; VOC readers skip both. The image set
lists need one name per item in memory; everything else streams.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from labelwell.errors import InvalidInput
from labelwell.formats._geometry import fmt_num
from labelwell.formats._ontology import (
    ControlImporter,
    check_label,
    first_control,
)
from labelwell.formats._select import attach, chosen_labels
from labelwell.formats._sink import FolderExporter, Sink
from labelwell.formats.coco import image_meta
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    register_exporter,
    register_importer,
)

FLAGS = ("truncated", "difficult", "occluded")


def _sub(parent: ET.Element, tag: str, text: Any) -> ET.Element:
    el = ET.SubElement(parent, tag)
    el.text = str(text)
    return el


def voc_xml(
    name: str, image: str, w: int, h: int, objects: list[tuple[dict[str, Any], str | None]]
) -> bytes:
    root = ET.Element("annotation")
    _sub(root, "folder", "JPEGImages")
    _sub(root, "filename", name)
    _sub(root, "path", image)
    _sub(ET.SubElement(root, "source"), "database", "labelwell")
    size = ET.SubElement(root, "size")
    _sub(size, "width", w)
    _sub(size, "height", h)
    _sub(size, "depth", 3)
    _sub(root, "segmented", 0)
    for region, annotator in objects:
        attrs = dict(region.get("attributes") or {})
        obj = ET.SubElement(root, "object")
        _sub(obj, "name", region["label"])
        _sub(obj, "pose", attrs.pop("pose", "Unspecified"))
        for flag in FLAGS:
            _sub(obj, flag, int(bool(attrs.pop(flag, 0))))
        box = ET.SubElement(obj, "bndbox")
        x, y, bw, bh = (float(region[k]) for k in ("x", "y", "width", "height"))
        for tag, v in zip(("xmin", "ymin", "xmax", "ymax"), (x, y, x + bw, y + bh), strict=True):
            _sub(box, tag, fmt_num(v))
        if region.get("id") is not None:
            _sub(obj, "id", region["id"])
        if annotator:
            _sub(obj, "annotator", annotator)
        if attrs:
            el = ET.SubElement(obj, "attributes")
            for k, v in attrs.items():
                a = ET.SubElement(el, "attribute")
                _sub(a, "name", k)
                _sub(a, "value", json.dumps(v, ensure_ascii=False))
    ET.indent(root)
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return xml + b"\n"


class VocExporter(FolderExporter):
    name = "voc"
    needs = ("bbox",)

    def _export(self, records: Iterable[ExportRecord], sink: Sink, ontology: Any) -> int:
        ctrl = first_control(ontology, ("bbox",), self.control)
        sets: dict[str, list[str]] = {}
        n = 0
        for rec in records:
            image, w, h = image_meta(rec)
            name = f"{rec.item_id}_{PurePosixPath(image).stem}"
            objects = []
            for picked in chosen_labels(rec, self.labels):
                for region in picked.result.get(ctrl.name) or []:
                    check_label(
                        ctrl,
                        region.get("label"),
                        line=None,
                        field=f"item {rec.item_id} {ctrl.name}",
                    )
                    objects.append(
                        (region, picked.annotator if self.labels != "consensus" else None)
                    )
            src = Path(image)
            filename = name + (src.suffix or ".jpg")
            sink.write(f"Annotations/{name}.xml", voc_xml(filename, image, w, h, objects))
            if self.copy_images and src.is_file():
                sink.copy(src, f"JPEGImages/{filename}")
            sets.setdefault(str(rec.data.get("split") or self.default_split), []).append(name)
            n += 1
        for split, names in sets.items():
            sink.write(f"ImageSets/Main/{split}.txt", "".join(f"{x}\n" for x in names).encode())
        return n


def _text(el: ET.Element, path: str, fname: str, field: str) -> str:
    found = el.find(path)
    if found is None or found.text is None:
        raise InvalidInput(f"{fname}: missing <{path}>", field=field)
    return found.text.strip()


class VocImporter(ControlImporter):
    """Reads a VOC folder (its ``Annotations/*.xml``) or one XML file."""

    name = "voc"
    types = ("bbox",)
    default_name = "bbox"
    default_source = "image"

    def read(self, path: Path) -> Iterator[ImportRow]:
        path = Path(path)
        if path.is_file() and zipfile.is_zipfile(path):
            yield from self._read_zip(path)
            return
        if path.is_file():
            files = [path]
        else:
            files = sorted((path / "Annotations").glob("*.xml")) or sorted(path.glob("*.xml"))
        for n, f in enumerate(files, start=1):
            yield self._row(n, PurePosixPath(f.name), f.read_bytes())

    def _read_zip(self, path: Path) -> Iterator[ImportRow]:
        """A zipped VOC folder (as this exporter's ``write`` makes it), read in
        place: members are never extracted."""
        with zipfile.ZipFile(path) as zf:
            names = [PurePosixPath(n) for n in zf.namelist() if n.lower().endswith(".xml")]
            chosen = sorted(n for n in names if n.parent.name == "Annotations") or sorted(names)
            for n, name in enumerate(chosen, start=1):
                yield self._row(n, name, zf.read(str(name)))

    def _row(self, n: int, f: PurePosixPath, xml: bytes) -> ImportRow:
        try:
            root = ET.fromstring(xml)
        except ET.ParseError as exc:
            raise InvalidInput(
                f"{f.name}: not XML: {exc}", line=exc.position[0], field="xml"
            ) from exc
        try:
            w = int(float(_text(root, "size/width", f.name, "size.width")))
            h = int(float(_text(root, "size/height", f.name, "size.height")))
        except ValueError as exc:
            raise InvalidInput(f"{f.name}: size must be numbers", field="size") from exc
        image = root.findtext("path") or root.findtext("filename") or f.stem
        data = {"image": image.strip(), "width": w, "height": h}
        groups: dict[str | None, list[dict[str, Any]]] = {}
        for i, obj in enumerate(root.iter("object")):
            field = f"object[{i}]"
            label = check_label(
                self.ctrl,
                _text(obj, "name", f.name, f"{field}.name"),
                line=None,
                field=f"{field}.name",
                file=f.name,
            )
            try:
                x0, y0, x1, y1 = (
                    float(_text(obj, f"bndbox/{k}", f.name, f"{field}.bndbox.{k}"))
                    for k in ("xmin", "ymin", "xmax", "ymax")
                )
            except ValueError as exc:
                raise InvalidInput(
                    f"{f.name}: bndbox must be numbers", field=f"{field}.bndbox"
                ) from exc
            region: dict[str, Any] = {"id": obj.findtext("id") or f"{f.stem}-{i}", "label": label}
            region.update(x=x0, y=y0, width=x1 - x0, height=y1 - y0)
            attrs: dict[str, Any] = {}
            pose = obj.findtext("pose")
            if pose and pose != "Unspecified":
                attrs["pose"] = pose
            for flag in FLAGS:
                if (obj.findtext(flag) or "0").strip() not in ("0", ""):
                    attrs[flag] = True
            for a in obj.iterfind("attributes/attribute"):
                raw = a.findtext("value") or ""
                try:
                    attrs[a.findtext("name") or ""] = json.loads(raw)
                except json.JSONDecodeError:
                    attrs[a.findtext("name") or ""] = raw
            if attrs:
                region["attributes"] = attrs
            groups.setdefault(obj.findtext("annotator"), []).append(region)
        row = ImportRow(line=n, data=data, external_id=f.stem)
        for annotator, regions in groups.items():
            attach(row, {self.ctrl.name: regions}, target=self.target, annotator=annotator)
        return row


@register_exporter("voc")
def _voc_exporter() -> VocExporter:
    return VocExporter()


@register_importer("voc")
def _voc_importer() -> VocImporter:
    return VocImporter()
