"""The annotator's own view beside the task: progress (done today, left for
them) and their latest submissions, editable while the project allows it,
gold and regular items alike."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from labelwell.store.tables import Annotation, Assignment, utcnow
from labelwell.work.workspace import RECENT_LIMIT
from world import build_world


@pytest.fixture
def world(db):
    # item x2 is gold; gold_ratio 1 serves it first
    return build_world(
        db, n_annotators=2, n_items=4, gold_ratio=1.0, gold={2: {"sentiment": "negative"}}
    )


def as_(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def label(api, world, actor, value="positive"):
    task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=as_(world, actor))
    assert task.status_code == 200, task.text
    task = task.json()
    done = api.post(
        f"/api/v1/assignments/{task['assignment_id']}/submit",
        json={"result": {"sentiment": value}},
        headers=as_(world, actor),
    )
    assert done.status_code == 201, done.text
    return task, done.json()


def progress(api, world, actor, **params):
    r = api.get(
        f"/api/v1/projects/{world.project_id}/my/progress", params=params, headers=as_(world, actor)
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_progress_counts_today_and_what_is_left(api, world):
    ann, other = world.annotators
    assert progress(api, world, ann) == {"done_today": 0, "left": 4, "left_capped": False}
    left = []
    for value in ("negative", "positive", "neutral", "positive"):  # the gold item first
        task = api.post(
            f"/api/v1/projects/{world.project_id}/tasks/next", headers=as_(world, ann)
        ).json()
        left.append(progress(api, world, ann)["left"])  # holding the lease
        api.post(
            f"/api/v1/assignments/{task['assignment_id']}/submit",
            json={"result": {"sentiment": value}},
            headers=as_(world, ann),
        )
        left.append(progress(api, world, ann)["left"])
    # one off per submit, gold or not: the count never tells a gold item apart
    assert left == [4, 3, 3, 2, 2, 1, 1, 0]
    assert progress(api, world, ann)["done_today"] == 4
    # with overlap 1 the others only have the gold item left, which everyone answers
    assert progress(api, world, other) == {"done_today": 0, "left": 1, "left_capped": False}


def test_today_starts_at_the_callers_midnight(api, world, db):
    ann = world.annotators[0]
    label(api, world, ann)
    with db.session() as s:  # submitted 30 hours ago: yesterday in every time zone
        s.execute(
            update(Assignment)
            .where(Assignment.user_id == ann.id)
            .values(finished_at=utcnow() - timedelta(hours=30))
        )
    assert progress(api, world, ann, utc_offset_minutes=540)["done_today"] == 0
    bad = api.get(
        f"/api/v1/projects/{world.project_id}/my/progress",
        params={"utc_offset_minutes": 9999},
        headers=as_(world, ann),
    )
    assert bad.status_code == 422 and "utc_offset_minutes" in bad.json()["error"]["message"]


def test_outsiders_get_no_progress_or_recent_list(api, world):
    for path in ("my/progress", "my/recent"):
        r = api.get(
            f"/api/v1/projects/{world.project_id}/{path}", headers=as_(world, world.outsider)
        )
        assert r.status_code in (403, 404), r.text


def test_recent_lists_the_latest_first_and_an_edit_is_a_new_revision(api, world):
    ann = world.annotators[0]
    first, _ = label(api, world, ann, "positive")  # gold
    second, _ = label(api, world, ann, "neutral")
    r = api.get(f"/api/v1/projects/{world.project_id}/my/recent", headers=as_(world, ann))
    assert r.status_code == 200, r.text
    rows = r.json()["data"]
    assert [x["item_id"] for x in rows] == [second["item_id"], first["item_id"]]
    assert all(x["editable"] and x["closed_reason"] is None for x in rows)
    assert rows[0]["data"] == second["data"] and rows[0]["result"] == {"sentiment": "neutral"}
    text = json.dumps(r.json())
    assert "gold" not in text  # a gold item looks like every other
    assert set(rows[1]) == set(rows[0])
    edited = api.patch(
        f"/api/v1/annotations/{rows[1]['annotation_id']}",
        json={"result": {"sentiment": "negative"}},
        headers=as_(world, ann),
    )
    assert edited.status_code == 200 and edited.json()["revision"] == 2
    again = api.get(
        f"/api/v1/projects/{world.project_id}/my/recent", headers=as_(world, ann)
    ).json()["data"]
    # the same order (by submission), the edit in place of the earlier revision
    assert [x["item_id"] for x in again] == [second["item_id"], first["item_id"]]
    assert again[1]["result"] == {"sentiment": "negative"} and again[1]["revision"] == 2
    assert (
        api.get(
            f"/api/v1/projects/{world.project_id}/my/recent",
            params={"limit": RECENT_LIMIT + 1},
            headers=as_(world, ann),
        ).status_code
        == 422
    )


def test_edits_close_after_the_projects_window(api, world, db):
    ann = world.annotators[0]
    manager = as_(world, world.manager)
    label(api, world, ann)  # gold
    label(api, world, ann)
    r = api.patch(
        f"/api/v1/projects/{world.project_id}/settings",
        headers=manager,
        json={"edit_own_minutes": 30},
    )
    assert r.status_code == 200, r.text
    with db.session() as s:  # the gold answer was submitted an hour ago
        s.execute(
            update(Annotation)
            .where(Annotation.is_gold_check.is_(True))
            .values(created_at=utcnow() - timedelta(hours=1))
        )
    rows = api.get(
        f"/api/v1/projects/{world.project_id}/my/recent", headers=as_(world, ann)
    ).json()["data"]
    assert [x["editable"] for x in rows] == [True, False]
    assert "30 minutes" in rows[1]["closed_reason"]
    late = api.patch(
        f"/api/v1/annotations/{rows[1]['annotation_id']}",
        json={"result": {"sentiment": "neutral"}},
        headers=as_(world, ann),
    )
    assert late.status_code == 409 and "30 minutes" in late.json()["error"]["message"]
    ok = api.patch(
        f"/api/v1/annotations/{rows[0]['annotation_id']}",
        json={"result": {"sentiment": "neutral"}},
        headers=as_(world, ann),
    )
    assert ok.status_code == 200, ok.text
    # a manager may still correct it
    fixed = api.patch(
        f"/api/v1/annotations/{rows[1]['annotation_id']}",
        json={"result": {"sentiment": "neutral"}},
        headers=manager,
    )
    assert fixed.status_code == 200, fixed.text
    api.patch(
        f"/api/v1/projects/{world.project_id}/settings",
        headers=manager,
        json={"edit_own_minutes": 0},
    )
    never = api.patch(
        f"/api/v1/annotations/{ok.json()['id']}",
        json={"result": {"sentiment": "negative"}},
        headers=as_(world, ann),
    )
    assert never.status_code == 409 and "does not let" in never.json()["error"]["message"]
