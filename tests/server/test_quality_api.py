"""Consensus, review, escalation, adjudication, the quality report and the export
label choice, end to end through the HTTP API (and the SDK) with overlap 3."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from labelwell.client import Client
from labelwell.errors import Forbidden
from labelwell.server import create_app
from labelwell.store.tables import Annotation
from sdk_transport import Via
from world import answer_every_task, build_world

ANSWERS = {  # text -> answers of annotators 0, 1, 2
    "all agree": ["positive", "positive", "positive"],
    "two agree": ["positive", "negative", "positive"],
    "all differ": ["positive", "negative", "neutral"],
    "gold": ["negative", "negative", "positive"],
}


@pytest.fixture
def world(db):
    return build_world(
        db,
        n_annotators=3,
        texts=list(ANSWERS),
        overlap=3,
        gold={3: {"sentiment": "negative"}},
        gold_ratio=1.0,
    )


@pytest.fixture
def api(db, settings, world):
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        answer_every_task(client, world, lambda i, data: {"sentiment": ANSWERS[data["text"]][i]})
        yield client




def as_(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def queue_of(api, world, actor, state):
    return api.get(
        f"/api/v1/projects/{world.project_id}/review-queue",
        params={"state": state},
        headers=as_(world, actor),
    )


def test_review_escalation_and_adjudication(api, world, db):
    review = queue_of(api, world, world.reviewer, "review")
    assert review.status_code == 200
    (item,) = review.json()["data"]
    assert item["data"]["text"] == "two agree" and item["review_state"] == "review"
    by_source = [(a["source"], a["result"]["sentiment"], a["status"]) for a in item["annotations"]]
    assert by_source == [
        ("human", "positive", "accepted"),
        ("human", "negative", "submitted"),
        ("human", "positive", "accepted"),
        ("consensus", "positive", "accepted"),
    ]
    assert item["annotations"][-1]["details"]["controls"]["sentiment"]["votes"] == {
        "positive": 2,
        "negative": 1,
    }
    (escalated,) = queue_of(api, world, world.manager, "escalated").json()["data"]
    assert escalated["data"]["text"] == "all differ"
    assert [a["source"] for a in escalated["annotations"]] == ["human"] * 3
    assert queue_of(api, world, world.annotators[0], "review").status_code == 403
    assert queue_of(api, world, world.reviewer, "nonsense").status_code == 422
    with db.session() as s:
        checks = list(
            s.scalars(
                select(Annotation)
                .where(Annotation.is_gold_check.is_(True))
                .order_by(Annotation.agent)
            )
        )
    assert [a.details["gold_correct"] for a in checks] == [True, True, False]

    # Adjudication: reviewers settle review items, managers escalated ones.
    review_id = queue_of(api, world, world.reviewer, "review").json()["data"][0]["id"]
    escalated_id = queue_of(api, world, world.reviewer, "escalated").json()["data"][0]["id"]

    def adjudicate(actor, item_id, result, note=""):
        return api.post(
            f"/api/v1/items/{item_id}/adjudicate",
            json={"result": result, "note": note},
            headers=as_(world, actor),
        )

    assert adjudicate(world.reviewer, escalated_id, {"sentiment": "neutral"}).status_code == 403
    assert adjudicate(world.annotators[0], review_id, {"sentiment": "neutral"}).status_code == 403
    assert adjudicate(world.reviewer, review_id, {"sentiment": "meh"}).status_code == 422
    made = adjudicate(world.reviewer, review_id, {"sentiment": "negative"}, "irony")
    assert made.status_code == 201
    assert made.json()["agent"] == "adjudicated:reviewer@example.org"
    assert made.json()["details"]["note"] == "irony"
    assert adjudicate(world.manager, escalated_id, {"sentiment": "neutral"}).status_code == 201
    again = adjudicate(world.manager, escalated_id, {"sentiment": "neutral"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert queue_of(api, world, world.reviewer, "review").json()["data"] == []
    resolved = queue_of(api, world, world.reviewer, "resolved").json()["data"]
    assert [i["id"] for i in resolved] == sorted([review_id, escalated_id])

    report = api.get(
        f"/api/v1/projects/{world.project_id}/quality", headers=as_(world, world.manager)
    ).json()
    assert (report["awaiting_review"], report["awaiting_escalation"], report["resolved"]) == (
        0,
        0,
        2,
    )


def test_quality_report_over_http_and_sdk(api, world):
    url = f"/api/v1/projects/{world.project_id}/quality"
    assert api.get(url, headers=as_(world, world.reviewer)).status_code == 403
    assert (
        api.get(url, params={"method": "zz"}, headers=as_(world, world.manager)).status_code == 422
    )
    body = api.get(url, params={"method": "ds"}, headers=as_(world, world.manager)).json()
    assert body["method"] == "ds" and body["n_items"] == 3 and body["n_labels"] == 3
    assert body["awaiting_review"] == 1 and body["awaiting_escalation"] == 1
    assert body["controls"][0]["control"] == "sentiment"
    assert [(g["annotator"], g["n_correct"], g["needs_retraining"]) for g in body["gold"]] == [
        ("ann0@example.org", 1, False),
        ("ann1@example.org", 1, False),
        ("ann2@example.org", 0, True),
    ]
    sdk = Client("http://testserver", world.token(world.manager), transport=Via(api))
    assert sdk.quality_report(world.project_id)["gold"] == body["gold"]
    escalated = list(sdk.review_queue(world.project_id, "escalated"))
    assert len(escalated) == 1
    settled = sdk.adjudicate(escalated[0]["id"], {"sentiment": "neutral"}, note="expert")
    assert settled.source == "consensus" and settled.status == "accepted"
    annotator = Client("http://testserver", world.token(world.annotators[0]), transport=Via(api))
    with pytest.raises(Forbidden):
        annotator.quality_report(world.project_id)
    check_export_label_choice(api, world)


def export_lines(api, world, **params):
    response = api.get(
        f"/api/v1/projects/{world.project_id}/export",
        params={"format": "jsonl", **params},
        headers=as_(world, world.manager),
    )
    assert response.status_code == 200, response.text
    return {r["data"]["text"]: r for r in map(json.loads, response.text.splitlines())}


def check_export_label_choice(api, world):
    both = export_lines(api, world)
    raw = export_lines(api, world, labels="raw")
    aggregated = export_lines(api, world, labels="aggregated")
    assert both["all agree"]["consensus"]["result"] == {"sentiment": "positive"}
    assert both["all agree"]["consensus"]["provenance"]["source"] == "consensus"
    assert len(both["all agree"]["annotations"]) == 3
    assert raw["all agree"]["consensus"] is None and len(raw["all agree"]["annotations"]) == 3
    assert aggregated["all agree"]["annotations"] == []
    assert aggregated["two agree"]["consensus"]["result"] == {"sentiment": "positive"}
    adjudicated = aggregated["all differ"]["consensus"]  # settled through the SDK above
    assert adjudicated["result"] == {"sentiment": "neutral"}
    assert adjudicated["provenance"]["agent"] == "adjudicated:manager@example.org"
    assert adjudicated["provenance"]["details"]["note"] == "expert"
    bad = api.get(
        f"/api/v1/projects/{world.project_id}/export",
        params={"labels": "some"},
        headers=as_(world, world.manager),
    )
    assert bad.status_code == 422
