"""Comparing two ontology versions (schema/changes.py) and moving a stored
result's values to renamed controls and labels."""

from __future__ import annotations

import pytest

from labelwell.errors import InvalidInput
from labelwell.schema import Ontology
from labelwell.schema.changes import Change, Rename, apply_renames, compare, touches


def onto(*controls):
    return Ontology.from_dict({"name": "x", "controls": list(controls)})


TOPICS = {"name": "topics", "type": "multi_choice", "source": "text", "options": ["a", "b"]}
STARS = {"name": "stars", "type": "rating", "source": "text", "aspects": ["clarity", "tone"]}
BOXES = {
    "name": "boxes",
    "type": "bbox",
    "source": "image",
    "labels": [{"name": "car"}, {"name": "bus"}],
}


def test_compare_names_every_kind_of_change():
    old = onto(TOPICS, STARS, BOXES)
    new = onto(
        {**TOPICS, "options": ["a", "c"]}, {**STARS, "name": "rating"}, {**BOXES, "type": "polygon"}
    )
    changes = compare(old, new, [Rename("stars", to="rating")])
    assert changes == [
        Change("remove_label", "topics", label="b"),
        Change("add_label", "topics", label="c"),
        Change("rename_control", "stars", to="rating"),
        Change("retype_control", "boxes", to="polygon"),
    ]
    assert [c.destructive for c in changes] == [True, False, False, True]
    assert compare(old, onto(TOPICS)) == [
        Change("remove_control", "stars"),
        Change("remove_control", "boxes"),
    ]


def test_renames_move_labels_in_every_value_shape():
    old = onto(TOPICS, STARS, BOXES)
    new = onto(
        {**TOPICS, "options": ["a", "beta"]},
        {**STARS, "aspects": ["clarity", "voice"]},
        {**BOXES, "name": "objects", "labels": [{"name": "car"}, {"name": "coach"}]},
    )
    renames = [
        Rename("topics", label="b", to="beta"),
        Rename("stars", label="tone", to="voice"),
        Rename("boxes", label="bus", to="coach"),
        Rename("boxes", to="objects"),
    ]
    changes = compare(old, new, renames)
    assert {c.kind for c in changes} == {"rename_label", "rename_control"}
    result = {
        "topics": ["a", "b"],
        "stars": {"clarity": 4, "tone": 2},
        "boxes": [{"id": 1, "label": "bus", "x": 0}, {"id": 2, "label": "car", "x": 1}],
    }
    assert all(touches(result, c) for c in changes)
    assert apply_renames(result, changes) == {
        "topics": ["a", "beta"],
        "stars": {"clarity": 4, "voice": 2},
        "objects": [{"id": 1, "label": "coach", "x": 0}, {"id": 2, "label": "car", "x": 1}],
    }
    assert not touches({"topics": ["a"]}, changes[0])


def test_a_rename_must_name_what_exists():
    old, new = onto(TOPICS), onto({**TOPICS, "options": ["a", "c"]})
    with pytest.raises(InvalidInput) as bad:
        compare(old, new, [Rename("topics", label="zzz", to="c")])
    assert bad.value.field == "renames[0].label"
    with pytest.raises(InvalidInput, match="no label 'd'"):
        compare(old, new, [Rename("topics", label="b", to="d")])
    with pytest.raises(InvalidInput) as bad:
        compare(old, new, [Rename("topics", to="nope")])
    assert bad.value.field == "renames[0].to"
