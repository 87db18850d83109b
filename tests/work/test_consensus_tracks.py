"""Consensus on video tracks: answers that follow the same objects with the
same ids agree (mean pairwise IDF1) and the medoid answer becomes the
consensus; tracks that swap identities go to review."""

from __future__ import annotations

from labelwell.schema.ontology import Ontology
from labelwell.store.tables import Annotation
from labelwell.work import consensus

ONTOLOGY = Ontology.from_dict(
    {
        "name": "street",
        "controls": [
            {"name": "tracks", "type": "video_track", "source": "video", "labels": ["car"]}
        ],
    }
)


def track(track_id, *boxes):
    keyframes = [{"frame": f, "x": x, "y": 0.0, "width": 40.0, "height": 40.0} for f, x in boxes]
    return {"track_id": track_id, "label": "car", "keyframes": keyframes}


def votes(*answers):
    return [Annotation(id=i, agent=f"a{i}", result={"tracks": a}) for i, a in enumerate(answers)]


def test_near_tracks_agree_on_the_medoid():
    answers = [
        [track(1, (0, 0.0), (20, 100.0)), track(2, (0, 300.0), (20, 300.0))],
        [track(5, (0, 1.0), (20, 101.0)), track(6, (0, 301.0), (20, 299.0))],
        [track(1, (0, 2.0), (20, 102.0)), track(2, (0, 302.0), (20, 298.0))],
    ]
    decision = consensus.decide_item(ONTOLOGY, votes(*answers), 3)
    assert decision.outcome == "accept" and decision.accepted_ids == (0, 1, 2)
    assert decision.controls["tracks"]["idf1"] == 1.0
    assert decision.result["tracks"] == answers[0]  # the first of the equally central
    ONTOLOGY.validate(decision.result, {"video": "v.mp4", "frames": 21})


def test_swapped_identities_go_to_review():
    straight = [track(1, (0, 0.0), (11, 0.0)), track(2, (0, 300.0), (11, 300.0))]
    swapped = [  # the ids trade places on frame 6
        track(1, (0, 0.0), (5, 0.0), (6, 300.0), (11, 300.0)),
        track(2, (0, 300.0), (5, 300.0), (6, 0.0), (11, 0.0)),
    ]
    decision = consensus.decide_item(ONTOLOGY, votes(straight, swapped), 2)
    assert decision.outcome == "review" and "tracks" not in decision.result
    assert decision.controls["tracks"]["idf1"] < consensus.TRACK_AGREEMENT
