"""The project's settings through the HTTP API: keys merged one by one, each checked."""

from __future__ import annotations

import pytest

from labelwell.store.tables import Project
from world import build_world


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=1, settings={"gold_threshold": 0.9})


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
    r = api.patch(url, json={"suggestion_min_score": "high"}, headers=_as(world, world.manager))
    assert r.status_code == 422
    assert "settings.suggestion_min_score" in r.text
    assert _stored(db, world) == {"gold_threshold": 0.9}


@pytest.mark.parametrize(("body", "field", "says"), [
    ({"colour": "blue"}, "settings.colour", "not a project setting; known: gold_feedback"),
    ({"retrain_every": 0}, "settings.retrain_every", "greater than or equal to 1"),
    ({"assist_model": "gpt-17"}, "settings.assist_model", "unknown predictor 'gpt-17'"),
    ({"prompt_targets": {"language": {"en": 2}}}, "settings.prompt_targets.language.en",
     "less than or equal to 1"),
    ({"gold_feedback": True, "flywheel": 1}, "settings.flywheel", "valid boolean"),
])
def test_a_bad_setting_is_a_422_naming_the_field(api, db, world, body, field, says):
    url = f"/api/v1/projects/{world.project_id}/settings"
    r = api.patch(url, json=body, headers=_as(world, world.manager))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["details"]["field"] == field and says in error["message"]
    assert _stored(db, world) == {"gold_threshold": 0.9}


def test_every_setting_can_be_set_and_goes_back_to_its_default(api, db, world):
    url = f"/api/v1/projects/{world.project_id}/settings"
    body = {"flywheel": True, "retrain_every": 20, "al_strategy": "entropy", "al_batch": 50,
            "assist_model_options": {"C": 2.0}, "suggestion_min_score": 0.4,
            "guideline_min_rate": 0.2, "guideline_min_items": 3,
            "prompt_targets": {"language": {"en": 0.5, "fr": 0.5}}}
    r = api.patch(url, json=body, headers=_as(world, world.manager))
    assert r.status_code == 200, r.text
    assert _stored(db, world) == {"gold_threshold": 0.9, **body}
    r = api.patch(url, json=dict.fromkeys(body), headers=_as(world, world.manager))
    assert r.json() == {"gold_threshold": 0.9} == _stored(db, world)


def test_only_managers_change_settings(api, db, world):
    url = f"/api/v1/projects/{world.project_id}/settings"
    r = api.patch(url, json={"gold_feedback": True}, headers=_as(world, world.annotators[0]))
    assert r.status_code == 403
    r = api.patch(url, json={"gold_feedback": True}, headers=_as(world, world.outsider))
    assert r.status_code == 404
    assert _stored(db, world) == {"gold_threshold": 0.9}


def test_the_sdk_sets_settings_through_the_same_checks(api, db, world):
    from labelwell.client import Client
    from labelwell.errors import InvalidInput
    from sdk_transport import Via

    sdk = Client("http://testserver", world.token(world.manager), transport=Via(api))
    assert sdk.update_settings(world.project_id, flywheel=True, gold_threshold=None) == {
        "flywheel": True}
    with pytest.raises(InvalidInput) as refused:
        sdk.update_settings(world.project_id, retrain_every="often")
    assert refused.value.field == "settings.retrain_every"
    assert _stored(db, world) == {"flywheel": True}
