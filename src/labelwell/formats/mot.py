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
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from labelwell.errors import InvalidInput
from labelwell.formats._ontology import Control, first_control
from labelwell.formats._select import chosen_labels
from labelwell.formats._sink import FolderExporter, Sink
from labelwell.formats.registry import ExportRecord, register_exporter
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


@register_exporter("mot")
def _mot_exporter() -> MotExporter:
    return MotExporter()
