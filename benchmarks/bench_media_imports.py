"""Import speed of the media label formats, beside the ecosystem's own readers
of the same files (which only parse: labelwell's importers also check labels
and turn boxes back into keyframes).

* ``mot``: ``--sequences`` MOT17-sized sequences (``--frames`` frames, ``--ids``
  tracks each, every track moving with noise, in 1 to 3 stretches), exported by
  labelwell, read by the ``mot`` importer; peer ``motmetrics.io.loadtxt``.
* ``kitti``: ``--scans`` single-frame items with ``--objects`` cuboids each
  (KITTI's training set has 7,481 scans), a calibration each; no peer (the
  devkit's reader is MATLAB/C++).
* ``rttm``: ``--files`` recordings of ``--turns`` speaker turns; peer
  ``pyannote.database.util.load_rttm``.
* ``webvtt``: the same turns with transcripts, one file per recording; peer
  ``webvtt.read`` on every file.

Run: ``.venv/bin/python benchmarks/bench_media_imports.py [--json out.json]``
(defaults are full size; pass smaller numbers on a shared machine).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from labelwell.formats.registry import EXPORTERS, IMPORTERS, ExportRecord, LabelRecord, Provenance
from labelwell.schema import Ontology

PROV = Provenance("human", "ann@example.org")
CLIPS = Ontology.from_dict(
    {
        "name": "c",
        "controls": [
            {"name": "tracks", "type": "video_track", "labels": ["pedestrian", "car", "bicycle"]}
        ],
    }
)
TALK = Ontology.from_dict(
    {
        "name": "t",
        "controls": [
            {"name": "turns", "type": "time_region", "source": "audio", "labels": ["speech"]}
        ],
    }
)
LIDAR = Ontology.from_dict(
    {
        "name": "l",
        "controls": [
            {"name": "cuboids", "type": "cuboid", "labels": ["Car", "Pedestrian", "Cyclist"]}
        ],
    }
)
TR = [
    7.533745e-03,
    -9.999714e-01,
    -6.166020e-04,
    -4.069766e-03,
    1.480249e-02,
    7.280733e-04,
    -9.998902e-01,
    -7.631618e-02,
    9.998621e-01,
    7.523790e-03,
    1.480755e-02,
    -2.717806e-01,
]


def record(i: int, data: dict[str, Any], result: dict[str, Any], key: str) -> ExportRecord:
    label = LabelRecord(id=i, result=result, provenance=PROV)
    return ExportRecord(i, key, data, [], "done", annotations=[label])


def mot_records(rng: np.random.Generator, sequences: int, frames: int, ids: int) -> list:
    out = []
    for s in range(1, sequences + 1):
        tracks = []
        for t in range(ids):
            kfs = []
            start = int(rng.integers(0, frames // 2))
            for _stretch in range(int(rng.integers(1, 4))):
                stop = min(frames, start + int(rng.integers(20, frames // 2)))
                pos = rng.uniform(0, 1800, 2)
                for f in range(start, stop):  # a keyframe every frame: a tracker's noisy boxes
                    pos += rng.normal(0, 1.5, 2)
                    kfs.append(
                        {
                            "frame": f,
                            "x": round(float(pos[0]), 2),
                            "y": round(float(pos[1]), 2),
                            "width": 40.0,
                            "height": 90.0,
                        }
                    )
                if stop >= frames:
                    break
                kfs.append({**kfs[-1], "frame": stop, "outside": True})
                start = stop + int(rng.integers(5, 30))
                if start >= frames:
                    break
            tracks.append({"track_id": t + 1, "label": "pedestrian", "keyframes": kfs})
        data = {
            "video": f"MOT17-{s:02d}.mp4",
            "frames": frames,
            "fps": 30,
            "width": 1920,
            "height": 1080,
        }
        out.append(record(s, data, {"tracks": tracks}, f"MOT17-{s:02d}"))
    return out


def kitti_records(rng: np.random.Generator, scans: int, objects: int) -> list:
    out = []
    for i in range(1, scans + 1):
        cuboids = [
            {
                "id": f"o{j}",
                "label": ["Car", "Pedestrian", "Cyclist"][j % 3],
                "center": [float(v) for v in rng.uniform([5, -20, -1.5], [60, 20, -0.5])],
                "dimensions": [4.0, 1.7, 1.5],
                "rotation": [float(rng.uniform(-3, 3)), 0, 0],
            }
            for j in range(objects)
        ]
        data = {"pointcloud": f"velodyne/{i:06d}.bin", "calib": {"Tr_velo_to_cam": TR}}
        out.append(record(i, data, {"cuboids": cuboids}, f"{i:06d}"))
    return out


def talk_records(rng: np.random.Generator, files: int, turns: int) -> list:
    out = []
    for i in range(1, files + 1):
        t, regions = 0.0, []
        for j in range(turns):
            t += float(rng.uniform(0.1, 2.0))
            end = t + float(rng.uniform(0.5, 8.0))
            regions.append(
                {
                    "id": f"r{j}",
                    "label": "speech",
                    "start": round(t, 3),
                    "end": round(end, 3),
                    "speaker": f"spk{j % 4}",
                    "text": f"turn {j} of recording {i}",
                }
            )
            t = end
        out.append(record(i, {"audio": f"rec{i}.wav"}, {"turns": regions}, f"rec{i:04d}"))
    return out


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def run_case(fmt: str, ontology: Ontology, records: list, tmp: Path) -> dict[str, Any]:
    out = io.BytesIO()
    EXPORTERS[fmt]().write(records, out, ontology)
    path = tmp / f"{fmt}.{EXPORTERS[fmt]().extension}"
    path.write_bytes(out.getvalue())
    importer = IMPORTERS[fmt]()
    importer.ontology = ontology
    seconds, rows = timed(lambda: list(importer.read(path)))
    labels = sum(len(next(iter(r.annotations[0]["result"].values()))) for r in rows)
    return {
        "format": fmt,
        "items": len(rows),
        "regions": labels,
        "bytes": path.stat().st_size,
        "import_s": round(seconds, 3),
        "path": str(path),
    }


def peer(fmt: str, path: Path, tmp: Path) -> float | None:
    if fmt == "mot":
        import motmetrics as mm

        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.endswith("gt/gt.txt")]
            zf.extractall(tmp / "mot")
        return timed(lambda: [mm.io.loadtxt(str(tmp / "mot" / n), fmt="mot16") for n in names])[0]
    if fmt == "rttm":
        from pyannote.database.util import load_rttm

        return timed(lambda: load_rttm(str(path)))[0]
    if fmt == "webvtt":
        import webvtt

        with zipfile.ZipFile(path) as zf:
            zf.extractall(tmp / "vtt")
        files = sorted((tmp / "vtt").glob("*.vtt"))
        return timed(lambda: [webvtt.read(str(f)).captions for f in files])[0]
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sequences", type=int, default=7)
    ap.add_argument("--frames", type=int, default=1050)
    ap.add_argument("--ids", type=int, default=80)
    ap.add_argument("--scans", type=int, default=7481)
    ap.add_argument("--objects", type=int, default=8)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--turns", type=int, default=1000)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        cases = [
            ("mot", CLIPS, mot_records(rng, args.sequences, args.frames, args.ids)),
            ("kitti", LIDAR, kitti_records(rng, args.scans, args.objects)),
            ("rttm", TALK, talk_records(rng, args.files, args.turns)),
            ("webvtt", TALK, talk_records(rng, args.files, args.turns)),
        ]
        for fmt, ontology, records in cases:
            row = run_case(fmt, ontology, records, tmp)
            row["peer_s"] = peer(fmt, Path(row.pop("path")), tmp)
            rows.append(row)
            print(json.dumps(row), flush=True)
    result = {"load": os.getloadavg(), "python": sys.version.split()[0], "cases": rows}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
