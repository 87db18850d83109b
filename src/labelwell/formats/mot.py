"""MOTChallenge ground truth (Milan, Leal-Taixé, Reid, Roth & Schindler 2016,
"MOT16: A benchmark for multi-object tracking", arXiv:1603.00831, sec. 3.3):
one folder per video, ``<seq>/gt/gt.txt`` with a line per box and frame
``frame,id,bb_left,bb_top,bb_width,bb_height,conf,class,visibility`` (frames
and pixel coordinates 1-based, so ``bb_left = x + 1``; ``conf`` 1 = the box
counts, ``class`` the label's 1-based index in the control) and
``<seq>/seqinfo.ini`` (name, frame rate, length, size).

A track's box on every frame it is present comes from its keyframes by
:func:`labelwell.media.video.interpolate`; ``outside`` stretches are left out,
``occluded`` boxes get visibility 0.5 (labelwell knows only a flag, not the
visible fraction). Track ids are renumbered 1, 2, ... per video (MOT ids are
integers); ``labelwell_tracks.json`` in each folder maps them back and lists the
labels. ``motmetrics.io.loadtxt(..., fmt="mot16")`` reads the files.

The importer reads ``<seq>/gt/gt.txt`` or a tracker's ``<seq>/det/det.txt`` (a
zip, a folder, or one such file) with ``seqinfo.ini`` for the frame count, rate
and size (without it, the importer's ``frames`` if set, else the last frame in
the file ends the video). Each MOT id
becomes a ``video_track`` whose keyframes are the fewest that interpolate back to
its boxes (:func:`labelwell.formats._tracks.keyframes`); an id of -1 (a detection
with no identity) is a track of its own. In ground truth, ``conf`` 0 marks a box
to ignore, so it is skipped; visibility below 1 marks the box ``occluded``.
``class`` is the label's 1-based index (in the manifest's labels, else the
control's); -1 gives the ``label`` option or the control's first label. With
``labelwell_tracks.json`` the tracks get their ids, labels and annotators back
and the sequence its item's key (external id, else id); without it, the key is
the sequence's folder name.
"""

from __future__ import annotations

import configparser
import json
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from labelwell.errors import InvalidInput
from labelwell.formats._bundle import Bundle, item_key, number
from labelwell.formats._ontology import (
    Control,
    ControlImporter,
    check_label,
    default_label,
    first_control,
)
from labelwell.formats._select import attach, chosen_labels
from labelwell.formats._sink import FolderExporter, Sink
from labelwell.formats._tracks import keyframes
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    register_exporter,
    register_importer,
)
from labelwell.media.video import build_index, frames_needed, track_boxes

VIDEO_TYPES = ("video_track",)


def video_meta(rec: ExportRecord, tracks: list[dict[str, Any]]) -> dict[str, Any]:
    """Name, frame count, rate and size of an item's video: from its data, else
    from the local file when there is one, else from its tracks' keyframes."""
    ref = str(rec.data.get("video") or (rec.media[0] if rec.media else "") or rec.item_id)
    meta = {
        "name": f"{rec.item_id}_{PurePosixPath(ref.split('?', 1)[0]).stem}",
        "video": ref,
        "frames": rec.data.get("frames"),
        "fps": rec.data.get("fps"),
        "width": rec.data.get("width"),
        "height": rec.data.get("height"),
    }
    path = Path(ref)
    if None in (meta["frames"], meta["fps"], meta["width"]) and path.is_file():
        index = build_index(path)
        meta["frames"] = meta["frames"] or index.frames
        meta["fps"] = meta["fps"] or index.fps
        meta["width"] = meta["width"] or index.width
        meta["height"] = meta["height"] or index.height
    meta["frames"] = meta["frames"] or frames_needed(tracks, rec.data)
    return meta


def item_tracks(rec: ExportRecord, ctrl: Control, labels: str) -> list[dict[str, Any]]:
    """The tracks of ``ctrl`` an export writes for one item; with several label
    sets (``labels="raw"``) each annotator's track ids are kept apart."""
    picked = chosen_labels(rec, labels)
    out: list[dict[str, Any]] = []
    for k, chosen in enumerate(picked):
        for track in chosen.result.get(ctrl.name) or []:
            if track["label"] not in ctrl.labels:
                raise InvalidInput(
                    f"item {rec.item_id}: label {track['label']!r} is not in {ctrl.name}",
                    field=f"{ctrl.name}.label",
                )
            key = track["track_id"] if len(picked) == 1 else f"{k}:{track['track_id']}"
            out.append({**track, "source_id": key, "annotator": chosen.annotator})
    return out


