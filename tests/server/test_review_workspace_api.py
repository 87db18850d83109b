"""Review inside the workspace over the API: labels returned with a comment and
redone, an item's history with provenance, comments with @mentions, and what
raters never learn (gold items, others' labels in blind projects)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from labelwell.server import create_app
from world import build_world


@pytest.fixture
def api(db, settings):
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        yield client


def _as(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def _answer(api, world, actor, label="positive"):
    task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=_as(world, actor))
    if task.status_code == 204:
        return None
    assert task.status_code == 200, task.text
    body = task.json()
    done = api.post(
        f"/api/v1/assignments/{body['assignment_id']}/submit",
        json={"result": {"sentiment": label}},
        headers=_as(world, actor),
    )
    assert done.status_code == 201, done.text
    return done.json()["id"], body["item_id"]


def test_a_rejection_returns_to_the_annotator_who_redoes_it(api, db):
    world = build_world(db, n_items=2, n_annotators=1)
    ann = world.annotators[0]
    annotation_id, item_id = _answer(api, world, ann, "neutral")
    assert (
        api.get(f"/api/v1/projects/{world.project_id}/returned", headers=_as(world, ann)).json()[
            "data"
        ]
        == []
    )
    r = api.post(
        f"/api/v1/annotations/{annotation_id}/reviews",
        headers=_as(world, world.reviewer),
        json={"decision": "reject", "comment": "The customer is happy."},
    )
    assert r.status_code == 201, r.text
    returned = api.get(f"/api/v1/projects/{world.project_id}/returned", headers=_as(world, ann))
    assert returned.status_code == 200
    (entry,) = returned.json()["data"]
    assert entry["annotation_id"] == annotation_id and entry["item_id"] == item_id
    assert entry["comment"] == "The customer is happy."
    assert entry["reviewer"] == world.reviewer.email
    assert entry["result"] == {"sentiment": "neutral"}
    # nobody else redoes it, and a result must fit the ontology
    other = api.post(
        f"/api/v1/annotations/{annotation_id}/redo",
        headers=_as(world, world.reviewer),
        json={"result": {"sentiment": "positive"}},
    )
    assert other.status_code == 404
    bad = api.post(
        f"/api/v1/annotations/{annotation_id}/redo",
        headers=_as(world, ann),
        json={"result": {"sentiment": "glad"}},
    )
    assert bad.status_code == 422 and "sentiment" in bad.text
    redo = api.post(
        f"/api/v1/annotations/{annotation_id}/redo",
        headers=_as(world, ann),
        json={"result": {"sentiment": "positive"}},
    )
    assert redo.status_code == 201, redo.text
    new = redo.json()
    assert new["supersedes_id"] == annotation_id and new["revision"] == 2
    assert (
        api.get(f"/api/v1/projects/{world.project_id}/returned", headers=_as(world, ann)).json()[
            "data"
        ]
        == []
    )
    again = api.post(
        f"/api/v1/annotations/{annotation_id}/redo",
        headers=_as(world, ann),
        json={"result": {"sentiment": "positive"}},
    )
    assert again.status_code == 409
    # the redo is back in the reviewer's queue, the rejected answer is not
    queue = api.get(
        f"/api/v1/projects/{world.project_id}/review-queue",
        params={"state": "submitted"},
        headers=_as(world, world.reviewer),
    ).json()
    ids = [a["id"] for e in queue["data"] for a in e["annotations"]]
    assert new["id"] in ids and annotation_id not in ids


def test_history_shows_every_revision_with_who_when_and_source(api, db):
    world = build_world(db, n_items=1, n_annotators=1)
    ann = world.annotators[0]
    first, item_id = _answer(api, world, ann, "neutral")
    api.post(
        f"/api/v1/projects/{world.project_id}/predictions",
        headers=_as(world, world.manager),
        json={
            "predictions": [
                {
                    "item_id": item_id,
                    "model_name": "sent-bert",
                    "model_version": "3",
                    "result": {"sentiment": "positive"},
                    "score": 0.8,
                }
            ]
        },
    ).raise_for_status()
    fix = api.post(
        f"/api/v1/annotations/{first}/reviews",
        headers=_as(world, world.reviewer),
        json={"decision": "fix", "comment": "happy", "result": {"sentiment": "positive"}},
    )
    assert fix.status_code == 201, fix.text
    fixed_id = fix.json()["fixed_annotation_id"]
    manager = api.get(f"/api/v1/items/{item_id}/history", headers=_as(world, world.manager)).json()
    rows = {(r["kind"], r["id"]): r for r in manager["data"]}
    original = rows[("annotation", first)]
    assert original["agent"] == ann.email and original["source"] == "human"
    assert original["result"] == {"sentiment": "neutral"} and original["is_current"] is False
    assert [
        (e["decision"], e["reviewer"], e["fixed_annotation_id"]) for e in original["reviews"]
    ] == [("fix", world.reviewer.email, fixed_id)]
    fixed = rows[("annotation", fixed_id)]
    assert fixed["supersedes_id"] == first and fixed["agent"] == world.reviewer.email
    assert fixed["result"] == {"sentiment": "positive"} and fixed["is_current"] is True
    (prediction,) = [r for r in manager["data"] if r["kind"] == "prediction"]
    assert prediction["source"] == "model" and prediction["agent"] == "sent-bert@3"
    # the annotator sees their own revision and its review, no model, no status
    mine = api.get(f"/api/v1/items/{item_id}/history", headers=_as(world, ann)).json()["data"]
    assert {r["kind"] for r in mine} == {"annotation"}
    assert all(r["status"] is None and r["is_current"] is None for r in mine)
    assert first in {r["id"] for r in mine}
    # nobody outside the project, and no item an annotator was not given
    assert (
        api.get(f"/api/v1/items/{item_id}/history", headers=_as(world, world.outsider)).status_code
        == 404
    )


def test_comments_with_mentions_notify_project_members(api, db):
    world = build_world(db, n_items=1, n_annotators=1)
    ann = world.annotators[0]
    _, item_id = _answer(api, world, ann)
    post = api.post(
        f"/api/v1/items/{item_id}/comments",
        headers=_as(world, world.reviewer),
        json={"body": f"@{ann.email}, is 'fine' positive here?"},
    )
    assert post.status_code == 201, post.text
    assert post.json()["mentions"] == [ann.email]
    unread = api.get("/api/v1/me/mentions", headers=_as(world, ann)).json()
    assert unread["unread"] == 1 and unread["data"][0]["comment"]["item_id"] == item_id
    assert api.get("/api/v1/me/mentions", headers=_as(world, world.manager)).json()["unread"] == 0
    reply = api.post(
        f"/api/v1/items/{item_id}/comments",
        headers=_as(world, ann),
        json={"body": "Yes: the guideline counts 'fine' as positive."},
    )
    assert reply.status_code == 201
    thread = api.get(f"/api/v1/items/{item_id}/comments", headers=_as(world, world.manager)).json()
    assert [c["author"] for c in thread["data"]] == [world.reviewer.email, ann.email]
    read = api.post("/api/v1/me/mentions/read", headers=_as(world, ann))
    assert read.json() == {"marked": 1}
    assert api.get("/api/v1/me/mentions", headers=_as(world, ann)).json()["unread"] == 0
    # a mention names a member; an empty comment is refused, both naming the field
    stranger = api.post(
        f"/api/v1/items/{item_id}/comments",
        headers=_as(world, ann),
        json={"body": f"@{world.outsider.email} look"},
    )
    assert stranger.status_code == 422 and "body" in stranger.text
    empty = api.post(
        f"/api/v1/items/{item_id}/comments", headers=_as(world, ann), json={"body": "   "}
    )
    assert empty.status_code == 422 and "body" in empty.text
    assert (
        api.get(f"/api/v1/items/{item_id}/comments", headers=_as(world, world.outsider)).status_code
        == 404
    )


def test_blind_and_gold_projects_keep_others_labels_and_comments_from_raters(api, db):
    world = build_world(db, n_items=1, n_annotators=2, overlap=2, blind=True)
    a0, a1 = world.annotators
    first, item_id = _answer(api, world, a0, "neutral")
    second, same = _answer(api, world, a1, "negative")
    assert same == item_id
    for actor, body in ((a0, "I was unsure."), (a1, "Clearly negative.")):
        api.post(
            f"/api/v1/items/{item_id}/comments", headers=_as(world, actor), json={"body": body}
        ).raise_for_status()
    history = api.get(f"/api/v1/items/{item_id}/history", headers=_as(world, a0)).json()["data"]
    assert {r["id"] for r in history if r["kind"] == "annotation"} == {first}
    thread = api.get(f"/api/v1/items/{item_id}/comments", headers=_as(world, a0)).json()["data"]
    assert [c["body"] for c in thread] == ["I was unsure."]
    everyone = api.get(
        f"/api/v1/items/{item_id}/comments", headers=_as(world, world.manager)
    ).json()["data"]
    assert len(everyone) == 2
    # the reviewer sees both answers (reviewing them is their job)
    seen = api.get(f"/api/v1/items/{item_id}/history", headers=_as(world, world.reviewer)).json()
    assert {first, second} <= {r["id"] for r in seen["data"]}


def test_gold_items_look_like_the_others_to_annotators(api, db):
    world = build_world(
        db,
        n_items=2,
        n_annotators=2,
        gold={0: {"sentiment": "positive"}},
        gold_ratio=0.5,
        overlap=2,
    )
    a0, a1 = world.annotators
    views: dict[int, list] = {}
    for actor in (a0, a1):
        while (answered := _answer(api, world, actor, "neutral")) is not None:
            annotation_id, item_id = answered
            views.setdefault(item_id, []).append((actor, annotation_id))
    assert len(views) == 2  # the gold item and the regular one
    for item_id in views:  # the manager talks about both items, one of them gold
        api.post(
            f"/api/v1/items/{item_id}/comments",
            headers=_as(world, world.manager),
            json={"body": f"note on {item_id}"},
        ).raise_for_status()
    shapes = set()
    for item_id, answers in views.items():
        for actor, annotation_id in answers:
            rows = api.get(f"/api/v1/items/{item_id}/history", headers=_as(world, actor)).json()
            assert [r["id"] for r in rows["data"]] == [annotation_id]
            shapes.add(tuple(sorted(rows["data"][0])))
            assert rows["data"][0]["status"] is None and rows["data"][0]["reviews"] == []
            thread = api.get(f"/api/v1/items/{item_id}/comments", headers=_as(world, actor))
            assert thread.status_code == 200 and thread.json()["data"] == []
    assert len(shapes) == 1
