"""CVAT for video 1.1 (https://docs.cvat.ai/docs/manual/advanced/xml_format/):
an ``annotations.xml`` per video with ``<meta><task>`` (size in frames, mode
``interpolation``, labels, original size) and a ``<track id label>`` per track
holding ``<box frame outside occluded keyframe xtl ytl xbr ybr>`` elements.

The export writes each keyframe as a ``<box keyframe="1">`` (CVAT interpolates
between keyframes itself, by the same rule as
:func:`labelwell.media.video.interpolate`), one ``annotations/<item>.xml`` per
item in a zip. The importer reads such files (one XML file, a folder or a zip of
them) back into ``video_track`` results: keyframe boxes become keyframes, and
a file holding only interpolated boxes (``keyframe="0"``) keeps them all."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from labelwell.errors import InvalidInput
from labelwell.formats._ontology import (
    Control,
    ControlImporter,
    check_label,
    first_control,
)
from labelwell.formats._select import attach
from labelwell.formats._sink import FolderExporter, Sink
from labelwell.formats.mot import VIDEO_TYPES, item_tracks, video_meta
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    register_exporter,
    register_importer,
)


def _n(v: float) -> str:
    return f"{v:.2f}"


def cvat_xml(meta: dict[str, Any], ctrl: Control, tracks: list[dict[str, Any]]) -> bytes:
    root = ET.Element("annotations")
    ET.SubElement(root, "version").text = "1.1"
    task = ET.SubElement(ET.SubElement(root, "meta"), "task")
    ET.SubElement(task, "name").text = meta["name"]
    ET.SubElement(task, "size").text = str(meta["frames"])
    ET.SubElement(task, "mode").text = "interpolation"
    ET.SubElement(task, "start_frame").text = "0"
    ET.SubElement(task, "stop_frame").text = str(max(0, int(meta["frames"]) - 1))
    labels = ET.SubElement(task, "labels")
    for name in ctrl.labels:
        label = ET.SubElement(labels, "label")
        ET.SubElement(label, "name").text = name
        ET.SubElement(label, "type").text = "rectangle"
    size = ET.SubElement(task, "original_size")
    ET.SubElement(size, "width").text = str(meta["width"] or 0)
    ET.SubElement(size, "height").text = str(meta["height"] or 0)
    ET.SubElement(task, "source").text = meta["video"]
    for i, track in enumerate(tracks):
        el = ET.SubElement(root, "track", id=str(i), label=track["label"], source="manual")
        for kf in track["keyframes"]:
            x, y = float(kf["x"]), float(kf["y"])
            ET.SubElement(
                el,
                "box",
                frame=str(kf["frame"]),
                keyframe="1",
                outside="1" if kf.get("outside") else "0",
                occluded="1" if kf.get("occluded") else "0",
                xtl=_n(x),
                ytl=_n(y),
                xbr=_n(x + float(kf["width"])),
                ybr=_n(y + float(kf["height"])),
                z_order="0",
            )
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


class CvatVideoExporter(FolderExporter):
    name = "cvat_video"
    needs = VIDEO_TYPES

    def _export(self, records: Iterable[ExportRecord], sink: Sink, ontology: Any) -> int:
        ctrl = first_control(ontology, VIDEO_TYPES, self.control)
        n = 0
        for rec in records:
            tracks = item_tracks(rec, ctrl, self.labels)
            meta = video_meta(rec, tracks)
            sink.write(f"annotations/{meta['name']}.xml", cvat_xml(meta, ctrl, tracks))
            n += 1
        return n


def _number(el: ET.Element, key: str, where: str) -> float:
    try:
        return float(el.attrib[key])
    except (KeyError, ValueError):
        raise InvalidInput(f"{where}: {key} must be a number", field=key) from None


class CvatVideoImporter(ControlImporter):
    """Reads CVAT for video 1.1 XML into ``video_track`` results."""

    name = "cvat_video"
    types = VIDEO_TYPES
    default_name = "tracks"
    default_source = "video"

    def read(self, path: Path) -> Iterator[ImportRow]:
        path = Path(path)
        if path.is_file() and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names = sorted(n for n in zf.namelist() if n.lower().endswith(".xml"))
                for n, name in enumerate(names, start=1):
                    yield self._row(n, PurePosixPath(name), zf.read(name))
            return
        files = [path] if path.is_file() else sorted(path.rglob("*.xml"))
        for n, f in enumerate(files, start=1):
            yield self._row(n, PurePosixPath(f.name), f.read_bytes())

    def _row(self, n: int, f: PurePosixPath, xml: bytes) -> ImportRow:
        try:
            root = ET.fromstring(xml)
        except ET.ParseError as exc:
            raise InvalidInput(f"{f.name}: not XML: {exc}", line=exc.position[0]) from exc
        task = root.find("meta/task")
        if root.tag != "annotations" or task is None:
            raise InvalidInput(f"{f.name}: not CVAT XML (no annotations/meta/task)", field="meta")
        data: dict[str, Any] = {"video": (task.findtext("source") or f.stem).strip()}
        for key, path in (("frames", "size"), ("width", "original_size/width"),
                          ("height", "original_size/height")):  # fmt: skip
            text = task.findtext(path)
            if text and text.strip().isdigit() and int(text) > 0:
                data[key] = int(text)
        tracks = []
        for i, el in enumerate(root.iter("track")):
            where = f"{f.name}: track[{i}]"
            label = check_label(
                self.ctrl,
                el.attrib.get("label", ""),
                line=None,
                field=f"track[{i}].label",
                file=f.name,
            )
            boxes = list(el.iter("box"))
            keyed = [b for b in boxes if b.attrib.get("keyframe", "1") == "1"] or boxes
            keyframes = []
            for b in sorted(keyed, key=lambda b: int(_number(b, "frame", where))):
                x0, y0 = _number(b, "xtl", where), _number(b, "ytl", where)
                x1, y1 = _number(b, "xbr", where), _number(b, "ybr", where)
                kf: dict[str, Any] = {"frame": int(_number(b, "frame", where)), "x": x0, "y": y0,
                                      "width": x1 - x0, "height": y1 - y0}  # fmt: skip
                if b.attrib.get("outside") == "1":
                    kf["outside"] = True
                if b.attrib.get("occluded") == "1":
                    kf["occluded"] = True
                keyframes.append(kf)
            if keyframes:
                tracks.append({"track_id": int(el.attrib.get("id", i)), "label": label,
                               "keyframes": keyframes})  # fmt: skip
        row = ImportRow(line=n, data=data, external_id=f.stem)
        attach(row, {self.ctrl.name: tracks}, target=self.target)
        return row


@register_exporter("cvat_video")
def _cvat_video_exporter() -> CvatVideoExporter:
    return CvatVideoExporter()


@register_importer("cvat_video")
def _cvat_video_importer() -> CvatVideoImporter:
    return CvatVideoImporter()
