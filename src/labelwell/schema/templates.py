"""Starting ontologies for new projects, one per kind of labeling work, each
with a sample item that fits it (the project builder previews the workspace on
it). Between them they use every registered control type; a test holds them to that."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labelwell.schema.ontology import Ontology

#: The sample image the builder's preview shows (served from the app's static files).
SAMPLE_IMAGE = "/static/img/template-sample.svg"

_RESPONSES = [
    {
        "id": "r1",
        "text": "A hash table stores values under keys. A hash function turns each key "
        "into a slot number, so a lookup takes about the same time however many you store.",
    },
    {"id": "r2", "text": "Hash tables are data structures."},
    {"id": "r3", "text": "It is a table of hashes, used for passwords."},
]

#: Fields every sample item has; a template's own ``data`` goes over them.
SAMPLE_DATA: dict[str, Any] = {
    "text": "Ada Lovelace worked with Charles Babbage in London. The battery lasts two days.",
    "image": "sample.svg",
    "width": 320,
    "height": 200,
    "prompt": "Explain what a hash table is to a beginner.",
    "responses": _RESPONSES,
    "audio": "call-001.wav",
    "duration": 62.5,
    "video": "clip-0001.mp4",
    "frames": 300,
    "pointcloud": "sweep-000123.pcd",
}


@dataclass(frozen=True)
class Template:
    """A named starting ontology and a sample item for it."""

    key: str
    ontology: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)

    def sample(self) -> dict[str, Any]:
        """The sample item: the shared fields with this template's over them."""
        return {**SAMPLE_DATA, **self.data}

    def compiled(self) -> Ontology:
        """The ontology, named after the template (a project takes its own name)."""
        return Ontology.from_dict({"name": self.key, **self.ontology})


def _labels(*names: str) -> list[dict[str, Any]]:
    return [{"name": n} for n in names]


TEMPLATES: tuple[Template, ...] = (
    Template(
        "classification",
        {
            "controls": [
                {
                    "name": "sentiment",
                    "type": "choice",
                    "source": "text",
                    "options": ["positive", "negative", "neutral"],
                    "required": True,
                },
                {
                    "name": "topics",
                    "type": "multi_choice",
                    "source": "text",
                    "options": ["price", "quality", "delivery", "support"],
                },
                {"name": "note", "type": "text", "source": "text"},
            ]
        },
        {"text": "The battery lasts two full days, but shipping took three weeks."},
    ),
    Template(
        "ner",
        {
            "controls": [
                {
                    "name": "entities",
                    "type": "spans",
                    "source": "text",
                    "labels": _labels("PER", "ORG", "LOC", "DATE"),
                },
                {
                    "name": "links",
                    "type": "relations",
                    "spans": "entities",
                    "labels": _labels("works_with", "located_in"),
                },
            ]
        },
        {"text": "Ada Lovelace worked with Charles Babbage in London in 1843."},
    ),
    Template(
        "boxes",
        {
            "controls": [
                {
                    "name": "objects",
                    "type": "bbox",
                    "source": "image",
                    "labels": [
                        {
                            "name": "car",
                            "attributes": [{"name": "occluded", "type": "boolean"}],
                        },
                        {"name": "pedestrian"},
                        {"name": "traffic_light"},
                    ],
                }
            ]
        },
    ),
    Template(
        "polygons",
        {
            "controls": [
                {
                    "name": "areas",
                    "type": "polygon",
                    "source": "image",
                    "labels": _labels("road", "sidewalk", "building"),
                }
            ]
        },
    ),
    Template(
        "keypoints",
        {
            "controls": [
                {
                    "name": "poses",
                    "type": "keypoints",
                    "source": "image",
                    "labels": [
                        {
                            "name": "person",
                            "skeleton": {
                                "keypoints": ["head", "left_hand", "right_hand", "hips"],
                                "edges": [[0, 1], [0, 2], [0, 3]],
                            },
                        }
                    ],
                }
            ]
        },
    ),
    Template(
        "rlhf_pairwise",
        {
            "controls": [
                {"name": "preference", "type": "pairwise", "source": "responses"},
                {
                    "name": "quality",
                    "type": "rating",
                    "source": "responses",
                    "scale": [1, 5],
                    "aspects": ["helpfulness", "accuracy", "safety"],
                },
            ]
        },
        {"responses": _RESPONSES[:2]},
    ),
    Template(
        "ranking",
        {
            "controls": [
                {"name": "order", "type": "ranking", "source": "responses", "allow_ties": True}
            ]
        },
    ),
    Template(
        "correction",
        {
            "controls": [
                {"name": "better_answer", "type": "correction", "source": "responses"},
                {"name": "overall", "type": "rating", "source": "responses", "scale": [1, 7]},
            ]
        },
        {"responses": _RESPONSES[1:2]},
    ),
    Template(
        "segmentation",
        {
            "controls": [
                {"name": "masks", "type": "mask", "source": "image", "labels": _labels("person")},
                {
                    "name": "panoptic",
                    "type": "panoptic",
                    "source": "image",
                    "labels": [
                        {"name": "person", "is_thing": True},
                        {"name": "sky", "is_thing": False},
                    ],
                },
            ]
        },
    ),
    Template(
        "audio",
        {
            "controls": [
                {
                    "name": "speakers",
                    "type": "time_region",
                    "source": "audio",
                    "labels": _labels("speech", "music", "noise"),
                },
                {
                    "name": "language",
                    "type": "choice",
                    "source": "audio",
                    "options": ["en", "ko", "other"],
                },
            ]
        },
    ),
    Template(
        "video",
        {
            "controls": [
                {
                    "name": "tracks",
                    "type": "video_track",
                    "source": "video",
                    "labels": _labels("car", "pedestrian", "cyclist"),
                }
            ]
        },
    ),
    Template(
        "lidar",
        {
            "controls": [
                {
                    "name": "cuboids",
                    "type": "cuboid",
                    "source": "pointcloud",
                    "labels": _labels("vehicle", "pedestrian", "cyclist"),
                }
            ]
        },
    ),
)

_BY_KEY = {t.key: t for t in TEMPLATES}


def template(key: str) -> Template:
    """The template named ``key``; ``KeyError`` for an unknown one."""
    return _BY_KEY[key]
