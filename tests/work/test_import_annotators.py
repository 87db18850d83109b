"""Imported annotator emails link only to members of the project (any user when
an admin imports); other users' emails are treated as unknown ones."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ImportRow
from labelwell.store.tables import Annotation, Item
from labelwell.work import imports, items
from world import build_world


def _rows() -> list[ImportRow]:
    people = ["ann0@example.org", "outsider@example.org", "Admin@Example.org"]
    return [
        ImportRow(
            line=i + 1,
            data={"text": f"imported {i}"},
            annotations=[{"result": {"sentiment": "positive"}, "annotator": who}],
        )
        for i, who in enumerate(people)
    ]


def _linked(db, project_id: int) -> dict[str, int | None]:
    with db.read_session() as s:
        found = s.execute(
            select(Annotation.agent, Annotation.user_id)
            .join(Item, Item.id == Annotation.item_id)
            .where(Item.project_id == project_id)
        ).all()
    return dict(found)


def test_a_manager_links_only_members_of_the_project(db):
    world = build_world(db, n_items=0)
    imports.import_rows(db, world.manager, world.project_id, _rows())
    assert _linked(db, world.project_id) == {
        "ann0@example.org": world.annotators[0].id,
        "outsider@example.org": None,  # a user, but not in this project
        "admin@example.org": None,
    }


def test_a_manager_refusing_unknown_annotators_lists_non_members(db):
    world = build_world(db, n_items=0)
    with pytest.raises(InvalidInput) as refused:
        imports.import_rows(db, world.manager, world.project_id, _rows(), annotators="refuse")
    assert "admin@example.org, outsider@example.org" in refused.value.message
    assert "ann0@example.org" not in refused.value.message
    assert refused.value.line == 2
    assert _linked(db, world.project_id) == {}


def test_the_single_transaction_import_links_only_members_too(db):
    world = build_world(db, n_items=0)
    with db.session() as s:
        items.import_rows(s, world.manager, world.project_id, _rows())
    assert _linked(db, world.project_id)["outsider@example.org"] is None


def test_an_admin_links_any_user(db):
    world = build_world(db, n_items=0)
    imports.import_rows(db, world.admin, world.project_id, _rows(), annotators="refuse")
    assert _linked(db, world.project_id) == {
        "ann0@example.org": world.annotators[0].id,
        "outsider@example.org": world.outsider.id,
        "admin@example.org": world.admin.id,
    }
