"""Consensus on time regions: answers a little apart in time agree, and the
consensus takes each matched group's median bounds; others go to review."""

from __future__ import annotations

from labelwell.schema.ontology import Ontology
from labelwell.store.tables import Annotation
from labelwell.work import consensus

ONTOLOGY = Ontology.from_dict(
    {
        "name": "talk",
        "controls": [
            {
                "name": "turns",
                "type": "time_region",
                "source": "audio",
                "labels": ["speech", "noise"],
            }
        ],
    }
)


def turns(*spans):
    return [
        {"id": f"t{i}", "label": label, "start": s, "end": e, "speaker": "A"}
        for i, (s, e, label) in enumerate(spans)
    ]


def votes(*answers):
    return [Annotation(id=i, agent=f"a{i}", result={"turns": a}) for i, a in enumerate(answers)]


def test_near_regions_agree_on_their_median_bounds():
    decision = consensus.decide_item(
        ONTOLOGY,
        votes(
            turns((0.0, 2.0, "speech"), (3.0, 4.0, "noise")),
            turns((0.1, 2.0, "speech"), (3.0, 4.2, "noise")),
            turns((0.2, 1.9, "speech"), (2.9, 4.0, "noise")),
        ),
        3,
    )
    assert decision.outcome == "accept" and decision.accepted_ids == (0, 1, 2)
    assert decision.controls["turns"]["outcome"] == "accept"
    assert [(t["start"], t["end"], t["label"], t["speaker"]) for t in decision.result["turns"]] == [
        (0.1, 2.0, "speech", "A"),
        (3.0, 4.0, "noise", "A"),
    ]
    ONTOLOGY.validate(decision.result, {"audio": "a.wav", "duration": 10})


def test_regions_apart_or_relabelled_go_to_review():
    far = consensus.decide_item(
        ONTOLOGY, votes(turns((0, 2, "speech")), turns((1.5, 4, "speech"))), 2
    )
    assert far.outcome == "review" and "turns" not in far.result and far.accepted_ids == ()
    other = consensus.decide_item(
        ONTOLOGY, votes(turns((0, 2, "speech")), turns((0, 2, "noise"))), 2
    )
    assert other.outcome == "review"
