"""Assigning items to chosen annotators from the data manager: the queue serves
those people their items first and nobody else those items, on both databases;
unassigning gives the items back to anyone; both are audited and refusals name
the field."""

from __future__ import annotations

import pytest

from world import build_world


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=2, n_items=6, overlap=1)


def _h(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def _act(api, world, action, body):
    path = f"/api/v1/projects/{world.project_id}/data/actions/{action}"
    return api.post(path, json=body, headers=_h(world, world.manager))


def _take_all(api, world, actor) -> list[str]:
    """Lease and submit until the queue has nothing left for ``actor``; the texts, in order."""
    texts = []
    while True:
        task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=_h(world, actor))
        if task.status_code == 204:
            return texts
        assert task.status_code == 200, task.text
        texts.append(task.json()["data"]["text"])
        done = api.post(
            f"/api/v1/assignments/{task.json()['assignment_id']}/submit",
            json={"result": {"sentiment": "neutral"}},
            headers=_h(world, actor),
        )
        assert done.status_code == 201, done.text


def _ids(api, world, search):
    body = {"search": search, "sort": "id"}
    path = f"/api/v1/projects/{world.project_id}/data/items"
    rows = api.post(path, json=body, headers=_h(world, world.manager)).json()["data"]
    return [r["id"] for r in rows]


def test_assigned_items_go_to_their_assignee_first_and_to_nobody_else(api, world):
    ann0, ann1 = world.annotators
    chosen = _ids(api, world, "4") + _ids(api, world, "5")
    r = _act(api, world, "assign", {"item_ids": chosen, "user_ids": [ann0.id]})
    assert r.status_code == 200, r.text
    assert r.json()["changed"] == 2 and r.json()["selected"] == 2
    again = _act(api, world, "assign", {"item_ids": chosen, "user_ids": [ann0.id]})
    assert again.json()["changed"] == 0  # already assigned: kept as it was

    # the other annotator gets every item but the two assigned ones
    assert sorted(_take_all(api, world, ann1)) == [f"text number {i}" for i in range(4)]
    # the assignee gets their items first (and nothing else is left)
    assert _take_all(api, world, ann0) == ["text number 4", "text number 5"]

    audit = api.get(
        f"/api/v1/projects/{world.project_id}/audit", headers=_h(world, world.manager)
    ).json()["data"]
    entry = next(e for e in audit if e["action"] == "items.assign")
    assert entry["details"]["user_ids"] == [ann0.id] and entry["details"]["changed"] == 2


def test_unassigned_items_go_to_anyone_again(api, world):
    ann0, ann1 = world.annotators
    chosen = _ids(api, world, "0")
    assert _act(api, world, "assign", {"item_ids": chosen, "user_ids": [ann0.id]}).json()[
        "changed"
    ] == 1
    assert "text number 0" not in _take_all(api, world, ann1)
    r = _act(api, world, "unassign", {"item_ids": chosen})
    assert r.status_code == 200 and r.json()["changed"] == 1
    assert _take_all(api, world, ann1) == ["text number 0"]  # anyone's again
    assert _take_all(api, world, ann0) == []


def test_assign_by_filter_to_several_people(api, world):
    ann0, ann1 = world.annotators
    body = {"filter": {"search": "number"}, "user_ids": [ann0.id, ann1.id]}
    r = _act(api, world, "assign", body)
    assert r.json()["selected"] == 6 and r.json()["changed"] == 12
    assert len(_take_all(api, world, ann0)) == 6  # overlap 1: the first takes them all
    assert _take_all(api, world, ann1) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"item_ids": [1]}, "user_ids"),
        ({"item_ids": [1], "user_ids": []}, "user_ids"),
        ({"item_ids": [1], "user_ids": ["x"]}, "user_ids"),
    ],
)
def test_refusals_name_the_field(api, world, body, field):
    r = _act(api, world, "assign", body)
    assert r.status_code == 422, r.text
    assert field in r.text


def test_only_members_may_be_assigned_and_only_managers_assign(api, world):
    r = _act(api, world, "assign", {"item_ids": [1], "user_ids": [world.outsider.id]})
    assert r.status_code == 422
    assert r.json()["error"]["details"]["field"] == "user_ids[0]"
    path = f"/api/v1/projects/{world.project_id}/data/actions/assign"
    ann0 = world.annotators[0]
    r = api.post(path, json={"item_ids": [1], "user_ids": [ann0.id]}, headers=_h(world, ann0))
    assert r.status_code in (403, 404)
