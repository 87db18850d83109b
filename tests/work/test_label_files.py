"""MOTChallenge, YouTube-VIS, RTTM, WebVTT, SRT and KITTI files back onto the items they were
exported from, on SQLite and PostgreSQL: export a project's labels, attach the
file as predictions, export those predictions again: the same files. A file
naming an unknown item or holding a bad line stores nothing."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from formats.test_kitti import CAR, WALKER
from formats.test_time_regions import TURNS
from formats.test_video_formats import TRACKS
from labelwell.errors import InvalidInput
from labelwell.formats.registry import EXPORTERS, ImportRow
from labelwell.store.tables import Item, Prediction
from labelwell.work import accounts, imports, items, label_files, projects
from labelwell.work.actors import Actor
from labelwell.work.export import iter_records

TALK = {"name": "talk", "controls": [{"name": "turns", "type": "time_region", "source": "audio",
                                      "labels": ["speech", "music"]}]}  # fmt: skip
CLIPS = {"name": "clips", "controls": [{"name": "tracks", "type": "video_track",
                                        "labels": ["car", "person"]}]}  # fmt: skip
SEEN = [{"name": "occluded", "type": "number"}, {"name": "truncated", "type": "number"}]
LIDAR = {"name": "lidar", "controls": [{"name": "cuboids", "type": "cuboid", "labels": [
    "Car", {"name": "Pedestrian", "attributes": SEEN}]}]}  # fmt: skip
# KITTI's 0000 calibration (training/calib/000000.txt), rounded
TR = [7.533745e-03, -9.999714e-01, -6.166020e-04, -4.069766e-03,
      1.480249e-02, 7.280733e-04, -9.998902e-01, -7.631618e-02,
      9.998621e-01, 7.523790e-03, 1.480755e-02, -2.717806e-01]  # fmt: skip
VIDEO = {"video": "clips/street.mp4", "frames": 10, "fps": 25, "width": 320, "height": 240}

CASES = {
    "rttm": (TALK, [("call-1", {"audio": "a.wav"}, {"turns": TURNS}),
                    (None, {"audio": "b.wav"}, {"turns": TURNS[2:3]})]),
    "webvtt": (TALK, [("call-1", {"audio": "a.wav"}, {"turns": TURNS}),
                      (None, {"audio": "b.wav"}, {"turns": TURNS[3:]})]),
    "srt": (TALK, [("call-1", {"audio": "a.wav"}, {"turns": TURNS})]),
    "mot": (CLIPS, [("clip-7", VIDEO, {"tracks": TRACKS}),
                    (None, VIDEO | {"video": "b.mp4"}, {"tracks": TRACKS[1:]})]),
    "youtube_vis": (CLIPS, [("clip-7", VIDEO, {"tracks": TRACKS}),
                            (None, VIDEO | {"video": "b.mp4"}, {"tracks": TRACKS[1:]})]),
    "kitti": (LIDAR, [("scan-1", {"pointcloud": "a.pcd"}, {"cuboids": [CAR, WALKER]}),
                      (None, {"pointcloud": ["0.bin", "1.bin", "2.bin"],
                              "calib": {"Tr_velo_to_cam": TR}},
                       {"cuboids": [CAR | {"frame": 0}, WALKER | {"frame": 2}]})]),
}  # fmt: skip


def _project(db, ontology, rows):
    with db.session() as s:
        manager = Actor.of(accounts.create_user(s, "m@example.org", role="manager"))
        project = projects.create_project(s, manager, "p", ontology)
        items.import_rows(s, manager, project.id, [
            ImportRow(line=i + 1, data=data, external_id=key,
                      annotations=[{"result": result, "annotator": "ann@example.org"}])
            for i, (key, data, result) in enumerate(rows)
        ], filename="seed.jsonl")  # fmt: skip
    return manager, project.id


def _export(db, project_id, fmt, ontology, *, predictions_of: str | None = None) -> bytes:
    out = io.BytesIO()
    with db.read_session() as s:
        records = iter_records(s, project_id)
        if predictions_of is not None:  # the attached predictions, exported as the labels
            records = (
                replace(r, annotations=[p for p in r.predictions
                                        if p.provenance.agent.startswith(predictions_of)])
                for r in records
            )  # fmt: skip
            records = list(records)
        EXPORTERS[fmt]().write(records, out, ontology)
    return out.getvalue()


def _files(payload: bytes) -> dict[str, object]:
    """A zip's files; in the manifests, who made the labels (the annotator, then
    the model the predictions were stored as) is left out."""
    if payload.startswith(b"{"):  # YouTube-VIS
        doc = json.loads(payload)
        doc["annotations"] = [{k: v for k, v in a.items() if k != "annotator"}
                              for a in doc["annotations"]]  # fmt: skip
        return {"": doc}
    if not zipfile.is_zipfile(io.BytesIO(payload)):
        return {"": payload.decode()}
    zf = zipfile.ZipFile(io.BytesIO(payload))
    out: dict[str, object] = {}
    for name in zf.namelist():
        text = zf.read(name).decode()
        if name.endswith(".jsonl"):
            rows = [json.loads(x) for x in text.splitlines()]
            out[name] = [{k: v for k, v in r.items() if k not in ("annotator", "source")}
                         for r in rows]  # fmt: skip
        elif name.endswith(".json"):
            doc = json.loads(text)
            doc["tracks"] = [{k: v for k, v in t.items() if k != "annotator"}
                             for t in doc["tracks"]]  # fmt: skip
            out[name] = doc
        else:
            out[name] = text
    return out


def _words(payload: bytes) -> bytes:
    """A KITTI zip with each label line's numbers left out."""
    zin, buf = zipfile.ZipFile(io.BytesIO(payload)), io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for name in zin.namelist():
            text = zin.read(name).decode()
            if name.startswith("label_2/"):
                text = "\n".join(line.split(" ")[0] for line in text.splitlines())
            zout.writestr(name, text)
    return buf.getvalue()


