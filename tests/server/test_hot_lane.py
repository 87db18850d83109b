"""The annotator's loop answered by the hot lane (server/hot_lane.py) is the
loop FastAPI's routes answer: the same requests, sent to two apps over two
databases seeded alike, one with the lane and one without, get the same
statuses and bodies, the refusals included."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import make_database
from labelwell.server import create_app
from labelwell.server.hot_lane import HotLane
from labelwell.server.routes import tasks
from labelwell.server.web.session import SESSION_COOKIE
from world import build_world


def _without_lane(app: Any) -> Any:
    app.user_middleware = [m for m in app.user_middleware if m.cls is not HotLane]
    return app


def _comparable(response: Any) -> tuple[int, Any]:
    """Status and body, less the times (two runs never share a clock)."""
    try:
        body = response.json()
    except ValueError:
        return response.status_code, response.text

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if not k.endswith("_at")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return response.status_code, strip(body)


def _conversation(client: TestClient, world: Any) -> list[tuple[int, Any]]:
    """Every kind of request the lane sees, well-formed or not."""
    ann, other = world.annotators[0], world.annotators[1]
    me = {"Authorization": f"Bearer {world.token(ann)}"}
    them = {"Authorization": f"Bearer {world.token(other)}"}
    nxt = f"/api/v1/projects/{world.project_id}/tasks/next"
    out = [
        client.post(nxt),
        client.post(nxt, headers={"Authorization": "Bearer lw_not-a-token"}),
        client.post(nxt, headers={"Authorization": "Basic abc"}),
        client.post(nxt, cookies={SESSION_COOKIE: "not-a-session"}),
        client.post("/api/v1/projects/0/tasks/next", headers=me),
        client.post(f"/api/v1/projects/{2**63}/tasks/next", headers=me),
        client.post("/api/v1/projects/x/tasks/next", headers=me),
        client.post("/api/v1/projects/999999/tasks/next", headers=me),
        client.post(nxt + "?note=%00", headers=me),
    ]
    task = client.post(nxt, headers=me)
    out += [task, client.post(nxt, headers=me)]
    submit = f"/api/v1/assignments/{task.json()['assignment_id']}/submit"
    # the time spent is given: left out, the server measures it, never twice alike
    answer = {"result": {"sentiment": "positive"}, "idempotency_key": "k-1", "time_spent_ms": 900}
    out += [
        client.post(submit, content=b'{"result": {"sentiment": "positive"}}', headers=me),
        client.post(submit, content=b"{not json",
                    headers={**me, "content-type": "application/json"}),
        client.post(submit, json={}, headers=me),
        client.post(submit, json={"result": {}, "surprise": 1}, headers=me),
        client.post(submit, json={"result": {"sentiment": "positive"}, "time_spent_ms": -1},
                    headers=me),
        client.post(submit, json={"result": {"sentiment": "pos\x00itive"}}, headers=me),
        client.post(submit, json={"result": {"sentiment": "nope"}}, headers=me),
        client.post(submit, json=answer, headers=them),
        client.post(submit, json=answer),
        client.post("/api/v1/assignments/0/submit", json=answer, headers=me),
        client.post("/api/v1/assignments/999999/submit", json=answer, headers=me),
        client.post(submit, json=answer, headers=me),
        client.post(submit, json=answer, headers=me),  # the retry: 200, the same answer
        client.post(submit, json={"result": {"sentiment": "negative"}, "time_spent_ms": 5},
                    headers=me),
        client.post(nxt, headers=me),
    ]
    return [_comparable(r) for r in out]


def test_the_lane_answers_as_fastapi_would(backend, db, settings, tmp_path, monkeypatch):
    answered: list[str] = []
    for name in ("next_task", "submit"):
        route = getattr(tasks, name)

        async def counted(*args: Any, _route: Any = route, _name: str = name) -> Any:
            answered.append(_name)
            return await _route(*args)

        monkeypatch.setattr(tasks, name, counted)  # the lane calls through the module

    other_db, pg = make_database(backend, tmp_path / "without-lane")
    try:
        results = []
        for database, wrap in ((db, lambda app: app), (other_db, _without_lane)):
            world = build_world(database, n_annotators=2, n_items=3, overlap=2)
            app = wrap(create_app(settings, database=database, migrate=False))
            with TestClient(app) as client:
                results.append(_conversation(client, world))
    finally:
        other_db.dispose()
        if pg is not None:
            pg.drop()

    with_lane, without = results
    for i, (a, b) in enumerate(zip(with_lane, without, strict=True)):
        assert a == b, f"request {i}: {a} != {b}"
    statuses = [status for status, _ in with_lane]
    assert {200, 201, 204, 401, 403, 404, 409, 422} >= set(statuses)
    assert statuses.count(201) == 1 and 422 in statuses and 401 in statuses
    # the lane answered the well-formed ones itself; FastAPI answered none of those
    assert answered.count("next_task") >= 4 and answered.count("submit") >= 3


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_body_over_the_cap_is_refused_before_the_lane(db, settings):
    world = build_world(db, n_annotators=1, n_items=1)
    small = replace(settings, max_body_bytes=1_000)
    with TestClient(create_app(small, database=db, migrate=False)) as client:
        headers = {"Authorization": f"Bearer {world.token(world.annotators[0])}"}
        task = client.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=headers)
        big = {"result": {"sentiment": "positive", "note": "x" * 5_000}}
        refused = client.post(f"/api/v1/assignments/{task.json()['assignment_id']}/submit",
                              json=big, headers=headers)
    assert refused.status_code == 413
