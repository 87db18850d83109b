from __future__ import annotations

import motmetrics as mm
import numpy as np
import pytest

from labelwell.media.video import interpolate
from labelwell.quality.tracks import compare_tracks, mean_pairwise_idf1


def jittered(tracks, rng, shift=6.0, drop=0.1):
    """Another annotator's take: boxes moved, some keyframes dropped, ids shuffled."""
    out = []
    for t in tracks:
        kfs = [
            {**k, "x": k["x"] + rng.normal(0, shift), "y": k["y"] + rng.normal(0, shift)}
            for k in t["keyframes"]
            if rng.random() > drop or k is t["keyframes"][0]
        ]
        out.append({**t, "track_id": int(rng.integers(100, 10_000)), "keyframes": kfs})
    return out


def random_tracks(rng, n, frames):
    tracks = []
    for i in range(n):
        frames_at = np.sort(rng.choice(frames, size=int(rng.integers(2, 8)), replace=False))
        kfs = []
        for f in frames_at:
            x, y, w, h = rng.uniform([0, 0, 20, 20], [200, 150, 60, 60])
            kf = {"frame": int(f), "x": x, "y": y, "width": w, "height": h}
            if rng.random() < 0.15:
                kf["outside"] = True
            kfs.append(kf)
        tracks.append({"track_id": i, "label": "car", "keyframes": kfs})
    return tracks


def iou_distance(a, b):
    """1 - IoU, NaN past 0.5 (motmetrics.distances.iou_matrix with max_iou=0.5, which
    calls np.asfarray, gone from NumPy 2)."""
    w = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = w * h
    d = 1 - inter / (a[2] * a[3] + b[2] * b[3] - inter)
    return np.nan if d > 0.5 else d


def motmetrics_of(reference, hypothesis, frames):
    acc = mm.MOTAccumulator(auto_id=True)
    ref = [interpolate(t["keyframes"], frames) for t in reference]
    hyp = [interpolate(t["keyframes"], frames) for t in hypothesis]
    for f in range(frames):
        oids = [i for i, r in enumerate(ref) if r[f, 4]]
        hids = [j for j, h in enumerate(hyp) if h[f, 4]]
        dists = np.array(
            [[iou_distance(ref[i][f, :4], hyp[j][f, :4]) for j in hids] for i in oids]
        ).reshape(len(oids), len(hids))
        acc.update(oids, hids, dists)
    names = ["mota", "motp", "idf1", "num_switches", "num_misses", "num_false_positives"]
    return mm.metrics.create().compute(acc, metrics=names, name="x").iloc[0]


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")
@pytest.mark.parametrize("seed", range(6))
def test_clear_mot_and_idf1_match_motmetrics(seed):
    rng = np.random.default_rng(seed)
    frames = 60
    reference = random_tracks(rng, 5, frames)
    hypothesis = jittered(reference, rng) + random_tracks(rng, 1, frames)
    ours = compare_tracks(reference, hypothesis, frames)
    theirs = motmetrics_of(reference, hypothesis, frames)
    assert ours.mota == pytest.approx(theirs["mota"])
    assert ours.motp == pytest.approx(theirs["motp"])
    assert ours.idf1 == pytest.approx(theirs["idf1"])
    assert ours.id_switches == theirs["num_switches"]
    assert ours.false_negatives == theirs["num_misses"]
    assert ours.false_positives == theirs["num_false_positives"]


def test_identical_tracks_agree_fully_and_a_swap_is_an_id_switch():
    a = {"track_id": 1, "label": "car",
         "keyframes": [{"frame": 0, "x": 0, "y": 0, "width": 10, "height": 10}]}  # fmt: skip
    b = {"track_id": 2, "label": "car",
         "keyframes": [{"frame": 0, "x": 50, "y": 0, "width": 10, "height": 10}]}  # fmt: skip
    same = compare_tracks([a, b], [a, b], 10)
    assert (same.mota, same.idf1, same.id_switches) == (1.0, 1.0, 0)
    # The other annotator's ids trade places halfway: one switch per track.
    first = {**a, "track_id": 7, "keyframes": [*a["keyframes"], {**a["keyframes"][0], "frame": 4},
             {"frame": 5, "x": 50, "y": 0, "width": 10, "height": 10}]}  # fmt: skip
    second = {**b, "track_id": 8, "keyframes": [*b["keyframes"], {**b["keyframes"][0], "frame": 4},
              {"frame": 5, "x": 0, "y": 0, "width": 10, "height": 10}]}  # fmt: skip
    swapped = compare_tracks([a, b], [first, second], 10)
    assert swapped.id_switches == 2 and swapped.mota == pytest.approx(1 - 2 / 20)
    assert swapped.idf1 == pytest.approx(0.5)
    assert mean_pairwise_idf1([[a, b], [a, b], [first, second]], 10) == pytest.approx(2 / 3)


def test_labels_must_agree_to_match():
    a = {"track_id": 1, "label": "car",
         "keyframes": [{"frame": 0, "x": 0, "y": 0, "width": 10, "height": 10}]}  # fmt: skip
    other = {**a, "label": "bus"}
    assert compare_tracks([a], [other], 4).matches == 0
    assert compare_tracks([a], [other], 4, by_label=False).matches == 4
