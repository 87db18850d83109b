"""YouTube-VIS video instance segmentation JSON (Yang, Fan & Xu 2019, "Video
Instance Segmentation", ICCV; the layout of the 2019 and 2021 challenges' own
``instances.json``, read by their ``ytvos.py`` API):

* ``videos``: ``{"id", "width", "height", "length", "file_names"}``, a
  frame's JPEG name ``<video>/<frame:05d>.jpg`` for each of ``length`` frames;
* ``categories``: ``{"id", "name", "supercategory"}``, the control's labels from 1;
* ``annotations``: one per track, ``{"id", "video_id", "category_id", "iscrowd",
  "width", "height", "bboxes", "areas", "segmentations"}`` with a
  value per frame and ``null`` where the track is absent.

A track's box on each frame comes from its keyframes by
:func:`labelwell.media.video.interpolate` (``outside`` stretches are ``null``;
the ``occluded`` flag has no place in the layout). labelwell's video tracks are
boxes: no control holds a mask per video frame, so ``segmentations`` are
``null`` on every frame and ``areas`` are the boxes' (``w * h``, as COCO gives a
box-only object). Frames are named, not extracted. Each video also carries its
item's ``item_id``, ``external_id`` and ``video``, and each annotation its
``track_id`` and ``annotator``; readers ignore keys they do not know.

The importer reads such a file back into ``video_track`` results, one row per
video keyed by its item (external id, else id) when the file says, else by the
frames' folder name; a track's keyframes are the fewest that interpolate back
to its boxes (:func:`labelwell.formats._tracks.keyframes`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import numpy as np
import orjson

from labelwell.errors import InvalidInput
from labelwell.formats._bundle import item_key, number
from labelwell.formats._ontology import ControlImporter, check_label, first_control
from labelwell.formats._select import attach, check_mode
from labelwell.formats._sink import copy_spooled
from labelwell.formats._tracks import keyframes
from labelwell.formats.mot import VIDEO_TYPES, item_tracks, video_meta
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    register_exporter,
    register_importer,
)
from labelwell.media.video import interpolate


def frame_names(name: str, length: int) -> list[str]:
    return [f"{name}/{i:05d}.jpg" for i in range(length)]


def vis_annotation(
    ann_id: int, video_id: int, track: dict[str, Any], meta: dict[str, Any], category: int
) -> dict[str, Any]:
    """One track as a YouTube-VIS annotation: a box and area per frame, or null."""
    length = int(meta["frames"])
    rows = interpolate(track["keyframes"], length)
    present = rows[:, 4].astype(bool)
    boxes: list[list[float] | None] = [None] * length
    areas: list[float | None] = [None] * length
    for f in np.flatnonzero(present):
        x, y, w, h = (round(float(v), 2) for v in rows[f, :4])
        boxes[f], areas[f] = [x, y, w, h], round(w * h, 2)
    return {
        "id": ann_id,
        "video_id": video_id,
        "category_id": category,
        "iscrowd": 0,
        "width": meta["width"] or 0,
        "height": meta["height"] or 0,
        "bboxes": boxes,
        "areas": areas,
        "segmentations": [None] * length,
        "track_id": track["source_id"],
        "annotator": track["annotator"],
    }


class YoutubeVisExporter:
    name = "youtube_vis"
    extension = "json"
    media_type = "application/json"
    needs = VIDEO_TYPES

    def __init__(self, labels: str = "consensus", control: str | None = None) -> None:
        self.labels = check_mode(labels)
        self.control = control

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        ctrl = first_control(ontology, VIDEO_TYPES, self.control)
        classes = ctrl.label_index()
        cats = [{"id": i + 1, "name": n, "supercategory": "object"} for i, n in
                enumerate(ctrl.labels)]  # fmt: skip
        head = {"info": {"description": "labelwell export"}, "licenses": [], "categories": cats}
        out.write(orjson.dumps(head)[:-1] + b',"videos":[')
        n = ann_id = 0
        with tempfile.TemporaryFile() as anns:  # annotations follow every video
            for rec in records:
                tracks = item_tracks(rec, ctrl, self.labels)
                meta = video_meta(rec, tracks)
                length = int(meta["frames"])
                video = {
                    "id": rec.item_id,
                    "width": meta["width"] or 0,
                    "height": meta["height"] or 0,
                    "length": length,
                    "file_names": frame_names(meta["name"], length),
                    "item_id": rec.item_id,
                    "external_id": rec.external_id,
                    "video": meta["video"],
                }
                out.write((b"," if n else b"") + orjson.dumps(video))
                for track in tracks:
                    ann_id += 1
                    ann = vis_annotation(ann_id, rec.item_id, track, meta,
                                         classes[track["label"]] + 1)  # fmt: skip
                    anns.write((b"," if ann_id > 1 else b"") + orjson.dumps(ann))
                n += 1
            out.write(b'],"annotations":[')
            copy_spooled(anns, out)
        out.write(b"]}")
        return n


def _list(obj: Any, key: str, where: str) -> list[Any]:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, list):
        raise InvalidInput(f"{where}: {key} must be a list", field=key)
    return value


def _objects(obj: Any, key: str, where: str) -> list[dict[str, Any]]:
    """``obj[key]``, a list of objects; the error names the first entry that is not."""
    value = _list(obj, key, where)
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise InvalidInput(f"{where}: {key}[{i}] must be an object", field=f"{key}[{i}]")
    return value


class YoutubeVisImporter(ControlImporter):
    """Reads YouTube-VIS JSON into ``video_track`` results."""

    name = "youtube_vis"
    types = VIDEO_TYPES
    default_name, default_source = "tracks", "video"

    def read(self, path: Path) -> Iterator[ImportRow]:
        path = Path(path)
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path.name}: not JSON: {exc.msg}", line=exc.lineno) from None
        cats = {}
        for i, c in enumerate(_objects(doc, "categories", path.name)):
            where = f"categories[{i}]"
            cats[c.get("id")] = check_label(self.ctrl, c.get("name"), line=None,
                                            field=f"{where}.name", file=path.name)  # fmt: skip
        by_video: dict[Any, list[tuple[int, dict[str, Any]]]] = {}
        for i, ann in enumerate(_objects(doc, "annotations", path.name)):
            by_video.setdefault(ann.get("video_id"), []).append((i, ann))
        for n, video in enumerate(_objects(doc, "videos", path.name), start=1):
            where = f"{path.name}: videos[{n - 1}]"
            length = int(number(str(video.get("length")), where=where, line=None, field="length",
                                integer=True, above=0))  # fmt: skip
            names = video.get("file_names") or []
            folder = str(PurePosixPath(names[0]).parent) if names else str(video.get("id"))
            if video.get("item_id") is not None or video.get("external_id") is not None:
                key = item_key(video.get("external_id"), video.get("item_id"))
            else:
                key = folder
            tracks = [self._track(path.name, i, ann, cats, length)
                      for i, ann in by_video.pop(video.get("id"), [])]  # fmt: skip
            data: dict[str, Any] = {"video": video.get("video") or folder, "frames": length}
            for k in ("width", "height"):
                if isinstance(video.get(k), int) and video[k] > 0:
                    data[k] = video[k]
            row = ImportRow(line=n, data=data, external_id=key)
            attach(row, {self.ctrl.name: tracks}, target=self.target)
            yield row
        for vid, anns in by_video.items():
            i = anns[0][0]
            raise InvalidInput(f"{path.name}: annotations[{i}].video_id {vid!r} is no video's id",
                               field=f"annotations[{i}].video_id")  # fmt: skip

    def _track(
        self, file: str, i: int, ann: dict[str, Any], cats: dict[Any, str], length: int
    ) -> dict[str, Any]:
        where = f"annotations[{i}]"
        if ann.get("category_id") not in cats:
            raise InvalidInput(f"{file}: {where}.category_id {ann.get('category_id')!r} is no "
                               "category's id", field=f"{where}.category_id")  # fmt: skip
        boxes = _list(ann, "bboxes", f"{file}: {where}")
        if len(boxes) != length:
            raise InvalidInput(f"{file}: {where}.bboxes has {len(boxes)} entries for a video of "
                               f"{length} frames", field=f"{where}.bboxes")  # fmt: skip
        frames, rows = [], []
        for f, box in enumerate(boxes):
            if box is None:
                continue
            if not (isinstance(box, list) and len(box) == 4):
                raise InvalidInput(f"{file}: {where}.bboxes[{f}] must be [x, y, w, h] or null",
                                   field=f"{where}.bboxes[{f}]")  # fmt: skip
            at = f"{file}: {where}.bboxes[{f}]"
            x, y = (number(str(v), where=at, line=None, field="x, y") for v in box[:2])
            w, h = (number(str(v), where=at, line=None, field="w, h", above=0) for v in box[2:])
            frames.append(f)
            rows.append([x, y, w, h])
        if not frames:
            raise InvalidInput(f"{file}: {where} has no box on any frame", field=f"{where}.bboxes")
        track_id = ann.get("track_id", ann.get("id", i + 1))
        return {
            "track_id": track_id,
            "label": cats[ann["category_id"]],
            "keyframes": keyframes(frames, np.array(rows), [False] * len(frames), length),
        }


@register_exporter("youtube_vis")
def _youtube_vis_exporter(**options: Any) -> YoutubeVisExporter:
    return YoutubeVisExporter(**options)


@register_importer("youtube_vis")
def _youtube_vis_importer() -> YoutubeVisImporter:
    return YoutubeVisImporter()
