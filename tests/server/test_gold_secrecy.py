"""Raters never learn which items are gold: not from an item's fields, the item
list, others' annotations, the review queue or its page; managers keep the full
record. Gold accuracy counts the first submitted answer, never a later edit."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from labelwell.server import create_app
from labelwell.server.web.session import SESSION_COOKIE
from world import build_world

RATER_ITEM_KEYS = {"id", "project_id", "data", "media"}


@pytest.fixture
def api(db, settings):
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        yield client


@pytest.fixture
def world(db):
    # one gold item (x2); gold_ratio 1 hands it out first, then the regular ones
    return build_world(db, n_annotators=2, n_items=3, overlap=2, gold_ratio=1.0, blind=False,
                       gold={2: {"sentiment": "negative"}})


def as_(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def label(api, world, actor, value="positive"):
    task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=as_(world, actor))
    assert task.status_code == 200, task.text
    task = task.json()
    done = api.post(f"/api/v1/assignments/{task['assignment_id']}/submit",
                    json={"result": {"sentiment": value}}, headers=as_(world, actor))
    assert done.status_code == 201, done.text
    return task, done.json()


def gold_id(api, world):
    items = api.get(f"/api/v1/projects/{world.project_id}/items",
                    headers=as_(world, world.manager)).json()["data"]
    return next(i["id"] for i in items if i["external_id"] == "x2")


def test_annotators_and_reviewers_get_the_same_item_view_for_gold_and_regular(api, world):
    ann = world.annotators[0]
    gold_task, _ = label(api, world, ann)
    regular_task, _ = label(api, world, ann)
    assert gold_task["item_id"] == gold_id(api, world) != regular_task["item_id"]
    assert set(gold_task) == set(regular_task)

    for who in (ann, world.reviewer):
        listed = api.get(f"/api/v1/projects/{world.project_id}/items",
                         headers=as_(world, who)).json()["data"]
        assert listed and all(set(i) == RATER_ITEM_KEYS for i in listed)
        for task in (gold_task, regular_task):
            one = api.get(f"/api/v1/items/{task['item_id']}", headers=as_(world, who))
            assert one.status_code == 200 and set(one.json()) == RATER_ITEM_KEYS
        # a status filter would list the gold items (they never fill up)
        filtered = api.get(f"/api/v1/projects/{world.project_id}/items",
                           params={"status": "open"}, headers=as_(world, who))
        assert filtered.status_code == 403
        assert filtered.json()["error"]["details"]["field"] == "status"

    managed = api.get(f"/api/v1/items/{gold_task['item_id']}", headers=as_(world, world.manager))
    assert managed.json()["external_id"] == "x2" and managed.json()["status"] == "open"
    assert api.get(f"/api/v1/projects/{world.project_id}/items", params={"status": "open"},
                   headers=as_(world, world.manager)).status_code == 200


def test_in_a_project_with_gold_raters_see_no_others_answers_on_items_they_worked_on(
    api, world
):
    # blind is off, but the project has gold: everyone answers a gold item, so
    # others' answers there (or their absence) would tell it apart
    a, b = world.annotators
    gold_a, mine_a = label(api, world, a)
    regular_a, mine_regular = label(api, world, a)
    gold_b, mine_b = label(api, world, b)
    regular_b, theirs = label(api, world, b)
    assert gold_a["item_id"] == gold_b["item_id"]
    assert regular_a["item_id"] == regular_b["item_id"]  # both work on the same regular item

    seen = api.get(f"/api/v1/projects/{world.project_id}/annotations",
                   headers=as_(world, a)).json()["data"]
    assert {x["id"] for x in seen} == {mine_a["id"], mine_regular["id"]}  # alike: only their own
    for other in (mine_b, theirs):  # the same answer for gold and regular, as for no such id
        assert api.get(f"/api/v1/annotations/{other['id']}",
                       headers=as_(world, a)).status_code == 404
    assert all("is_gold_check" not in x and "details" not in x for x in seen)

    # reviewers review others' answers, never on gold items
    reviewer = api.get(f"/api/v1/projects/{world.project_id}/annotations",
                       headers=as_(world, world.reviewer)).json()["data"]
    assert gold_a["item_id"] not in {x["item_id"] for x in reviewer}
    assert theirs["id"] in {x["id"] for x in reviewer}
    probe = api.post(f"/api/v1/annotations/{mine_a['id']}/reviews", json={"decision": "reject"},
                     headers=as_(world, world.reviewer))
    assert probe.status_code == 404  # the same answer as for an id that does not exist
    manager = api.get(f"/api/v1/projects/{world.project_id}/annotations",
                      headers=as_(world, world.manager)).json()["data"]
    assert {mine_a["id"], mine_b["id"], theirs["id"]} <= {x["id"] for x in manager}


def test_without_gold_an_unblind_project_shows_annotators_others_answers(api, db):
    w = build_world(db, n_annotators=2, n_items=2, overlap=2, blind=False)
    a, b = w.annotators
    label(api, w, a)
    _, theirs = label(api, w, b)
    seen = api.get(f"/api/v1/projects/{w.project_id}/annotations",
                   headers=as_(w, a)).json()["data"]
    assert theirs["id"] in {x["id"] for x in seen}
    assert api.get(f"/api/v1/annotations/{theirs['id']}", headers=as_(w, a)).status_code == 200


def test_the_review_queue_shows_reviewers_no_gold_flag(api, world, db):
    a, b = world.annotators
    label(api, world, a, "negative")  # gold
    label(api, world, b, "positive")  # gold
    label(api, world, a, "positive")
    label(api, world, b, "negative")  # no majority: the item is escalated
    url = f"/api/v1/projects/{world.project_id}/review-queue?state=escalated"
    queue = api.get(url, headers=as_(world, world.reviewer))
    assert queue.status_code == 200, queue.text
    entries = queue.json()["data"]
    assert len(entries) == 1
    text = json.dumps(entries)
    assert "is_gold" not in text and "gold_c" not in text and "external_id" not in text
    assert {a["result"]["sentiment"] for a in entries[0]["annotations"]} == {"positive", "negative"}
    managed = api.get(url, headers=as_(world, world.manager)).json()["data"]
    assert all("is_gold_check" in x for x in managed[0]["annotations"])
    assert managed[0]["external_id"] in ("x0", "x1")


def boot_of(html: str) -> dict:
    found = re.search(r'<script[^>]*id="boot"[^>]*>(.*?)</script>', html, re.S)
    assert found, html[:500]
    return json.loads(found.group(1))


def test_the_review_page_boot_data_has_no_gold_for_reviewers(api, world):
    a, b = world.annotators
    label(api, world, a, "negative")  # gold, awaiting review like any submission
    label(api, world, b, "positive")  # gold
    label(api, world, a, "positive")

    def page_as(actor):
        page = api.get(f"/projects/{world.project_id}/review",
                       cookies={SESSION_COOKIE: world.token(actor)})
        assert page.status_code == 200, page.text[:300]
        return boot_of(page.text)

    seen = page_as(world.reviewer)
    text = json.dumps(seen)
    assert "is_gold" not in text and "gold_correct" not in text
    queue = seen["queue"]["data"]  # a page of GET /review-queue?state=submitted
    assert queue and gold_id(api, world) not in {e["id"] for e in queue}
    managed = page_as(world.manager)
    assert any(a["is_gold_check"] for e in managed["queue"]["data"] for a in e["annotations"])


def test_an_edit_after_gold_feedback_is_kept_but_not_rescored(api, world):
    manager = as_(world, world.manager)
    r = api.patch(f"/api/v1/projects/{world.project_id}/settings", headers=manager,
                  json={"gold_feedback": True})
    assert r.status_code == 200, r.text
    ann = world.annotators[0]
    _, done = label(api, world, ann, "positive")  # the gold item; expected: negative
    assert done["feedback"]["correct"] is False
    edited = api.patch(f"/api/v1/annotations/{done['id']}",
                       json={"result": done["feedback"]["expected"]}, headers=as_(world, ann))
    assert edited.status_code == 200 and edited.json()["revision"] == 2
    history = api.get(f"/api/v1/annotations/{edited.json()['id']}/revisions",
                      headers=as_(world, ann)).json()["data"]
    assert [h["result"]["sentiment"] for h in history] == ["negative", "positive"]
    report = api.get(f"/api/v1/projects/{world.project_id}/quality", headers=manager).json()
    (gold,) = report["gold"]
    assert (gold["annotator"], gold["n_gold"], gold["n_correct"]) == (ann.email, 1, 0)
    assert gold["accuracy"] == 0.0 and gold["needs_retraining"] is True


def test_the_sdk_lists_items_for_raters_and_managers(api, world):
    from labelwell.client import Client
    from sdk_transport import Via

    ann = world.annotators[0]
    gold_task, _ = label(api, world, ann)
    mine = list(Client("http://testserver", world.token(ann), transport=Via(api))
                .items(world.project_id))
    assert [i.id for i in mine] == [gold_task["item_id"]]
    assert (mine[0].status, mine[0].n_done, mine[0].external_id) == (None, None, None)
    managed = Client("http://testserver", world.token(world.manager), transport=Via(api))
    assert {i.external_id for i in managed.items(world.project_id, status="open")} >= {"x2"}


#: what a rater's view of their own answer holds: what they did, never what
#: consensus or review made of it (gold answers get neither)
RATER_ANNOTATION_KEYS = {
    "id", "item_id", "project_id", "assignment_id", "source", "agent", "result",
    "guideline_version", "time_spent_ms", "revision", "supersedes_id", "created_at",
}


def own_view(api, world, actor, annotation_id):
    """Every way a rater reads one of their own answers, by route."""
    headers = as_(world, actor)
    listed = api.get(f"/api/v1/projects/{world.project_id}/annotations",
                     params={"include_history": True}, headers=headers).json()["data"]
    one = api.get(f"/api/v1/annotations/{annotation_id}", headers=headers)
    history = api.get(f"/api/v1/annotations/{annotation_id}/revisions", headers=headers)
    assert one.status_code == 200 and history.status_code == 200
    (in_list,) = [a for a in listed if a["id"] == annotation_id]
    return {"list": in_list, "get": one.json(), "revisions": history.json()["data"][0]}


def test_a_raters_own_gold_and_regular_answers_look_alike_after_consensus(api, world):
    a, b = world.annotators
    gold_a, mine_gold = label(api, world, a)
    regular_a, mine_regular = label(api, world, a)
    label(api, world, b)  # gold
    regular_b, _ = label(api, world, b)  # agrees with a: consensus accepts both answers
    assert regular_a["item_id"] == regular_b["item_id"] != gold_a["item_id"]
    managed = {x["id"]: x for x in api.get(f"/api/v1/projects/{world.project_id}/annotations",
                                           headers=as_(world, world.manager)).json()["data"]}
    assert managed[mine_regular["id"]]["status"] == "accepted"
    assert managed[mine_gold["id"]]["status"] == "submitted"

    for kind, mine in (("gold", mine_gold), ("regular", mine_regular)):
        for route, seen in own_view(api, world, a, mine["id"]).items():
            assert set(seen) == RATER_ANNOTATION_KEYS, (kind, route, seen)
    # the revise answer is the rater's view too
    for mine in (mine_gold, mine_regular):
        edited = api.patch(f"/api/v1/annotations/{mine['id']}",
                           json={"result": {"sentiment": "neutral"}}, headers=as_(world, a))
        assert edited.status_code == 200 and set(edited.json()) == RATER_ANNOTATION_KEYS

    from labelwell.client import Client
    from sdk_transport import Via

    sdk = Client("http://testserver", world.token(a), transport=Via(api))
    own = [x for x in sdk.annotations(world.project_id) if x.agent == a.email]
    assert len(own) == 2 and {x.status for x in own} == {None}
    assert {x.status for x in Client("http://testserver", world.token(world.manager),
                                     transport=Via(api)).annotations(world.project_id)} >= {
        "accepted", "submitted"}


def test_a_review_fix_of_a_raters_answer_leaves_their_own_view_as_they_left_it(api, world):
    a, b = world.annotators
    label(api, world, a, "negative")  # gold
    label(api, world, b, "positive")  # gold
    _, mine = label(api, world, a, "positive")
    label(api, world, b, "negative")  # no majority: escalated, reviewers may fix answers
    fixed = api.post(f"/api/v1/annotations/{mine['id']}/reviews",
                     json={"decision": "fix", "result": {"sentiment": "neutral"}},
                     headers=as_(world, world.reviewer))
    assert fixed.status_code == 201, fixed.text
    seen = api.get(f"/api/v1/projects/{world.project_id}/annotations",
                   headers=as_(world, a)).json()["data"]
    own = [x for x in seen if x["agent"] == a.email]
    assert {x["id"] for x in own} >= {mine["id"]}  # still listed as their latest answer
    assert all(set(x) == RATER_ANNOTATION_KEYS for x in seen)
    again = api.get(f"/api/v1/annotations/{mine['id']}", headers=as_(world, a)).json()
    assert again["result"] == {"sentiment": "positive"} and set(again) == RATER_ANNOTATION_KEYS


def test_a_retried_submit_answers_as_the_first_one_did_on_gold_and_regular_items(api, world):
    a, b = world.annotators

    def keyed(actor, key, value="positive"):
        task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next",
                        headers=as_(world, actor)).json()
        body = {"result": {"sentiment": value}, "idempotency_key": key}
        url = f"/api/v1/assignments/{task['assignment_id']}/submit"
        first = api.post(url, json=body, headers=as_(world, actor))
        assert first.status_code == 201, first.text
        return url, body, first.json()

    on_gold = keyed(a, "a-gold")
    on_regular = keyed(a, "a-regular")
    label(api, world, b)  # gold
    label(api, world, b)  # agrees with a on the regular item: consensus accepts a's answer
    managed = api.get(f"/api/v1/annotations/{on_regular[2]['id']}",
                      headers=as_(world, world.manager)).json()
    assert managed["status"] == "accepted"

    for url, body, first in (on_regular, on_gold):
        again = api.post(url, json=body, headers=as_(world, a))
        assert again.status_code == 200, again.text
        assert again.json() == first  # the same shape and values as the fresh submit
        assert "status" not in first and "is_current" not in first

    from labelwell.client import Client
    from sdk_transport import Via

    sdk = Client("http://testserver", world.token(a), transport=Via(api))
    for url, body, first in (on_gold, on_regular):
        assignment_id = int(url.split("/")[-2])
        done = sdk.submit(assignment_id, body["result"], idempotency_key=body["idempotency_key"])
        assert (done.id, done.status, done.is_current) == (first["id"], None, None)
