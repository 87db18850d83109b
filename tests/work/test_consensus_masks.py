"""Consensus on masks: answers a few edge pixels apart agree, and the consensus
is their per-pixel majority; answers that overlap little go to review."""

from __future__ import annotations

import numpy as np

from labelwell.formats._geometry import mask_to_rle, rle_to_mask
from labelwell.schema.ontology import Ontology
from labelwell.store.tables import Annotation
from labelwell.work import consensus

ONTOLOGY = Ontology.from_dict(
    {
        "name": "seg",
        "controls": [{"name": "seg", "type": "mask", "source": "image", "labels": ["leaf"]}],
    }
)


def square(x0: int, x1: int) -> list[dict]:
    m = np.zeros((50, 50), bool)
    m[10:40, x0:x1] = True
    return [{"id": "a", "label": "leaf", "rle": mask_to_rle(m)}]


def votes(*answers):
    return [Annotation(id=i, agent=f"a{i}", result={"seg": a}) for i, a in enumerate(answers)]


def test_near_masks_agree_on_their_majority():
    decision = consensus.decide_item(
        ONTOLOGY, votes(square(10, 40), square(10, 41), square(11, 40)), 3
    )
    assert decision.outcome == "accept" and decision.accepted_ids == (0, 1, 2)
    summary = decision.controls["seg"]
    assert summary["outcome"] == "accept" and summary["mask_iou"] > 0.9
    (fused,) = decision.result["seg"]
    expected = np.zeros((50, 50), bool)
    expected[10:40, 10:40] = True
    assert np.array_equal(rle_to_mask(fused["rle"]).astype(bool), expected)
    ONTOLOGY.validate(decision.result, {"width": 50, "height": 50})  # the schema takes it


def test_far_masks_go_to_review():
    decision = consensus.decide_item(ONTOLOGY, votes(square(10, 40), square(25, 45)), 2)
    assert decision.outcome == "review" and "seg" not in decision.result
    assert decision.controls["seg"]["mask_iou"] < 0.9
    assert decision.accepted_ids == ()


def test_exact_equal_masks_stay_on_the_exact_path():
    decision = consensus.decide_item(ONTOLOGY, votes(square(10, 40), square(10, 40)), 2)
    assert decision.outcome == "accept"
    assert decision.controls["seg"] == {"type": "mask", "outcome": "accept", "distinct_answers": 1}
