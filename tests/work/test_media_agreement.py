"""Pairwise agreement of media controls in the quality report (masks, video
tracks, audio regions and speakers, cuboids) with answers worked out by hand,
through the service and the HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from labelwell.formats._geometry import mask_to_rle
from labelwell.schema.ontology import Ontology
from labelwell.server import create_app
from labelwell.work.media_agreement import Answer, media_agreement
from world import answer_every_task, build_world

MEDIA = {
    "name": "media",
    "controls": [
        {"name": "masks", "type": "mask", "source": "text", "labels": ["person"]},
        {"name": "tracks", "type": "video_track", "source": "text", "labels": ["car"]},
        {"name": "speech", "type": "time_region", "source": "text", "labels": ["speech", "music"]},
        {"name": "boxes", "type": "cuboid", "source": "text", "labels": ["car"]},
    ],
}


def mask(rows: int) -> dict:
    """A ``rows`` x 10 block in the top-left corner of a 20 x 20 image."""
    m = np.zeros((20, 20), np.uint8)
    m[:rows, :10] = 1
    return {"id": f"m{rows}", "label": "person", "rle": mask_to_rle(m)}


def track(x: float) -> dict:
    keyframes = [{"frame": f, "x": x, "y": 0.0, "width": 40.0, "height": 40.0} for f in (0, 9)]
    return {"track_id": 1, "label": "car", "keyframes": keyframes}


def region(start: float, end: float, label: str, speaker: str) -> dict:
    return {"id": f"r{start}", "label": label, "start": start, "end": end, "speaker": speaker}


def cuboid(x: float, i: int = 0) -> dict:
    return {
        "id": f"c{i}",
        "label": "car",
        "center": [x, 0.0, 0.0],
        "dimensions": [4.0, 2.0, 1.5],
        "rotation": [0.0, 0.0, 0.0],
    }


# Item 0: annotators 0 and 1 agree exactly, annotator 2 differs; item 1: all agree.
ANSWERS = {
    0: [
        {
            "masks": [mask(10)],
            "tracks": [track(0.0)],
            "speech": [region(0, 10, "speech", "A")],
            "boxes": [cuboid(0.0), cuboid(20.0, 1)],
        },
        {
            "masks": [mask(10)],
            "tracks": [track(0.0)],
            "speech": [region(0, 10, "speech", "B")],  # another name, same speaker turn
            "boxes": [cuboid(0.0), cuboid(20.0, 1)],
        },
        {
            "masks": [mask(5)],  # IoU 0.5 with the 10-row block
            "tracks": [track(500.0)],  # never overlaps
            "speech": [region(0, 5, "music", "A")],  # half the speech, another label
            "boxes": [cuboid(0.0)],  # one of the two
        },
    ],
    1: [
        {
            "masks": [mask(10)],
            "tracks": [track(0.0)],
            "speech": [region(0, 10, "speech", "A")],
            "boxes": [cuboid(0.0)],
        }
    ]
    * 3,
}

# Per pair on item 0: (0,1) agree fully, (0,2) and (1,2) score:
#   mask_iou 2 * 0.5 / 2 = 0.5; idf1 0; segment_f1 0 (IoU 0.5 but labels differ);
#   diarization 1 - (DER 0.5 missed + DER 1.0 false alarm) / 2 = 0.25;
#   cuboid_f1 2 * 1 / (2 + 1) = 2/3.
DIFFERENT = {
    "mask_iou": 0.5,
    "idf1": 0.0,
    "segment_f1": 0.0,
    "diarization": 0.25,
    "cuboid_f1": 2 / 3,
}


def expected(measure: str) -> tuple[float, float, float]:
    """(control score, item 0's score, the pair (0, 2)'s score)."""
    d = DIFFERENT[measure]
    item0 = (1 + 2 * d) / 3
    return (item0 + 1) / 2, item0, (d + 1) / 2


def by_measure(found) -> dict:
    return {(m.control, m.measure): m for m in found}


def test_known_answers_from_the_service():
    ontology = Ontology.from_dict(MEDIA)
    answers = [
        Answer(item, f"ann{i}", result)
        for item, results in ANSWERS.items()
        for i, result in enumerate(results)
    ]
    found = by_measure(media_agreement(ontology, answers, {}))
    assert set(found) == {
        ("masks", "mask_iou"),
        ("tracks", "idf1"),
        ("speech", "segment_f1"),
        ("speech", "diarization"),
        ("boxes", "cuboid_f1"),
    }
    for (_, measure), m in found.items():
        score, item0, pair02 = expected(measure)
        assert m.score == pytest.approx(score), measure
        assert [i.score for i in m.items] == pytest.approx([item0, 1.0]), measure
        assert [(p.annotator_a, p.annotator_b) for p in m.pairs] == [
            ("ann0", "ann1"), ("ann0", "ann2"), ("ann1", "ann2")
        ]  # fmt: skip
        assert [p.score for p in m.pairs] == pytest.approx([1.0, pair02, pair02]), measure


def test_regions_without_speakers_have_no_diarization_row():
    ontology = Ontology.from_dict(MEDIA)
    plain = {"speech": [{"id": "r", "label": "speech", "start": 0.0, "end": 1.0}]}
    found = media_agreement(ontology, [Answer(1, "a", plain), Answer(1, "b", plain)], {})
    assert [(m.control, m.measure, m.score) for m in found if m.control == "speech"] == [
        ("speech", "segment_f1", 1.0)
    ]


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=3, texts=["item 0", "item 1"], overlap=3, ontology=MEDIA)


def test_quality_report_api_shows_media_agreement(db, settings, world):
    with TestClient(create_app(settings, database=db, migrate=False)) as api:
        answer_every_task(api, world, lambda i, data: ANSWERS[int(data["text"][-1])][i])
        got = api.get(
            f"/api/v1/projects/{world.project_id}/quality",
            headers={"Authorization": f"Bearer {world.token(world.manager)}"},
        )
        assert got.status_code == 200, got.text
        denied = api.get(
            f"/api/v1/projects/{world.project_id}/quality",
            headers={"Authorization": f"Bearer {world.token(world.annotators[0])}"},
        )
        assert denied.status_code == 403
    media = {(m["control"], m["measure"]): m for m in got.json()["media"]}
    assert len(media) == 5
    for (_, measure), m in media.items():
        score, item0, pair02 = expected(measure)
        assert m["score"] == pytest.approx(score), measure
        assert m["n_items"] == 2 and m["n_pairs"] == 6
        items = {i["item_id"]: i["score"] for i in m["items"]}
        assert sorted(items.values()) == pytest.approx(sorted([item0, 1.0])), measure
        pairs = {(p["annotator_a"], p["annotator_b"]): p for p in m["pairs"]}
        a0, a1, a2 = (a.email for a in world.annotators)
        assert pairs[(a0, a1)]["score"] == pytest.approx(1.0)
        assert pairs[(a0, a2)]["score"] == pytest.approx(pair02), measure
        assert pairs[(a1, a2)]["score"] == pytest.approx(pair02), measure
        assert pairs[(a0, a2)]["n_items"] == 2