def _numbers(payload: bytes) -> list[float]:
    zf = zipfile.ZipFile(io.BytesIO(payload))
    lines = [
        line
        for name in sorted(zf.namelist())
        if name.startswith("label_2/")
        for line in zf.read(name).decode().splitlines()
    ]
    return [float(v) for line in lines for v in line.split(" ")[1:]]


def _exported(db, tmp_path: Path, fmt: str):
    """A project of ``CASES[fmt]`` and its export in ``fmt``, also written to a
    file: ``(manager, project id, exported bytes, path)``."""
    ontology, rows = CASES[fmt]
    manager, pid = _project(db, ontology, rows)
    first = _export(db, pid, fmt, ontology)
    path = tmp_path / f"export.{EXPORTERS[fmt]().extension}"
    path.write_bytes(first)
    return manager, pid, first, path


@pytest.mark.parametrize("fmt", sorted(CASES))
def test_export_attach_export_is_the_same(db, tmp_path: Path, fmt: str, monkeypatch):
    monkeypatch.setattr(label_files, "KEYS_PER_QUERY", 1)  # a query per key: chunks join up
    ontology, rows = CASES[fmt]
    manager, pid, first, path = _exported(db, tmp_path, fmt)
    with db.session() as s:
        n = label_files.attach_file(s, manager, pid, path, fmt=fmt, model_name="roundtrip")
    assert n == len(rows)
    again = _export(db, pid, fmt, ontology, predictions_of="roundtrip")
    if fmt == "kitti":  # six significant digits: alpha, derived from x and z, moves in the 6th
        assert _numbers(again) == pytest.approx(_numbers(first), rel=1e-5, abs=1e-6)
        assert _files(_words(again)) == _files(_words(first))
    else:
        assert _files(again) == _files(first)
    assert len(_files(first)) >= 1 and any(v for v in _files(first).values())


def test_unknown_items_and_bad_lines_store_nothing(db, tmp_path: Path):
    manager, pid = _project(db, TALK, CASES["rttm"][1])
    good = "SPEAKER call-1 1 0.500 2.000 <NA> <NA> Ann <NA> <NA>\n"
    bad_key = tmp_path / "unknown.rttm"
    bad_key.write_text(good + "SPEAKER nobody 1 0.5 1.0 <NA> <NA> Ann <NA> <NA>\n")
    with db.session() as s, pytest.raises(InvalidInput, match="'nobody'") as err:
        label_files.attach_file(s, manager, pid, bad_key, model_name="m")
    assert err.value.details == {"line": 2, "field": "external_id"}
    bad_time = tmp_path / "time.rttm"
    bad_time.write_text(good + "SPEAKER call-1 1 zero 1.0 <NA> <NA> Ann <NA> <NA>\n")
    with db.session() as s, pytest.raises(InvalidInput, match="line 2: onset") as err:
        label_files.attach_file(s, manager, pid, bad_time, model_name="m")
    assert err.value.details == {"line": 2, "field": "onset"}
    past_end = tmp_path / "end.rttm"  # valid RTTM, but past the item's duration
    with db.session() as s:
        item = s.scalars(select(Item).where(Item.external_id == "call-1")).one()
        item.data = {"audio": "a.wav", "duration": 5.0}
    past_end.write_text(good + "SPEAKER call-1 1 4.0 3.0 <NA> <NA> Ann <NA> <NA>\n")
    with db.session() as s, pytest.raises(InvalidInput, match="past the end") as err:
        label_files.attach_file(s, manager, pid, past_end, model_name="m")
    assert err.value.details["line"] == 1
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Prediction)) == 0


def test_files_without_media_cannot_create_items(db, tmp_path: Path):
    manager, pid = _project(db, TALK, CASES["rttm"][1])
    path = tmp_path / "call-1.vtt"  # the extension reads as webvtt, the name is the key
    path.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n")
    with pytest.raises(InvalidInput, match="--predictions-of") as err:
        imports.import_file(db, manager, pid, path)
    assert err.value.details == {"field": "format"}
    with db.session() as s:
        assert label_files.attach_file(s, manager, pid, path, model_name="m") == 1


@pytest.mark.parametrize("fmt", ["mot", "youtube_vis"])
def test_video_files_can_create_items_too(db, tmp_path: Path, fmt: str):
    """MOTChallenge and YouTube-VIS files name their videos, so an import can
    make items of them (as CVAT's can): exported again, the same boxes."""
    ontology, rows = CASES[fmt]
    manager, pid, first, path = _exported(db, tmp_path, fmt)
    with db.session() as s:
        other = projects.create_project(s, manager, "copy", ontology).id
    record = imports.import_file(db, manager, other, path, fmt=fmt)
    assert record.n_items == len(rows)
    again = _export(db, other, fmt, ontology)
    if fmt == "mot":  # folders are named by item id, which the new items do not share
        boxes = sorted(v for k, v in _files(first).items() if k.endswith("gt.txt"))
        assert sorted(v for k, v in _files(again).items() if k.endswith("gt.txt")) == boxes
    else:
        old, new = json.loads(first), json.loads(again)
        assert [a["bboxes"] for a in new["annotations"]] == [
            a["bboxes"] for a in old["annotations"]
        ]
        assert [v["external_id"] for v in new["videos"]] == ["clip-7", str(old["videos"][1]["id"])]
