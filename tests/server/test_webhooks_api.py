"""Webhooks over the HTTP API: the secret shown once, a ping to a real local
receiver, the delivery log, redelivery by hand, and who may do what."""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient

import webhook_receiver
from labelwell.server import create_app
from labelwell.webhook_signature import verify
from labelwell.work import webhooks
from world import build_world

receiver = webhook_receiver.receiver


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=1, n_items=2)


@pytest.fixture
def api(db, settings, world, monkeypatch):
    monkeypatch.setenv(webhooks.PRIVATE_HOSTS_ENV, "1")
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        yield client


def _as(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def test_a_manager_adds_pings_reads_redelivers_and_removes_a_hook(api, world, receiver):
    base = f"/api/v1/projects/{world.project_id}/webhooks"
    made = api.post(base, json={"url": receiver.url, "events": ["item.completed"]},
                    headers=_as(world, world.manager))
    assert made.status_code == 201, made.text
    hook = made.json()
    secret = hook.pop("secret")
    assert secret.startswith("whsec_")
    listed = api.get(base, headers=_as(world, world.manager)).json()
    assert listed["count"] == 1 and "secret" not in listed["data"][0]
    assert listed["data"][0] == hook

    ping = api.post(f"{base}/{hook['id']}/test", headers=_as(world, world.manager))
    assert ping.status_code == 200, ping.text
    assert ping.json()["state"] == "delivered" and ping.json()["response_code"] == 200
    (request,) = receiver.requests
    verify(secret, request.headers["labelwell-signature"], request.body)
    assert orjson.loads(request.body)["event"] == "ping"

    log = api.get(f"{base}/{hook['id']}/deliveries", headers=_as(world, world.manager)).json()
    assert [d["id"] for d in log["data"]] == [ping.json()["id"]]
    again = api.post(f"{base}/{hook['id']}/deliveries/{ping.json()['id']}/redeliver",
                     headers=_as(world, world.manager))
    assert again.status_code == 200, again.text
    assert again.json()["event_id"] == ping.json()["event_id"]
    assert again.json()["id"] != ping.json()["id"]
    assert len(receiver.requests) == 2

    paused = api.patch(f"{base}/{hook['id']}", json={"active": False},
                       headers=_as(world, world.manager))
    assert paused.json()["active"] is False
    gone = api.delete(f"{base}/{hook['id']}", headers=_as(world, world.manager))
    assert gone.status_code == 204
    assert api.get(base, headers=_as(world, world.manager)).json()["count"] == 0


def test_bad_hooks_are_422s_naming_the_field_and_others_are_kept_out(api, world):
    base = f"/api/v1/projects/{world.project_id}/webhooks"
    bad = api.post(base, json={"url": "gopher://x", "events": ["item.completed"]},
                   headers=_as(world, world.manager))
    assert bad.status_code == 422 and "url" in bad.text
    bad = api.post(base, json={"url": "https://example.org/h", "events": ["x"]},
                   headers=_as(world, world.manager))
    assert bad.status_code == 422 and "events[0]" in bad.text
    body = {"url": "https://example.org/h", "events": ["item.completed"]}
    assert api.post(base, json=body, headers=_as(world, world.annotators[0])).status_code == 403
    assert api.get(base, headers=_as(world, world.outsider)).status_code == 404
    assert api.get(f"{base}/999/deliveries", headers=_as(world, world.manager)).status_code == 404
