from __future__ import annotations

import pytest

from labelwell.errors import InvalidInput
from labelwell.schema import Ontology

from ..support import one

IMAGES = Ontology.from_dict(
    {
        "name": "img",
        "controls": [
            {
                "name": "boxes",
                "type": "bbox",
                "labels": [
                    {
                        "name": "car",
                        "attributes": [{"name": "occluded", "type": "boolean", "required": True}],
                    },
                    "person",
                ],
            },
            {"name": "areas", "type": "polygon", "labels": ["road"]},
            {
                "name": "poses",
                "type": "keypoints",
                "labels": [
                    {
                        "name": "person",
                        "skeleton": {
                            "keypoints": ["nose", "left_eye", "right_eye"],
                            "edges": [[0, 1], [0, 2]],
                        },
                    }
                ],
            },
        ],
    }
)
DATA = {"image": "img/1.jpg", "width": 640, "height": 480}


def box(i: int = 0, label: str = "person", **geometry) -> dict:
    return {"id": f"b{i}", "label": label, "x": 10, "y": 20, "width": 100, "height": 50} | geometry


def test_valid_image_regions() -> None:
    result = {
        "boxes": [
            box(0, "car", attributes={"occluded": True}),
            box(1, x=540.0, y=430.0, width=100.0, height=50.0),  # touches the corner
        ],
        "areas": [{"id": "p0", "label": "road", "points": [[0, 0], [640, 0], [320, 480]]}],
        "poses": [
            {
                "id": "k0",
                "label": "person",
                "points": {
                    "nose": [100, 100, 2],
                    "left_eye": [0, 0, 0],
                    "right_eye": [95.5, 90, 1],
                },
            }
        ],
    }
    IMAGES.validate(result, DATA)


def test_boxes_without_image_size_are_only_checked_for_shape() -> None:
    IMAGES.validate({"boxes": [box(x=5000, y=9000)]}, {"image": "x.jpg"})


@pytest.mark.parametrize(
    ("geometry", "field", "words"),
    [
        ({"width": 0}, "boxes[0].width", "0 is not positive"),
        ({"height": -3}, "boxes[0].height", "not positive"),
        ({"x": -1}, "boxes[0].x", "left of the image"),
        ({"y": -0.5}, "boxes[0].y", "above the image"),
        ({"x": 600}, "boxes[0].width", "x + width = 700 is past the image width 640"),
        ({"y": 450}, "boxes[0].height", "past the image height 480"),
        ({"x": "10"}, "boxes[0].x", "must be a number"),
        ({"x": float("nan")}, "boxes[0].x", "finite"),
        ({"width": float("inf")}, "boxes[0].width", "finite"),
        ({"y": True}, "boxes[0].y", "must be a number"),
        ({"x": 1e300}, "boxes[0].x", "out of range"),
        ({"height": 2**60}, "boxes[0].height", "out of range"),
        ({"y": float("-inf")}, "boxes[0].y", "finite"),
    ],
)
def test_box_errors(refuse, geometry, field, words) -> None:
    refuse(IMAGES, {"boxes": [box(**geometry)]}, DATA, field, words)


def test_box_label_and_required_attribute(refuse) -> None:
    refuse(
        IMAGES,
        {"boxes": [box(label="truck")]},
        DATA,
        "boxes[0].label",
        "'truck' is not one of car, person",
    )
    refuse(
        IMAGES,
        {"boxes": [box(label="car")]},
        DATA,
        "boxes[0].attributes.occluded",
        "is required for label 'car'",
    )
    refuse(
        IMAGES,
        {"boxes": [box(label="car", attributes={"occluded": None})]},
        DATA,
        "boxes[0].attributes.occluded",
        "is required",
    )
    refuse(
        IMAGES,
        {"boxes": [{"id": "b0", "label": "person", "x": 1, "y": 1, "width": 2}]},
        DATA,
        "boxes[0].height",
        "missing",
    )


def test_bad_image_size_in_the_data(refuse) -> None:
    refuse(
        IMAGES, {"boxes": [box()]}, {"width": "640", "height": 480}, "data.width", "positive number"
    )
    refuse(
        IMAGES, {"boxes": [box()]}, {"width": 640, "height": 0}, "data.height", "positive number"
    )


def test_polygon_errors(refuse) -> None:
    def poly(points) -> dict:
        return {"areas": [{"id": "p0", "label": "road", "points": points}]}

    refuse(IMAGES, poly([[0, 0], [1, 1]]), DATA, "areas[0].points", "at least 3")
    refuse(IMAGES, poly([[0, 0], [1, 1], [2]]), DATA, "areas[0].points[2]", "list of 2 numbers")
    refuse(IMAGES, poly([[0, 0], [1, 1], [2, "a"]]), DATA, "areas[0].points[2][1]", "number")
    refuse(
        IMAGES,
        poly([[0, 0], [641, 1], [2, 2]]),
        DATA,
        "areas[0].points[1]",
        "x = 641 is outside the image",
    )
    refuse(
        IMAGES, poly([[0, 0], [1, 1], [2, 481]]), DATA, "areas[0].points[2]", "y = 481 is outside"
    )


def test_keypoint_errors(refuse) -> None:
    def pose(points) -> dict:
        return {"poses": [{"id": "k0", "label": "person", "points": points}]}

    refuse(
        IMAGES,
        pose({"tail": [1, 1, 2]}),
        DATA,
        "poses[0].points.tail",
        "not a keypoint of 'person'",
    )
    refuse(
        IMAGES,
        pose({"nose": [1, 1, 3]}),
        DATA,
        "poses[0].points.nose[2]",
        "visibility must be 0, 1 or 2",
    )
    refuse(IMAGES, pose({"nose": [1, 1]}), DATA, "poses[0].points.nose", "list of 3 numbers")
    refuse(IMAGES, pose({"nose": [700, 1, 2]}), DATA, "poses[0].points.nose", "outside the image")
    refuse(IMAGES, pose([[1, 1, 2]]), DATA, "poses[0].points", "must be an object")
    IMAGES.validate(pose({"nose": [700, 1, 0]}), DATA)  # not labeled: position ignored


def test_keypoint_labels_need_a_valid_skeleton() -> None:
    with pytest.raises(InvalidInput) as info:
        one({"name": "k", "type": "keypoints", "labels": ["person"]})
    assert info.value.field == "controls[0].labels[0].skeleton"
    with pytest.raises(InvalidInput) as info:
        one(
            {
                "name": "k",
                "type": "keypoints",
                "labels": [{"name": "p", "skeleton": {"keypoints": ["a", "b"], "edges": [[0, 2]]}}],
            }
        )
    assert info.value.field == "controls[0].labels[0].skeleton.edges[0]"
    with pytest.raises(InvalidInput) as info:
        one(
            {
                "name": "b",
                "type": "bbox",
                "labels": [{"name": "p", "skeleton": {"keypoints": ["a"]}}],
            }
        )
    assert info.value.field == "controls[0].labels[0].skeleton"


def test_validate_data_for_images() -> None:
    IMAGES.validate_data(DATA)
    IMAGES.validate_data({"image": "x.jpg"})
    for data, field in (({"width": 3}, "image"), ({"image": "x", "width": -3}, "width")):
        with pytest.raises(InvalidInput) as info:
            IMAGES.validate_data(data)
        assert info.value.field == field
