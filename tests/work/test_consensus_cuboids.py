"""Consensus on cuboids: boxes a little apart agree frame by frame, and the
consensus takes each matched group's median centre and size and mean yaw (a
half-turned box is the same box); others go to review."""

from __future__ import annotations

import math

import pytest

from labelwell.schema.ontology import Ontology
from labelwell.store.tables import Annotation
from labelwell.work import consensus

ONTOLOGY = Ontology.from_dict(
    {
        "name": "lidar",
        "controls": [{"name": "boxes", "type": "cuboid", "labels": ["car", "pedestrian"]}],
    }
)
DATA = {"pointcloud": ["0.pcd", "1.pcd"]}


def box(i, x, yaw=0.0, label="car", frame=0, length=4.0):
    return {"id": f"c{i}", "label": label, "center": [x, 0.0, -1.0],
            "dimensions": [length, 2.0, 1.5], "rotation": [yaw, 0, 0], "frame": frame,
            "tracking_id": 1}  # fmt: skip


def votes(*answers):
    return [Annotation(id=i, agent=f"a{i}", result={"boxes": a}) for i, a in enumerate(answers)]


def test_near_cuboids_agree_on_the_median_box():
    decision = consensus.decide_item(
        ONTOLOGY,
        votes(
            [box(0, 0.0, 0.1), box(1, 5.0, frame=1)],
            [box(0, 0.2, 0.1 + math.pi), box(1, 5.1, frame=1, length=4.2)],  # a half turn: the same
            [box(0, 0.1, 0.2), box(1, 4.9, frame=1)],
        ),
        3,
    )
    assert decision.outcome == "accept" and decision.accepted_ids == (0, 1, 2)
    assert decision.controls["boxes"]["outcome"] == "accept"
    first, second = decision.result["boxes"]
    assert first["center"] == [0.1, 0.0, -1.0] and first["frame"] == 0
    assert first["rotation"][0] == pytest.approx((0.1 + 0.1 + 0.2) / 3)
    assert second["center"][0] == 5.0 and second["dimensions"][0] == 4.0 and second["frame"] == 1
    ONTOLOGY.validate(decision.result, DATA)


def test_cuboids_apart_relabelled_or_in_another_frame_go_to_review():
    far = consensus.decide_item(ONTOLOGY, votes([box(0, 0.0)], [box(0, 3.0)]), 2)
    assert far.outcome == "review" and "boxes" not in far.result and far.accepted_ids == ()
    other = consensus.decide_item(
        ONTOLOGY, votes([box(0, 0.0)], [box(0, 0.1, label="pedestrian")]), 2
    )
    assert other.outcome == "review"
    moved = consensus.decide_item(ONTOLOGY, votes([box(0, 0.0)], [box(0, 0.0, frame=1)]), 2)
    assert moved.outcome == "review"
    extra = consensus.decide_item(ONTOLOGY, votes([box(0, 0.0)], [box(0, 0.0), box(1, 9.0)]), 2)
    assert extra.outcome == "review"
