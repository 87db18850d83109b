"""The project's free-form settings through the HTTP API: keys merged one by one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from labelwell.server import create_app
from labelwell.store.tables import Project
from world import build_world


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=1, settings={"gold_threshold": 0.9})


@pytest.fixture
def api(db, settings, world):
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        yield client


def _as(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def _stored(db, world):
    with db.read_session() as s:
        return s.get(Project, world.project_id).settings


def test_keys_are_merged_and_null_removes_one(api, db, world):
    url = f"/api/v1/projects/{world.project_id}/settings"
    r = api.patch(url, json={"gold_feedback": True}, headers=_as(world, world.manager))
    assert r.status_code == 200, r.text
    assert r.json() == {"gold_threshold": 0.9, "gold_feedback": True}
    assert _stored(db, world) == {"gold_threshold": 0.9, "gold_feedback": True}
    r = api.patch(url, json={"gold_threshold": None}, headers=_as(world, world.manager))
    assert r.json() == {"gold_feedback": True}
    assert _stored(db, world) == {"gold_feedback": True}


def test_bad_values_are_refused_and_change_nothing(api, db, world):
    url = f"/api/v1/projects/{world.project_id}/settings"
    r = api.patch(url, json={"gold_feedback": "yes"}, headers=_as(world, world.manager))
    assert r.status_code == 422
    assert "settings.gold_feedback" in r.text
    r = api.patch(url, json={"qualification": {"items": -1}}, headers=_as(world, world.manager))
    assert r.status_code == 422
    assert "settings.qualification.items" in r.text
    r = api.patch(url, json={"gold_threshold": True}, headers=_as(world, world.manager))
    assert r.status_code == 422
    # Settings written by their own services (routing, the flywheel) are not open here.
    r = api.patch(url, json={"suggestion_min_score": "high"}, headers=_as(world, world.manager))
    assert r.status_code == 422
    assert "settings.suggestion_min_score" in r.text
    assert _stored(db, world) == {"gold_threshold": 0.9}


def test_only_managers_change_settings(api, db, world):
    url = f"/api/v1/projects/{world.project_id}/settings"
    r = api.patch(url, json={"gold_feedback": True}, headers=_as(world, world.annotators[0]))
    assert r.status_code == 403
    r = api.patch(url, json={"gold_feedback": True}, headers=_as(world, world.outsider))
    assert r.status_code == 404
    assert _stored(db, world) == {"gold_threshold": 0.9}