def mot_lines(tracks: list[dict[str, Any]], frames: int, classes: dict[str, int]) -> bytes:
    """``gt.txt`` for one video; tracks numbered 1, 2, ... in the order given."""
    ids = {id(t): n + 1 for n, t in enumerate(tracks)}
    lines = []
    for frame, track, row in track_boxes(tracks, frames):
        x, y, w, h = (float(v) for v in row[:4])
        x, y = x + 1, y + 1  # MOT counts pixels from 1
        visibility = 0.5 if row[5] else 1.0
        lines.append(
            f"{frame + 1},{ids[id(track)]},{x:.2f},{y:.2f},{w:.2f},{h:.2f},1,"
            f"{classes[track['label']] + 1},{visibility}\n"
        )
    return "".join(lines).encode()


class MotExporter(FolderExporter):
    name = "mot"
    needs = VIDEO_TYPES

    def _export(self, records: Iterable[ExportRecord], sink: Sink, ontology: Any) -> int:
        ctrl = first_control(ontology, VIDEO_TYPES, self.control)
        classes = ctrl.label_index()
        n = 0
        for rec in records:
            tracks = item_tracks(rec, ctrl, self.labels)
            meta = video_meta(rec, tracks)
            seq = meta["name"]
            sink.write(f"{seq}/gt/gt.txt", mot_lines(tracks, int(meta["frames"]), classes))
            ini = [
                "[Sequence]",
                f"name={seq}",
                "imDir=img1",
                f"frameRate={meta['fps'] or 25}",
                f"seqLength={meta['frames']}",
                f"imWidth={meta['width'] or 0}",
                f"imHeight={meta['height'] or 0}",
                "imExt=.jpg",
            ]
            sink.write(f"{seq}/seqinfo.ini", ("\n".join(ini) + "\n").encode())
            manifest = {
                "item_id": rec.item_id,
                "external_id": rec.external_id,
                "video": meta["video"],
                "labels": list(ctrl.labels),
                "tracks": [
                    {
                        "mot_id": i + 1,
                        "track_id": t["source_id"],
                        "label": t["label"],
                        "annotator": t["annotator"],
                    }
                    for i, t in enumerate(tracks)
                ],
            }
            sink.write(f"{seq}/labelwell_tracks.json", json.dumps(manifest).encode())
            n += 1
        return n


def _seqinfo(text: str, where: str) -> dict[str, Any]:
    parser = configparser.ConfigParser()
    try:
        parser.read_string(text)
        seq = parser["Sequence"]
    except (configparser.Error, KeyError):
        raise InvalidInput(f"{where}: not a seqinfo.ini with a [Sequence] section",
                           field="Sequence") from None  # fmt: skip
    out: dict[str, Any] = {}
    keys = (("frames", "seqLength", True), ("fps", "frameRate", False),
            ("width", "imWidth", True), ("height", "imHeight", True))  # fmt: skip
    for key, name, integer in keys:
        if name.lower() in seq:
            value = number(seq[name.lower()], where=where, line=None, field=name, minimum=0,
                           integer=integer)  # fmt: skip
            if value > 0:
                out[key] = int(value) if integer else value
    return out


def _manifest(text: str, where: str) -> dict[str, Any]:
    """``labelwell_tracks.json``: the item, its labels, and each MOT id's track."""
    try:
        doc = json.loads(text)
        tracks = {int(t["mot_id"]): t for t in doc.get("tracks", [])}
        if not isinstance(doc.get("labels", []), list):
            raise TypeError
    except (ValueError, TypeError, KeyError, AttributeError):
        raise InvalidInput(
            f"{where}: not a labelwell track list (an object with labels and tracks of "
            "mot_id, track_id, label)",
            field="tracks",
        ) from None
    return {**doc, "tracks": tracks}


