from __future__ import annotations

import pytest

from labelwell.errors import InvalidInput
from labelwell.schema import Attribute, Label, Ontology, OntologyBuilder, Skeleton

from .conftest import EXAMPLES
from .test_ontology import SPEC


def test_builder_equals_yaml() -> None:
    built = (
        OntologyBuilder("product-reviews")
        .choice(
            "sentiment", options=["positive", "negative", "neutral"], source="text", required=True
        )
        .spans(
            "entities",
            labels=[Label("PER"), Label("ORG", attributes=[Attribute.boolean("listed")])],
        )
        .build()
    )
    assert built == Ontology.from_yaml(SPEC)
    assert built.to_yaml() == Ontology.from_yaml(SPEC).to_yaml()


def test_builder_matches_the_example_files() -> None:
    colors = ["white", "black", "red", "other"]
    images = (
        OntologyBuilder("street-scenes")
        .bbox(
            "objects",
            [
                Label("car", [Attribute.boolean("occluded"), Attribute.choice("color", colors)]),
                "pedestrian",
                "traffic_light",
            ],
        )
        .polygon("areas", ["road", "sidewalk", "building"])
        .keypoints(
            "poses",
            [
                Label(
                    "person",
                    skeleton=Skeleton(
                        (
                            "nose",
                            "left_eye",
                            "right_eye",
                            "left_shoulder",
                            "right_shoulder",
                            "left_hip",
                            "right_hip",
                        ),
                        ((0, 1), (0, 2), (3, 4), (3, 5), (4, 6), (5, 6)),
                    ),
                )
            ],
        )
        .build()
    )
    assert images == Ontology.from_file(EXAMPLES / "image_boxes.yaml")

    ner = (
        OntologyBuilder("news-ner")
        .spans(
            "entities",
            [
                Label("PER", color="#e6194b"),
                Label("ORG", [Attribute.boolean("listed")], color="#3cb44b"),
                Label("LOC", color="#4363d8"),
                "MISC",
            ],
            required=True,
        )
        .relations("relations", spans="entities", labels=["works_for", "located_in"])
        .build()
    )
    assert ner == Ontology.from_file(EXAMPLES / "ner.yaml")

    rlhf = (
        OntologyBuilder("chat-preferences")
        .pairwise("preference", required=True, require_reason=True)
        .rating(
            "quality",
            scale=(1, 7),
            aspects=["helpfulness", "accuracy", "safety"],
            source="responses",
        )
        .build()
    )
    assert rlhf == Ontology.from_file(EXAMPLES / "rlhf_comparison.yaml")

    ranking = (
        OntologyBuilder("response-ranking")
        .ranking("ranking", required=True, allow_ties=True)
        .correction("rewrite", max_length=4000)
        .build()
    )
    assert ranking == Ontology.from_file(EXAMPLES / "rlhf_ranking.yaml")

    occlusion = ["0-40%", "40-60%", "60-80%", "80-100%"]
    lidar = (
        OntologyBuilder("lidar-3d")
        .cuboid(
            "cuboids",
            [
                Label(
                    "vehicle",
                    [
                        Attribute.choice("occlusion", occlusion),
                        Attribute.number("truncation", min=0, max=1),
                    ],
                ),
                Label("pedestrian", [Attribute.choice("occlusion", occlusion)]),
                "cyclist",
            ],
        )
        .build()
    )
    assert lidar == Ontology.from_file(EXAMPLES / "lidar_cuboids.yaml")


def test_builder_covers_the_remaining_types() -> None:
    ont = (
        OntologyBuilder("all", description="one of each")
        .multi_choice("topics", ["a", "b"], max_selections=1)
        .text("note", max_length=10)
        .mask("masks", ["person"])
        .panoptic("pan", [Label("sky", is_thing=False), Label("car", is_thing=True)])
        .time_region("turns", ["speech"])
        .video_track("tracks", ["car"])
        .add({"name": "extra", "type": "choice", "options": ["x"]})
        .build()
    )
    assert [c.type for c in ont.controls] == [
        "multi_choice",
        "text",
        "mask",
        "panoptic",
        "time_region",
        "video_track",
        "choice",
    ]
    assert Ontology.from_yaml(ont.to_yaml()) == ont
    assert ont.description == "one of each"


def test_builder_errors_name_the_control() -> None:
    with pytest.raises(InvalidInput) as info:
        OntologyBuilder("x").choice("a", ["p"]).choice("b", []).build()
    assert info.value.field == "controls[1].options"
    with pytest.raises(InvalidInput) as info:
        OntologyBuilder("x").relations("r", spans="nope", labels=["x"]).build()
    assert info.value.field == "controls[0].spans"
