from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyannote.core import Annotation, Segment, Timeline
from pyannote.metrics.diarization import DiarizationErrorRate

from labelwell.quality.temporal import (
    aggregate_segments,
    diarization_agreement,
    diarization_error,
    match_segments,
    segment_agreement,
    segments_consensus,
    segments_f1,
    temporal_iou,
)


def test_temporal_iou_by_hand() -> None:
    iou = temporal_iou(np.array([[0, 10], [5, 6]]), np.array([[5, 15], [20, 30]]))
    assert iou[0, 0] == pytest.approx(5 / 15)
    assert iou[1, 0] == pytest.approx(1 / 10)
    assert iou[0, 1] == 0 and iou[1, 1] == 0


def test_matching_is_one_to_one() -> None:
    a = [(0.0, 2.0, "x"), (2.0, 4.0, "x")]
    b = [(0.1, 2.1, "x"), (0.0, 1.9, "x"), (2.0, 4.0, "y")]
    rows, cols, iou = match_segments(a, b)
    pairs = sorted(zip(rows.tolist(), cols.tolist(), strict=True))
    assert pairs in ([(0, 0), (1, 2)], [(0, 1), (1, 2)])
    assert len(iou) == 2
    assert segments_f1(a, b) == pytest.approx(2 * 1 / 5)  # one pair also agrees on the label


def test_segment_agreement_frame() -> None:
    frame = pd.DataFrame(
        [
            ("t1", "w1", 0.0, 2.0, "speech"),
            ("t1", "w2", 0.2, 2.0, "speech"),
            ("t1", "w1", 3.0, 4.0, "noise"),
            ("t2", "w1", None, None, None),
            ("t2", "w2", 1.0, 2.0, "speech"),
        ],
        columns=["task", "worker", "start", "end", "label"],
    )
    found = segment_agreement(frame)
    assert found.n_segments == 4 and found.n_matched == 1
    assert found.f1 == pytest.approx(0.5) and found.label_f1 == pytest.approx(0.5)
    assert found.mean_iou == pytest.approx(0.9)


def _pyannote(segments) -> Annotation:
    out = Annotation()
    for i, (s, e, who) in enumerate(segments):
        out[Segment(s, e), i] = who
    return out


def _random(rng, n, prefix, length=60.0):
    """``n`` turns of three speakers; speakers overlap each other, never themselves
    (pyannote counts a speaker twice where its own turns overlap; we count once)."""
    out = []
    for who in range(3):
        t = float(rng.uniform(0, 3))
        for _ in range(n // 3):
            end = t + float(rng.uniform(0.3, 4))
            if end > length:
                break
            out.append((t, end, f"{prefix}{who}"))
            t = end + float(rng.uniform(0, 5))
    return out


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("collar", [0.0, 0.25])
def test_der_matches_pyannote_metrics(seed, collar) -> None:
    rng = np.random.default_rng(seed)
    ref, hyp = _random(rng, 25, "r"), _random(rng, 22, "h")
    ours = diarization_error(ref, hyp, collar=collar)
    metric = DiarizationErrorRate(collar=2 * collar, skip_overlap=False)
    # pyannote's collar is the total width around a boundary; NIST's is each side
    theirs = metric(_pyannote(ref), _pyannote(hyp), detailed=True, uem=Timeline([Segment(0, 70)]))
    assert ours.der == pytest.approx(theirs["diarization error rate"], abs=1e-9)
    assert ours.total == pytest.approx(theirs["total"], abs=1e-9)
    assert ours.missed == pytest.approx(theirs["missed detection"], abs=1e-9)
    assert ours.false_alarm == pytest.approx(theirs["false alarm"], abs=1e-9)
    assert ours.confusion == pytest.approx(theirs["confusion"], abs=1e-9)


def test_der_by_hand() -> None:
    ref = [(0, 10, "A"), (10, 20, "B")]
    hyp = [(0, 10, "x"), (10, 15, "x"), (15, 25, "y")]
    found = diarization_error(ref, hyp)
    # x<->A (10 s), y<->B (5 s): 5 s of B said as x (confusion), 5 s false alarm
    assert found.mapping == {"A": "x", "B": "y"}
    assert (found.confusion, found.false_alarm, found.missed, found.total) == (5, 5, 0, 20)
    assert found.der == pytest.approx(0.5)
    assert diarization_agreement(ref, ref) == 1.0
    assert diarization_error([], []).der == 0.0


def test_aggregate_segments_votes_in_time() -> None:
    frame = pd.DataFrame(
        [
            ("t", "w1", 0.0, 4.0, "speech"),
            ("t", "w2", 1.0, 5.0, "speech"),
            ("t", "w3", 1.0, 3.0, "speech"),
            ("t", "w3", 3.0, 6.0, "noise"),
        ],
        columns=["task", "worker", "start", "end", "label"],
    )
    found = aggregate_segments(frame)
    assert found[["start", "end", "label"]].values.tolist() == [[1.0, 4.0, "speech"]]
    assert found["support"].iloc[0] == pytest.approx(1.0 * 2 / 3 + 2 / 3 * 1 / 3)


def _r(i, start, end, label="speech", **extra):
    return {"id": f"r{i}", "label": label, "start": start, "end": end, **extra}


def test_segments_consensus_within_tolerance() -> None:
    a = [_r(1, 0.0, 2.0, speaker="A", text="hi"), _r(2, 3.0, 5.0)]
    b = [_r(7, 3.1, 5.0), _r(8, 0.1, 2.1, speaker="A", text="hello")]
    c = [_r(9, 0.0, 1.9, speaker="A", text="hi"), _r(10, 2.9, 5.2)]
    found = segments_consensus([a, b, c])
    assert found == [
        {"id": "r1", "label": "speech", "start": 0.0, "end": 2.0, "speaker": "A"},
        {"id": "r2", "label": "speech", "start": 3.0, "end": 5.0},
    ]
    assert segments_consensus([a, [_r(1, 0.0, 2.0), _r(2, 3.0, 5.0, label="noise")]]) is None
    assert segments_consensus([a, a[:1]]) is None
    assert segments_consensus([a, [_r(1, 0.0, 0.5), _r(2, 3.0, 5.0)]]) is None  # IoU 0.25
    assert segments_consensus([None, None]) == [] and segments_consensus([None, a]) is None
