"""The MOTChallenge, RTTM, WebVTT, SRT and KITTI importers on files the
ecosystem's own tools wrote (pyannote.core, webvtt-py, srt; motmetrics reads the
same MOT file), and on bad files: the error names the file's line and field."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import motmetrics as mm
import numpy as np
import pytest
import srt as srt_lib
import webvtt
from pyannote.core import Annotation, Segment

from formats.test_kitti import ONTOLOGY as LIDAR
from formats.test_time_regions import ONTOLOGY as TALK
from formats.test_video_formats import ONTOLOGY as CLIPS
from labelwell.errors import InvalidInput
from labelwell.formats.registry import IMPORTERS
from labelwell.media.video import interpolate


def read(fmt: str, path: Path, ontology, **options):
    importer = IMPORTERS[fmt]()
    for k, v in options.items():
        setattr(importer, k, v)
    importer.ontology = ontology
    return importer, list(importer.read(path))


def fails(fmt: str, path: Path, ontology, line: int | None, field: str, match: str) -> None:
    with pytest.raises(InvalidInput, match=match) as err:
        read(fmt, path, ontology)
    assert err.value.details.get("line") == line and err.value.details["field"] == field


def test_rttm_written_by_pyannote(tmp_path):
    talk = Annotation(uri="rec1")
    talk[Segment(1.0, 2.5)] = "alice"
    talk[Segment(3.0, 4.0)] = "music"
    talk[Segment(4.0, 7.25)] = "bob"
    path = tmp_path / "talk.rttm"
    with path.open("w") as fh:
        fh.write(
            ";; written by pyannote.core\nSPKR-INFO rec1 1 <NA> <NA> <NA> unknown alice <NA>\n"
        )
        talk.write_rttm(fh)
    importer, (row,) = read("rttm", path, TALK)
    assert row.external_id == "rec1" and row.line == 3
    regions = row.annotations[0]["result"]["turns"]
    assert [(r["start"], r["end"], r["label"], r.get("speaker")) for r in regions] == [
        (1.0, 2.5, "speech", "alice"),
        (3.0, 4.0, "music", None),  # a speaker named like a label is that label
        (4.0, 7.25, "speech", "bob"),
    ]
    TALK.validate(row.annotations[0]["result"], {"audio": "a.wav"})
    assert importer.warnings == ["1 lines of other types than SPEAKER were skipped"]
    _, (row,) = read("rttm", path, TALK, label="music")
    assert {r["label"] for r in row.annotations[0]["result"]["turns"]} == {"music"}


@pytest.mark.parametrize(
    ("line", "field", "match"),
    [
        ("SPEAKER a 1 0.5 1.0 <NA> <NA>", "fields", "10 fields, got 7"),
        ("SPEAKER a 1 -1 1.0 <NA> <NA> x <NA> <NA>", "onset", "onset must be >= 0"),
        ("SPEAKER a 1 1 0 <NA> <NA> x <NA> <NA>", "duration", "duration must be > 0"),
        ("SPEAKER a 1 1 nan <NA> <NA> x <NA> <NA>", "duration", "must be a number"),
    ],
)
def test_rttm_bad_lines(tmp_path, line, field, match):
    path = tmp_path / "bad.rttm"
    path.write_text("SPEAKER a 1 0.0 1.0 <NA> <NA> x <NA> <NA>\n" + line + "\n")
    fails("rttm", path, TALK, 2, field, rf"bad.rttm line 2: .*{match}")


def test_webvtt_written_by_webvtt_py(tmp_path):
    vtt = webvtt.WebVTT()
    vtt.captions.append(webvtt.Caption("00:00:01.000", "00:00:02.500", "<v Ann>Hi &amp; bye"))
    vtt.captions.append(webvtt.Caption("00:01:02.250", "00:01:03.000", "two\nlines"))
    text = vtt.content.replace("WEBVTT\n\n", "WEBVTT\n\nNOTE made by a\ntest\n\nintro\n", 1)
    text = text.replace("00:01:03.000", "01:03.000 align:start")  # no hours, a cue setting
    path = tmp_path / "talk.vtt"
    path.write_text(text)
    _, (row,) = read("webvtt", path, TALK)
    assert row.external_id == "talk"
    assert row.annotations[0]["result"]["turns"] == [
        {"id": "c1", "label": "speech", "start": 1.0, "end": 2.5, "text": "Hi & bye",
         "speaker": "Ann"},
        {"id": "c2", "label": "speech", "start": 62.25, "end": 63.0, "text": "two\nlines"},
    ]  # fmt: skip
    assert [c.text for c in webvtt.read(str(path)).captions] == ["Hi &amp; bye", "two\nlines"]


def test_srt_written_by_srt(tmp_path):
    subs = [
        srt_lib.Subtitle(1, dt.timedelta(seconds=1), dt.timedelta(seconds=2.5), "Ann: Hello"),
        srt_lib.Subtitle(2, dt.timedelta(hours=1, milliseconds=5), dt.timedelta(hours=1, seconds=2),
                         "an hour in\nstill"),
    ]  # fmt: skip
    path = tmp_path / "call.srt"
    path.write_text(srt_lib.compose(subs))
    _, (row,) = read("srt", path, TALK)
    got = row.annotations[0]["result"]["turns"]
    assert [(r["start"], r["end"], r["text"]) for r in got] == [
        (1.0, 2.5, "Ann: Hello"),  # SRT has no speaker field: the prefix stays text
        (3600.005, 3602.0, "an hour in\nstill"),
    ]


@pytest.mark.parametrize(
    ("fmt", "text", "line", "field", "match"),
    [
        ("webvtt", "00:00:01.000 --> 00:00:02.000\nhi\n", 1, "header", "starts with WEBVTT"),
        ("webvtt", "WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nhi\n", 3, "end", "a time like"),
        ("webvtt", "WEBVTT\n\n00:00:03.000 --> 00:00:02.000\nhi\n", 3, "end", "is not after"),
        ("webvtt", "WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nhi\n", 3, "timing", "start --> end"),
        ("srt", "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:61:00,000 --> 01:00:00,000\nx\n",
         6, "start", "61 minutes"),
    ],
)  # fmt: skip
def test_subtitle_bad_cues(tmp_path, fmt, text, line, field, match):
    path = tmp_path / f"bad.{'vtt' if fmt == 'webvtt' else 'srt'}"
    path.write_text(text)
    fails(fmt, path, TALK, line, field, match)


# A MOT17-style ground truth: ids 1 and 2, a box to ignore (conf 0), a partly
# visible box, id 1 gone on frames 4-5 and back on 6, class ids of the control.
GT = """\
1,1,11,21,30,40,1,1,1
2,1,13,21,30,40,1,1,1
3,1,15,21,30,40,1,1,0.4
4,1,99,99,5,5,0,1,1
6,1,40,25,30,40,1,1,1
2,2,101,11,20,50,1,2,1
3,2,101,11,20,50,1,2,1
"""
SEQINFO = "[Sequence]\nname=walk\nframeRate=30\nseqLength=8\nimWidth=640\nimHeight=480\n"


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")
def test_mot_ground_truth_reads_as_motmetrics_reads_it(tmp_path):
    (tmp_path / "walk" / "gt").mkdir(parents=True)
    (tmp_path / "walk" / "gt" / "gt.txt").write_text(GT)
    (tmp_path / "walk" / "seqinfo.ini").write_text(SEQINFO)
    _, (row,) = read("mot", tmp_path, CLIPS)
    assert row.external_id == "walk"
    assert row.data == {"video": "walk", "frames": 8, "fps": 30.0, "width": 640, "height": 480}
    tracks = row.annotations[0]["result"]["tracks"]
    CLIPS.validate({"tracks": tracks}, row.data)
    assert [(t["track_id"], t["label"]) for t in tracks] == [(1, "car"), (2, "person")]
    theirs = mm.io.loadtxt(str(tmp_path / "walk" / "gt" / "gt.txt"), fmt="mot16")
    theirs = theirs[theirs["Confidence"] != 0]
    for track in tracks:
        rows = interpolate(track["keyframes"], 8)
        present = np.flatnonzero(rows[:, 4])
        mine = theirs.xs(track["track_id"], level="Id").sort_index()
        assert [int(f) + 1 for f in present] == list(mine.index)
        # motmetrics counts pixels from 0, as labelwell does
        np.testing.assert_allclose(rows[present, :2], mine[["X", "Y"]].to_numpy())
        np.testing.assert_allclose(rows[present, 2:4], mine[["Width", "Height"]].to_numpy())
        np.testing.assert_array_equal(rows[present, 5], (mine["Visibility"] < 1).to_numpy())
    # frame 1 lies on the line from 0 to 2, so it is no keyframe; a gap starts with an
    # outside keyframe, and so does the end of a track before the end of the video
    assert [(k["frame"], bool(k.get("outside"))) for k in tracks[0]["keyframes"]] == [
        (0, False), (2, False), (3, True), (5, False), (6, True)]  # fmt: skip


def test_mot_zip_of_a_tracker_result_with_unlabelled_classes(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("run/seqA/det/det.txt", "1,5,1,1,10,10,0.9,-1,-1,-1\n1,-1,50,50,4,4,0.3\n")
    path = tmp_path / "run.zip"
    path.write_bytes(buf.getvalue())
    _, (row,) = read("mot", path, CLIPS, label="person")
    tracks = row.annotations[0]["result"]["tracks"]
    assert [(t["track_id"], t["label"], len(t["keyframes"])) for t in tracks] == [
        (5, "person", 1), ("det:2", "person", 1)]  # fmt: skip
    assert row.data == {"video": "seqA", "frames": 1}


@pytest.mark.parametrize(
    ("line", "field", "match"),
    [
        ("2,1,11,21,30,40,1,3,1", "class", "class 3 is not a label's index"),
        ("2,1,x,21,30,40,1,1,1", "bb_left", "bb_left must be a number"),
        ("2,1,11,21,-3,40,1,1,1", "bb_width", "bb_width must be > 0"),
        ("1,1,11,21,30,40,1,1,1", "frame", "id 1 has a second box on frame 1"),
        ("0,1,11,21,30,40,1,1,1", "frame", "frame must be >= 1"),
        ("2,1,11,21", "fields", "a MOT line has at least 6 fields"),
        ("2,1,11,21,30,40,1,2,1", "class", "id 1 had label 'car' before"),
    ],
)
def test_mot_bad_lines(tmp_path, line, field, match):
    path = tmp_path / "gt.txt"
    path.write_text("1,1,11,21,30,40,1,1,1\n" + line + "\n")
    fails("mot", path, CLIPS, 2, field, rf"gt.txt line 2: {match}")


def test_mot_frames_past_the_sequence(tmp_path):
    (tmp_path / "s" / "gt").mkdir(parents=True)
    (tmp_path / "s" / "gt" / "gt.txt").write_text("9,1,1,1,5,5,1,1,1\n")
    (tmp_path / "s" / "seqinfo.ini").write_text("[Sequence]\nseqLength=8\n")
    fails("mot", tmp_path, CLIPS, 1, "frame", "line 1: frame 9 is past the sequence's 8 frames")
    (tmp_path / "s" / "labelwell_tracks.json").write_text('{"tracks": [{"track_id": 1}]}')
    fails("mot", tmp_path, CLIPS, None, "tracks", "not a labelwell track list")
    (tmp_path / "s" / "labelwell_tracks.json").unlink()
    (tmp_path / "s" / "seqinfo.ini").write_text("[Sequence]\nseqLength=eight\n")
    fails("mot", tmp_path, CLIPS, None, "seqLength", "seqLength must be an integer")
    (tmp_path / "s" / "seqinfo.ini").unlink()
    _, (row,) = read("mot", tmp_path, CLIPS, frames=20)  # a frame count given instead
    assert row.data["frames"] == 20
    assert row.annotations[0]["result"]["tracks"][0]["keyframes"][-1]["outside"] is True


def test_kitti_labels_and_bad_lines(tmp_path):
    (tmp_path / "label_2").mkdir()
    (tmp_path / "ImageSets").mkdir()  # split lists beside label_2 are not label files
    (tmp_path / "ImageSets" / "train.txt").write_text("000004\n")
    car = "Car 0.00 0 -1.87 0 0 0 0 1.5 1.8 4 -2 1.7 10 -1.87"
    (tmp_path / "label_2" / "000004.txt").write_text(
        f"{car}\nDontCare -1 -1 0 0 0 0 0 -1 -1 -1 0 0 0 0\n"
    )
    importer, (row,) = read("kitti", tmp_path, LIDAR)
    assert row.external_id == "4" and row.data == {}
    (cuboid,) = row.annotations[0]["result"]["cuboids"]
    assert cuboid["center"] == pytest.approx([10, 2, -0.95]) and cuboid["dimensions"] == [
        4,
        1.8,
        1.5,
    ]
    assert importer.warnings == ["label_2/000004.txt line 2: DontCare region skipped"]
    cases = [
        ("Truck 0.00 0 0 0 0 0 0 1.5 1.8 4 -2 1.7 10 0", "type", "'Truck' is not in control"),
        ("Car 0.00 0 0 0 0 0 0 1.5 1.8", "values", "15 values"),
        ("Car 0.00 0 0 0 0 0 0 0 1.8 4 -2 1.7 10 0", "height", "height must be > 0"),
        ("Car 0.00 0 0 0 0 0 0 1.5 1.8 4 -2 1.7 far 0", "z", "z must be a number"),
    ]
    for line, field, match in cases:
        (tmp_path / "label_2" / "000004.txt").write_text(f"{car}\n{line}\n")
        fails("kitti", tmp_path, LIDAR, 2, field, match)
    (tmp_path / "label_2" / "000004.txt").write_text(f"{car}\n")
    (tmp_path / "calib").mkdir()
    (tmp_path / "calib" / "000004.txt").write_text(
        "R0_rect: 1 0 0 0 1 0 0 0 1\nTr_velo_to_cam: 1 2\n"
    )
    fails("kitti", tmp_path, LIDAR, 2, "Tr_velo_to_cam", "needs 12 numbers, got 2")
