"""People and workforce cost through the HTTP API: who may manage whom, invites
that let a person log in, deactivation, a person's work, rates, budgets, payroll."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from labelwell.store.tables import Assignment, Item
from world import build_world

PASSWORD = "violet-harbour-lantern-42"


@pytest.fixture
def world(db):
    # gold first (gold_ratio 1), then the five regular items
    return build_world(
        db, n_annotators=2, n_items=6, gold={0: {"sentiment": "positive"}}, gold_ratio=1.0
    )


def _as(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def test_an_invited_person_sets_a_password_and_logs_in(api, world):
    r = api.post(
        "/api/v1/people",
        json={"email": "new@example.org", "role": "reviewer", "skills": ["ko", "medical"]},
        headers=_as(world, world.admin),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["user"]["has_password"] is False and body["user"]["skills"] == ["ko", "medical"]
    url = body["invite"]["url"]
    assert "/reset/lwr_" in url
    secret = url.rsplit("/", 1)[1]
    assert (
        api.post("/api/v1/auth/reset", json={"token": secret, "password": PASSWORD}).status_code
        == 204
    )
    login = api.post("/api/v1/auth/login", json={"email": "new@example.org", "password": PASSWORD})
    assert login.status_code == 201
    # the link works once
    again = api.post("/api/v1/auth/reset", json={"token": secret, "password": PASSWORD + "x"})
    assert again.status_code == 404
    # with a password there is no invite
    r = api.post(
        "/api/v1/people",
        json={"email": "pw@example.org", "password": PASSWORD},
        headers=_as(world, world.admin),
    )
    assert r.json()["invite"] is None and r.json()["user"]["has_password"] is True


def test_managers_manage_the_annotators_and_reviewers_of_their_projects(api, world):
    m = _as(world, world.manager)
    listed = {p["email"] for p in api.get("/api/v1/people", headers=m).json()["data"]}
    assert world.annotators[0].email in listed and world.reviewer.email in listed
    assert world.outsider.email not in listed and world.admin.email not in listed
    assert api.get(f"/api/v1/people/{world.outsider.id}", headers=m).status_code == 404
    r = api.patch(f"/api/v1/people/{world.outsider.id}", json={"skills": ["x"]}, headers=m)
    assert r.status_code == 404
    # a manager creates into a project they manage, annotators and reviewers only
    r = api.post("/api/v1/people", json={"email": "m1@example.org"}, headers=m)
    assert r.status_code == 422 and "project_id" in r.text
    r = api.post(
        "/api/v1/people",
        json={"email": "boss@example.org", "role": "admin", "project_id": world.project_id},
        headers=m,
    )
    assert r.status_code == 403
    r = api.post(
        "/api/v1/people",
        json={
            "email": "m1@example.org",
            "project_id": world.project_id,
            "project_role": "reviewer",
        },
        headers=m,
    )
    assert r.status_code == 201, r.text
    new_id = r.json()["user"]["id"]
    members = api.get(f"/api/v1/projects/{world.project_id}/members", headers=m).json()["data"]
    assert {"user_id": new_id, "role": "reviewer"}.items() <= next(
        x for x in members if x["user_id"] == new_id
    ).items()
    # role and skills
    r = api.patch(
        f"/api/v1/people/{new_id}", json={"role": "reviewer", "skills": ["ko", " ko "]}, headers=m
    )
    assert r.status_code == 200 and r.json()["role"] == "reviewer" and r.json()["skills"] == ["ko"]
    r = api.patch(f"/api/v1/people/{new_id}", json={"role": "manager"}, headers=m)
    assert r.status_code == 403
    r = api.patch(f"/api/v1/people/{new_id}", json={"role": "chief"}, headers=m)
    assert r.status_code == 422 and "role" in r.text
    # never an admin's password or another manager's state
    api.post(
        f"/api/v1/projects/{world.project_id}/members",
        json={"user_id": world.admin.id, "role": "manager"},
        headers=_as(world, world.admin),
    )
    r = api.put(f"/api/v1/people/{world.admin.id}/password", json={"password": PASSWORD}, headers=m)
    assert r.status_code in (403, 404)
    # annotators do not manage people
    a = _as(world, world.annotators[0])
    assert api.get("/api/v1/people", headers=a).status_code == 403
    assert api.post(f"/api/v1/people/{new_id}/invite", headers=a).status_code == 403


def test_a_deactivated_person_cannot_work_and_their_leases_go_back(api, db, world):
    who = world.annotators[0]
    h = _as(world, who)
    gold = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=h).json()
    r = api.post(
        f"/api/v1/assignments/{gold['assignment_id']}/submit",
        json={"result": {"sentiment": "positive"}},
        headers=h,
    )
    assert r.status_code == 201
    task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=h)
    assert task.status_code == 200
    item_id = task.json()["item_id"]
    with db.read_session() as s:
        before = s.get(Item, item_id).n_active
    r = api.patch(
        f"/api/v1/people/{who.id}", json={"is_active": False}, headers=_as(world, world.manager)
    )
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert api.get("/api/v1/me", headers=h).status_code == 401
    assert api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=h).status_code == 401
    with db.read_session() as s:
        lease = s.scalar(select(Assignment).where(Assignment.id == task.json()["assignment_id"]))
        assert lease.status == "expired"
        assert s.get(Item, item_id).n_active == before - 1
    # no invite for an inactive account; reactivated, the token works again
    r = api.post(f"/api/v1/people/{who.id}/invite", headers=_as(world, world.manager))
    assert r.status_code == 422
    r = api.patch(
        f"/api/v1/people/{who.id}", json={"is_active": True}, headers=_as(world, world.manager)
    )
    assert r.status_code == 200
    assert api.get("/api/v1/me", headers=h).status_code == 200
    # nobody deactivates themself
    r = api.patch(
        f"/api/v1/people/{world.admin.id}",
        json={"is_active": False},
        headers=_as(world, world.admin),
    )
    assert r.status_code == 422 and "is_active" in r.text


def test_a_person_shows_projects_throughput_and_gold_accuracy(api, world):
    who = world.annotators[1]
    h = _as(world, who)
    while True:
        task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=h)
        if task.status_code == 204:
            break
        r = api.post(
            f"/api/v1/assignments/{task.json()['assignment_id']}/submit",
            json={"result": {"sentiment": "negative"}},
            headers=h,
        )
        assert r.status_code == 201
    r = api.get(f"/api/v1/people/{who.id}", headers=_as(world, world.manager))
    assert r.status_code == 200, r.text
    body = r.json()
    (work,) = body["projects"]
    assert work["name"] == "p1" and work["role"] == "annotator"
    assert work["submitted"] == 6 and work["labels_7d"] == 6
    assert work["gold_n"] == 1 and work["gold_accuracy"] == 0.0
    listed = {
        p["email"]: p
        for p in api.get("/api/v1/people", headers=_as(world, world.admin)).json()["data"]
    }
    assert listed[who.email]["labels"] == 6 and listed[who.email]["projects"] == 1


def test_rates_cost_budget_and_payroll(api, world):
    m, adm = _as(world, world.manager), _as(world, world.admin)
    presets = api.get("/api/v1/rates/presets", headers=m).json()["data"]
    assert {(p["key"], p["low"], p["high"]) for p in presets} >= {
        ("general", 15.0, 25.0),
        ("specialist", 50.0, 100.0),
        ("rlhf_coding", 30.0, 60.0),
    }
    r = api.post("/api/v1/rates", json={"basis": "label", "amount": 0.5}, headers=m)
    assert r.status_code == 422 and "project_id" in r.text
    r = api.post("/api/v1/rates", json={"basis": "week", "amount": 1}, headers=adm)
    assert r.status_code == 422 and "basis" in r.text
    r = api.post(
        "/api/v1/rates",
        json={"basis": "label", "amount": 0.5, "project_id": world.project_id},
        headers=m,
    )
    assert r.status_code == 201, r.text
    assert [x["id"] for x in api.get("/api/v1/rates", headers=m).json()["data"]] == [r.json()["id"]]
    r = api.put(f"/api/v1/projects/{world.project_id}/budget", json={"cap": 1.0}, headers=m)
    assert r.json() == {"cap": 1.0, "spent": 0.0, "reached": False}
    h = _as(world, world.annotators[0])
    for _ in range(2):
        task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=h).json()
        done = api.post(
            f"/api/v1/assignments/{task['assignment_id']}/submit",
            json={"result": {"sentiment": "positive"}, "time_spent_ms": 60_000},
            headers=h,
        )
        assert done.status_code == 201
    stopped = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=h)
    assert stopped.status_code == 409 and "budget" in stopped.text
    report = api.get(f"/api/v1/projects/{world.project_id}/cost", headers=m).json()
    assert report["budget"] == {"cap": 1.0, "spent": 1.0, "reached": True}
    assert report["accepted"] == 2 and report["amount"] == 1.0
    assert report["per_accepted_label"] == 0.5
    assert (
        api.get(
            f"/api/v1/projects/{world.project_id}/cost", headers=_as(world, world.reviewer)
        ).status_code
        == 403
    )
    r = api.put(f"/api/v1/projects/{world.project_id}/budget", json={"cap": None}, headers=m)
    assert r.json()["reached"] is False
    today = date.today()
    r = api.get(
        "/api/v1/payroll.csv",
        params={"start": str(today - timedelta(days=1)), "end": str(today + timedelta(days=1))},
        headers=m,
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows == [
        {
            "period_start": str(today - timedelta(days=1)),
            "period_end": str(today + timedelta(days=1)),
            "email": world.annotators[0].email,
            "name": "",
            "hours": "0.03",
            "labels": "2",
            "amount": "1.0",
        }
    ]
    r = api.get(
        "/api/v1/payroll.csv", params={"start": "2026-01-02", "end": "2026-01-01"}, headers=m
    )
    assert r.status_code == 422 and "end" in r.text
    r = api.get(
        "/api/v1/payroll.csv", params={"start": "yesterday", "end": "2026-01-01"}, headers=m
    )
    assert r.status_code == 422 and "start" in r.text


def test_no_account_is_made_that_cannot_log_in(api, world):
    r = api.post(
        "/api/v1/users", json={"email": "nopw@example.org"}, headers=_as(world, world.admin)
    )
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "password"
    assert "POST /people" in r.json()["error"]["message"]
    r = api.post(
        "/api/v1/people", json={"email": "nopw@example.org"}, headers=_as(world, world.admin)
    )
    assert r.status_code == 201 and r.json()["invite"]["url"]