class MotImporter(ControlImporter):
    """Reads MOTChallenge ``gt.txt`` / ``det.txt`` into ``video_track`` results."""

    name = "mot"
    types = VIDEO_TYPES
    #: the frame count of a sequence without seqinfo.ini (else its last frame ends it)
    frames: int | None = None
    default_name, default_source = "tracks", "video"

    def read_bundle(self, bundle: Bundle) -> Iterator[ImportRow]:
        files = [n for n in bundle.names if n.endswith(("gt/gt.txt", "det/det.txt"))]
        if not files:
            files = bundle.ending(".txt")
        for n, name in enumerate(files, start=1):
            seq = PurePosixPath(name).parent.parent
            if name.endswith(("gt/gt.txt", "det/det.txt")) and str(seq) != ".":
                key = seq.name
            else:
                key, seq = PurePosixPath(name).stem, PurePosixPath(name).parent
            at = (seq / "seqinfo.ini").as_posix().removeprefix("./")
            info = _seqinfo(bundle.text(at), at) if at in bundle.names else {}
            at = (seq / "labelwell_tracks.json").as_posix().removeprefix("./")
            manifest = _manifest(bundle.text(at), at) if at in bundle.names else None
            yield from self._rows(n, name, bundle.text(name), key, info, manifest)

    def _label(self, cls: int, labels: list[str], where: str, line: int) -> str:
        if cls < 0:
            return default_label(self.ctrl, self.label, where=where, line=line, field="class")
        if not 1 <= cls <= len(labels):
            raise InvalidInput(f"{where} line {line}: class {cls} is not a label's index "
                               f"(1 to {len(labels)})", line=line, field="class")  # fmt: skip
        return check_label(self.ctrl, labels[cls - 1], line=line, field="class", file=where)

    def _rows(
        self,
        n: int,
        where: str,
        text: str,
        key: str,
        info: dict[str, Any],
        manifest: dict[str, Any] | None,
    ) -> Iterator[ImportRow]:
        labels = list((manifest or {}).get("labels") or self.ctrl.labels)
        limit = int(info.get("frames") or self.frames or 0)
        ground_truth = where.endswith("gt.txt")
        boxes: dict[Any, dict[int, tuple[list[float], bool]]] = {}
        label_of: dict[Any, str] = {}
        for line, raw in enumerate(text.splitlines(), start=1):
            fields = [f.strip() for f in raw.split(",")]
            if not raw.strip():
                continue
            if len(fields) < 6:
                raise InvalidInput(f"{where} line {line}: a MOT line has at least 6 fields "
                                   f"(frame,id,x,y,w,h), got {len(fields)}", line=line,
                                   field="fields")  # fmt: skip

            def value(i: int, name: str, _f: list[str] = fields, _n: int = line,
                      **bounds: Any) -> float:  # fmt: skip
                return number(_f[i], where=where, line=_n, field=name, **bounds)

            frame = int(value(0, "frame", integer=True, minimum=1)) - 1
            if limit and frame >= limit:
                raise InvalidInput(f"{where} line {line}: frame {frame + 1} is past the "
                                   f"sequence's {limit} frames", line=line,
                                   field="frame")  # fmt: skip
            mot_id = int(value(1, "id", integer=True))
            box = [value(2, "bb_left") - 1, value(3, "bb_top") - 1,
                   value(4, "bb_width", above=0), value(5, "bb_height", above=0)]  # fmt: skip
            if len(fields) > 6 and ground_truth and value(6, "conf") == 0:
                continue
            cls = int(value(7, "class", integer=True)) if len(fields) > 7 else -1
            visible = value(8, "visibility") if len(fields) > 8 else 1.0
            track = mot_id if mot_id >= 0 else f"det:{line}"
            label = self._label(cls, labels, where, line)
            if label_of.setdefault(track, label) != label:
                raise InvalidInput(f"{where} line {line}: id {mot_id} had label "
                                   f"{label_of[track]!r} before", line=line,
                                   field="class")  # fmt: skip
            per_frame = boxes.setdefault(track, {})
            if frame in per_frame:
                raise InvalidInput(f"{where} line {line}: id {mot_id} has a second box on frame "
                                   f"{frame + 1}", line=line, field="frame")  # fmt: skip
            per_frame[frame] = (box, 0 <= visible < 1)
        total = limit or max((f + 1 for t in boxes.values() for f in t), default=0)
        known: dict[Any, dict[str, Any]] = (manifest or {}).get("tracks", {})
        by_annotator: dict[str | None, list[dict[str, Any]]] = {}
        for track, per_frame in boxes.items():
            frames = sorted(per_frame)
            rows = np.array([per_frame[f][0] for f in frames], dtype=float)
            flags = [per_frame[f][1] for f in frames]
            origin = known.get(track, {})
            label = origin.get("label", label_of[track])
            if origin:
                check_label(self.ctrl, label, line=None, field="label", file=where)
            by_annotator.setdefault(origin.get("annotator"), []).append({
                "track_id": origin.get("track_id", track),
                "label": label,
                "keyframes": keyframes(frames, rows, flags, total),
            })  # fmt: skip
        data: dict[str, Any] = {"video": (manifest or {}).get("video") or key, **info}
        data.setdefault("frames", total)
        if manifest:
            key = item_key(manifest.get("external_id"), manifest.get("item_id"))
        for annotator, tracks in by_annotator.items() or {None: []}.items():
            row = ImportRow(line=n, data=data, external_id=key)
            attach(row, {self.ctrl.name: tracks}, target=self.target, annotator=annotator)
            yield row


@register_exporter("mot")
def _mot_exporter() -> MotExporter:
    return MotExporter()


@register_importer("mot")
def _mot_importer() -> MotImporter:
    return MotImporter()
