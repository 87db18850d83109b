"""POST /projects/{id}/import takes the CLI's ``annotators`` option (keep, create
or refuse; create for admins only) and returns what the importer skipped as
``warnings``; the SDK passes the option and shows the warnings."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from labelwell import errors
from labelwell.client import Client
from labelwell.store.tables import Annotation, Item, User
from sdk_transport import Via
from world import build_world


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=1, n_items=1)


def _choice(value: str) -> dict:
    return {"id": "c", "from_name": "sentiment", "to_name": "text", "type": "choices",
            "value": {"choices": [value]}}  # fmt: skip


def _ls_export() -> bytes:
    """A Label Studio JSON export: prediction ids only, annotators expanded."""
    tasks = [
        {"id": 11, "data": {"text": "좋아요 👍🏽"}, "predictions": [1],
         "annotations": [{"id": 1, "completed_by": {"id": 3, "email": "Ann0@Example.org"},
                          "result": [_choice("positive")]}]},
        {"id": 12, "data": {"text": "별로예요"}, "predictions": [2, 3],
         "annotations": [{"id": 2, "completed_by": {"id": 9, "email": "stranger@example.org"},
                          "result": [_choice("negative")]}]},
    ]  # fmt: skip
    return json.dumps(tasks, ensure_ascii=False).encode()


def _import(api, world, actor, **params):
    return api.post(
        f"/api/v1/projects/{world.project_id}/import",
        params={"format": "label_studio", **params},
        files={"file": ("export.json", _ls_export())},
        headers={"Authorization": f"Bearer {world.token(actor)}"},
    )


def _stored(db, world) -> tuple[int, list[tuple[str, str | None]]]:
    with db.read_session() as s:
        n = s.scalar(select(func.count()).select_from(Item).where(
            Item.project_id == world.project_id))  # fmt: skip
        rows = s.execute(
            select(Annotation.agent, User.email)
            .outerjoin(User, User.id == Annotation.user_id)
            .where(Annotation.project_id == world.project_id)
            .order_by(Annotation.id)
        ).all()
    return int(n or 0), [(agent, email) for agent, email in rows]


def test_keep_links_members_by_email_and_returns_the_warnings(api, db, world):
    r = _import(api, world, world.manager)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["n_items"] == 2
    (warning,) = body["warnings"]
    assert warning.startswith(
        "export.json: skipped 3 predictions given only as ids (first: tasks[0].predictions[0])"
    )
    assert _stored(db, world) == (
        3,
        [("ann0@example.org", "ann0@example.org"), ("stranger@example.org", None)],
    )


def test_refuse_names_the_unknown_annotators_and_stores_nothing(api, db, world):
    r = _import(api, world, world.manager, annotators="refuse")
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert "stranger@example.org" in error["message"] and "ann0" not in error["message"]
    assert error["details"]["field"] == "annotator" and error["details"]["line"] == 2
    assert _stored(db, world) == (1, [])


def test_create_is_for_admins(api, db, world):
    r = _import(api, world, world.manager, annotators="create")
    assert r.status_code == 403, r.text
    assert _stored(db, world) == (1, [])
    r = _import(api, world, world.admin, annotators="create")
    assert r.status_code == 201, r.text
    assert _stored(db, world)[1] == [
        ("ann0@example.org", "ann0@example.org"),
        ("stranger@example.org", "stranger@example.org"),
    ]
    with db.read_session() as s:
        placeholder = s.scalar(select(User).where(User.email == "stranger@example.org"))
        assert placeholder is not None and placeholder.is_active is False


def test_an_unknown_mode_is_refused_naming_the_option(api, db, world):
    r = _import(api, world, world.admin, annotators="invent")
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["details"]["field"] == "annotators"
    assert "keep, create, refuse" in error["message"]
    assert _stored(db, world) == (1, [])


def test_the_sdk_passes_the_option_and_shows_the_warnings(api, db, world, tmp_path):
    path = tmp_path / "export.json"
    path.write_bytes(_ls_export())
    manager = Client("http://testserver", world.token(world.manager), transport=Via(api))
    with pytest.raises(errors.InvalidInput) as refused:
        manager.import_file(world.project_id, path, format="label_studio", annotators="refuse")
    assert refused.value.field == "annotator" and "stranger@example.org" in str(refused.value)
    with pytest.raises(errors.Forbidden):
        manager.import_file(world.project_id, path, format="label_studio", annotators="create")
    admin = Client("http://testserver", world.token(world.admin), transport=Via(api))
    done = admin.import_file(world.project_id, path, format="label_studio", annotators="create")
    assert done.n_items == 2
    assert len(done.warnings) == 1 and "predictions given only as ids" in done.warnings[0]
    assert _stored(db, world)[1][1] == ("stranger@example.org", "stranger@example.org")
