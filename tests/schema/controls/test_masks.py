from __future__ import annotations

import numpy as np
import pytest

from labelwell.errors import InvalidInput
from labelwell.schema import Ontology
from labelwell.schema.controls.masks import decode_rle_string

from ..support import one

SEG = Ontology.from_dict(
    {
        "name": "seg",
        "controls": [
            {"name": "masks", "type": "mask", "labels": ["person"]},
            {
                "name": "pan",
                "type": "panoptic",
                "labels": [
                    {"name": "person", "is_thing": True},
                    {"name": "sky", "is_thing": False},
                ],
            },
        ],
    }
)
DATA = {"image": "a.png", "width": 4, "height": 3}


def runs_of(mask: np.ndarray) -> list[int]:
    """Uncompressed COCO RLE: column-major run lengths, starting with a run of zeros."""
    flat = mask.flatten(order="F")
    runs, current, length = [], 0, 0
    for v in flat:
        if v == current:
            length += 1
        else:
            runs.append(length)
            current, length = v, 1
    runs.append(length)
    return runs


def test_decode_matches_pycocotools_encoding_of_random_masks() -> None:
    coco = pytest.importorskip("pycocotools.mask")
    rng = np.random.default_rng(7)
    for _ in range(40):
        h, w = rng.integers(1, 60, size=2)
        mask = (rng.random((h, w)) < rng.random()).astype(np.uint8)
        encoded = coco.encode(np.asfortranarray(mask))
        runs = decode_rle_string(encoded["counts"].decode())
        assert runs == runs_of(mask)
        assert sum(runs[1::2]) == coco.area(encoded)
        SEG.validate(
            {
                "masks": [
                    {
                        "id": "m",
                        "label": "person",
                        "rle": {"size": [int(h), int(w)], "counts": encoded["counts"].decode()},
                    }
                ]
            },
            {"image": "x", "width": int(w), "height": int(h)},
        )
        # And pycocotools compresses our uncompressed counts to the same string.
        again = coco.frPyObjects({"size": [int(h), int(w)], "counts": runs}, int(h), int(w))
        assert again["counts"] == encoded["counts"]


def test_decode_rejects_malformed_strings() -> None:
    assert decode_rle_string("") == []
    assert decode_rle_string("0 1") is None  # space is below '0'
    assert decode_rle_string("p") is None  # a continuation bit with nothing after
    assert decode_rle_string("\x7f") is None


def test_valid_masks() -> None:
    mask = {"id": "m0", "label": "person", "rle": {"size": [3, 4], "counts": [5, 3, 4]}}
    poly = {"id": "m1", "label": "person", "points": [[0, 0], [4, 0], [4, 3]]}
    SEG.validate({"masks": [mask, poly]}, DATA)


@pytest.mark.parametrize(
    ("region", "field", "words"),
    [
        (
            {"rle": {"size": [3, 4], "counts": [5, 3]}},
            "masks[0].rle.counts",
            "runs cover 8 pixels, the mask has 3 x 4 = 12",
        ),
        (
            {"rle": {"size": [3, 5], "counts": [15]}},
            "masks[0].rle.size",
            "not the image size [3, 4]",
        ),
        ({"rle": {"size": [3, 4], "counts": [13, -1]}}, "masks[0].rle.counts", "negative run"),
        ({"rle": {"size": [3, 4], "counts": [12.0]}}, "masks[0].rle.counts[0]", "integer"),
        (
            {"rle": {"size": [3, 4], "counts": "0 1"}},
            "masks[0].rle.counts",
            "not a valid COCO compressed RLE",
        ),
        ({"rle": {"size": [3, 4]}}, "masks[0].rle.counts", "missing"),
        ({"rle": {"size": [0, 4], "counts": []}}, "masks[0].rle.size", "positive integers"),
        ({"rle": {"size": [3, 4], "counts": {}}}, "masks[0].rle.counts", "string or a list"),
        ({}, "masks[0]", "exactly one of rle or points"),
        (
            {"rle": {"size": [3, 4], "counts": [12]}, "points": [[0, 0], [1, 0], [1, 1]]},
            "masks[0]",
            "exactly one",
        ),
        ({"points": [[0, 0], [1, 0], [1, 9]]}, "masks[0].points[2]", "outside"),
    ],
)
def test_mask_errors(refuse, region, field, words) -> None:
    refuse(SEG, {"masks": [{"id": "m0", "label": "person", **region}]}, DATA, field, words)


def segment(i: int, label: str, instance: int, is_thing: bool) -> dict:
    return {
        "id": f"s{i}",
        "label": label,
        "instance_id": instance,
        "is_thing": is_thing,
        "rle": {"size": [3, 4], "counts": [0, 12]},
    }


def test_panoptic_segments(refuse) -> None:
    SEG.validate(
        {
            "pan": [
                segment(0, "person", 1, True),
                segment(1, "person", 2, True),
                segment(2, "sky", 0, False),
            ]
        },
        DATA,
    )
    refuse(
        SEG,
        {"pan": [segment(0, "sky", 0, True)]},
        DATA,
        "pan[0].is_thing",
        "declared is_thing: false",
    )
    refuse(
        SEG, {"pan": [segment(0, "person", 1, False)]}, DATA, "pan[0].is_thing", "is_thing: true"
    )
    refuse(
        SEG,
        {"pan": [segment(0, "person", 1, True), segment(1, "person", 1, True)]},
        DATA,
        "pan[1].instance_id",
        "duplicate instance 1 of 'person'",
    )
    refuse(
        SEG, {"pan": [segment(0, "person", -1, True)]}, DATA, "pan[0].instance_id", "non-negative"
    )
    no_instance = segment(0, "person", 1, True)
    del no_instance["instance_id"]
    refuse(SEG, {"pan": [no_instance]}, DATA, "pan[0].instance_id", "missing")


def test_is_thing_belongs_to_panoptic_labels_only() -> None:
    with pytest.raises(InvalidInput) as info:
        one({"name": "m", "type": "mask", "labels": [{"name": "a", "is_thing": True}]})
    assert info.value.field == "controls[0].labels[0].is_thing"
    pan = one({"name": "p", "type": "panoptic", "labels": ["road"]})
    assert pan.control("p").labels[0].is_thing is False
