"""Changing a project's ontology after creation (work/ontology_versions.py):
adding is free, a rename says how many stored annotations it touches and moves
them, a removal that annotations use is refused unless forced with a reason,
and every version is kept. SQLite and PostgreSQL."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from labelwell.errors import Conflict, Forbidden, InvalidInput
from labelwell.schema.changes import Rename
from labelwell.store.tables import Annotation, AuditEntry, GoldAnswer, Project
from labelwell.work import ontology_versions as ov
from labelwell.work import queue
from world import build_world

ONTOLOGY = {
    "name": "reviews",
    "controls": [
        {
            "name": "sentiment",
            "type": "choice",
            "source": "text",
            "options": ["positive", "negative", "neutral"],
        },
        {
            "name": "entities",
            "type": "spans",
            "source": "text",
            "labels": [{"name": "PER"}, {"name": "LOC"}],
        },
    ],
}


def labeled_world(db):
    """Three annotations: two say 'positive' and mark a PER; one says 'negative'."""
    world = build_world(
        db,
        ontology=ONTOLOGY,
        texts=["Ada", "Bob", "Cy", "Di", "Ed"],
        gold={3: {"sentiment": "positive"}},
    )
    answers = [
        {"sentiment": "positive", "entities": [{"id": "s1", "start": 0, "end": 1, "label": "PER"}]},
        {"sentiment": "positive", "entities": [{"id": "s1", "start": 0, "end": 2, "label": "PER"}]},
        {"sentiment": "negative"},
    ]
    with db.session() as s:
        for answer in answers:
            task = queue.next_task(s, world.annotators[0], world.project_id)
            queue.submit(s, world.annotators[0], task.assignment_id, answer)
    return world


def edited(fn):
    onto = copy.deepcopy(ONTOLOGY)
    fn(onto["controls"])
    return onto


def test_adding_is_free_and_versions_are_kept(db):
    world = labeled_world(db)
    with db.session() as s:
        assert [v.version for v in ov.list_versions(s, world.manager, world.project_id)] == [1]
        onto = edited(
            lambda cs: (
                cs[0]["options"].append("mixed"),
                cs.append({"name": "note", "type": "text", "source": "text"}),
            )
        )
        found = ov.impact(s, world.manager, world.project_id, onto)
        assert not found.needs_force and found.version == 2
        assert {
            (c.change.kind, c.change.label or c.change.control, c.annotations)
            for c in found.changes
        } == {("add_label", "mixed", 0), ("add_control", "note", 0)}
        row = ov.change_ontology(s, world.manager, world.project_id, onto)
        assert row.version == 2
    with db.read_session() as s:
        versions = ov.list_versions(s, world.annotators[0], world.project_id)
        assert [v.version for v in versions] == [1, 2]
        assert [c["name"] for c in versions[0].ontology["controls"]] == ["sentiment", "entities"]
        assert [c["name"] for c in versions[1].ontology["controls"]][-1] == "note"
        assert s.get(Project, world.project_id).ontology["controls"][-1]["name"] == "note"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "ontology.change")).one()
        assert entry.details["version"] == 2


def test_a_rename_counts_and_moves_the_stored_annotations(db):
    world = labeled_world(db)

    def rename(cs):
        cs[0]["name"] = "mood"
        cs[0]["options"][0] = "good"
        cs[1]["labels"][0]["name"] = "PERSON"

    renames = [
        Rename("sentiment", to="mood"),
        Rename("sentiment", label="positive", to="good"),
        Rename("entities", label="PER", to="PERSON"),
    ]
    with db.session() as s:
        found = ov.impact(s, world.manager, world.project_id, edited(rename), renames)
        counts = {(c.change.kind, c.change.label): c.annotations for c in found.changes}
        assert counts == {
            ("rename_control", None): 3,
            ("rename_label", "positive"): 2,
            ("rename_label", "PER"): 2,
        }
        ov.change_ontology(s, world.manager, world.project_id, edited(rename), renames)
    with db.read_session() as s:
        results = sorted(s.scalars(select(Annotation.result)), key=str)
        assert {r["mood"] for r in results} == {"good", "negative"}
        assert all("sentiment" not in r for r in results)
        assert [e["label"] for r in results for e in r.get("entities", [])] == ["PERSON"] * 2
        assert s.scalars(select(GoldAnswer.result)).one() == {"mood": "good"}
    with db.session() as s:  # the queue checks new answers against the new version
        task = queue.next_task(s, world.annotators[0], world.project_id)
        with pytest.raises(InvalidInput, match="unknown control"):
            queue.submit(s, world.annotators[0], task.assignment_id, {"sentiment": "positive"})
    with db.session() as s:
        task = queue.next_task(s, world.annotators[0], world.project_id)
        queue.submit(s, world.annotators[0], task.assignment_id, {"mood": "good"})


def test_a_removal_used_by_annotations_needs_force_and_a_reason(db):
    world = labeled_world(db)
    onto = edited(lambda cs: (cs[0]["options"].remove("negative"), cs[1]["labels"].pop()))
    with db.session() as s:
        found = ov.impact(s, world.manager, world.project_id, onto)
        assert found.needs_force
        assert {(c.change.label, c.annotations) for c in found.changes} == {
            ("negative", 1),
            ("LOC", 0),
        }
        with pytest.raises(Conflict, match="removing label 'negative' of 'sentiment' touches 1"):
            ov.change_ontology(s, world.manager, world.project_id, onto)
        with pytest.raises(InvalidInput) as no_reason:
            ov.change_ontology(s, world.manager, world.project_id, onto, force=True)
        assert no_reason.value.field == "reason"
    with db.session() as s:
        row = ov.change_ontology(
            s,
            world.manager,
            world.project_id,
            onto,
            force=True,
            reason="negative merged into neutral by the client",
        )
        assert row.reason.startswith("negative merged")
    with db.read_session() as s:
        # the annotations are kept as they were made
        assert sorted(r["sentiment"] for r in s.scalars(select(Annotation.result))) == [
            "negative",
            "positive",
            "positive",
        ]
        assert [v.version for v in ov.list_versions(s, world.manager, world.project_id)] == [1, 2]


def test_removing_what_no_annotation_uses_and_refusals(db):
    world = labeled_world(db)
    with db.session() as s:
        # unused: a removal goes through without force
        onto = edited(lambda cs: cs[1]["labels"].pop())
        ov.change_ontology(s, world.manager, world.project_id, onto)
        with pytest.raises(InvalidInput, match="same as the current"):
            ov.change_ontology(s, world.manager, world.project_id, onto)
        with pytest.raises(InvalidInput) as bad:
            ov.impact(s, world.manager, world.project_id, onto, [Rename("nope", to="x")])
        assert bad.value.field == "renames[0].control"
        retyped = edited(lambda cs: (cs[0].update(type="multi_choice"), cs[1]["labels"].pop()))
        found = ov.impact(s, world.manager, world.project_id, retyped)
        assert [(c.change.kind, c.annotations) for c in found.changes] == [("retype_control", 3)]
        with pytest.raises(Forbidden):
            ov.change_ontology(s, world.annotators[0], world.project_id, onto)
