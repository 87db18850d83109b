"""Submit through the API and the SDK: what was done with a machine suggestion is
stored with the label, gold feedback comes back only where the project turns it
on, and neither tells a gold item apart before it is answered."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from labelwell.client import Client
from labelwell.errors import InvalidInput
from labelwell.server import create_app
from labelwell.store.tables import Annotation, Prediction
from sdk_transport import Via
from world import build_world


@pytest.fixture
def api(db, settings):
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        yield client


def _sdk(api, world, actor):
    return Client("http://testserver", world.token(actor), transport=Via(api))


def test_suggestion_outcomes_are_stored_with_the_label(api, db):
    world = build_world(db, n_items=3)
    manager = _sdk(api, world, world.manager)
    items = sorted(i.id for i in manager.items(world.project_id))
    manager.add_predictions(world.project_id, [
        {"item_id": item, "model_name": "m", "model_version": "1", "score": 0.9,
         "result": {"sentiment": "positive"}} for item in items
    ])
    annotator = _sdk(api, world, world.annotators[0])
    stored = []
    for outcome in ("accepted", "edited", "rejected"):
        task = annotator.next_task(world.project_id)
        suggestion = task.suggestions[0]
        label = "positive" if outcome == "accepted" else "negative"
        done = annotator.submit(task.assignment_id, {"sentiment": label},
                                suggestion=(suggestion.id, outcome))
        assert done.feedback is None
        stored.append((done.id, suggestion.id, outcome))
    with db.session() as s:
        for annotation_id, prediction_id, outcome in stored:
            details = s.get(Annotation, annotation_id).details
            assert details["suggestion"] == {"prediction_id": prediction_id, "outcome": outcome}


def test_a_suggestion_from_another_item_or_a_bad_outcome_is_refused(api, db):
    world = build_world(db, n_items=2)
    manager = _sdk(api, world, world.manager)
    first, second = sorted(i.id for i in manager.items(world.project_id))
    manager.add_predictions(world.project_id, [
        {"item_id": second, "model_name": "m", "model_version": "1", "score": 0.9,
         "result": {"sentiment": "positive"}}
    ])
    with db.session() as s:
        foreign = s.scalar(select(Prediction.id).where(Prediction.item_id == second))
    annotator = _sdk(api, world, world.annotators[0])
    task = annotator.next_task(world.project_id)
    assert task.item_id == first
    with pytest.raises(InvalidInput) as bad:
        annotator.submit(task.assignment_id, {"sentiment": "positive"},
                         suggestion=(foreign, "accepted"))
    assert "suggestion.prediction_id" in str(bad.value)
    headers = {"Authorization": f"Bearer {world.token(world.annotators[0])}"}
    response = api.post(f"/api/v1/assignments/{task.assignment_id}/submit", headers=headers,
                        json={"result": {"sentiment": "positive"},
                              "suggestion": {"prediction_id": foreign, "outcome": "liked"}})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "suggestion.outcome"
    with db.session() as s:  # nothing stored by either refusal
        assert s.scalar(select(Annotation.id)) is None


@pytest.mark.parametrize("enabled", [True, False])
def test_gold_feedback_only_where_the_project_turns_it_on(api, db, enabled):
    gold = {0: {"sentiment": "negative"}, 1: {"sentiment": "neutral"}}
    world = build_world(db, n_items=2, gold=gold, gold_ratio=1.0)
    if enabled:
        headers = {"Authorization": f"Bearer {world.token(world.manager)}"}
        r = api.patch(f"/api/v1/projects/{world.project_id}/settings", headers=headers,
                      json={"gold_feedback": True})
        assert r.status_code == 200, r.text
    annotator = _sdk(api, world, world.annotators[0])
    answers = {}
    for _ in range(2):
        task = annotator.next_task(world.project_id)
        # the task itself never says it is gold
        assert set(task.data) == {"text"}
        answer = "negative"  # right for the first gold item, wrong for the second
        done = annotator.submit(task.assignment_id, {"sentiment": answer})
        answers[task.data["text"]] = done.feedback
    if not enabled:
        assert all(feedback is None for feedback in answers.values())
        return
    right, wrong = answers["text number 0"], answers["text number 1"]
    assert right["correct"] is True and right["expected"] == {"sentiment": "negative"}
    assert wrong["correct"] is False and wrong["expected"] == {"sentiment": "neutral"}
    assert "sentiment" in wrong["message"]
