"""Webhooks: events published where they happen, signed, sent by the worker to
a real local receiver, retried with backoff, bounded and never redirected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select

import webhook_receiver
from labelwell.errors import Forbidden, InvalidInput, NotFound
from labelwell.store.tables import Webhook, WebhookDelivery
from labelwell.webhook_signature import SignatureError, sign, verify
from labelwell.work import jobs, queue, webhooks
from world import build_world

receiver = webhook_receiver.receiver

TEXTS = ["all agree", "all differ"]
VOTES = {"all agree": ["positive"] * 3, "all differ": ["positive", "negative", "neutral"]}


def label_everything(db, world):
    for i, actor in enumerate(world.annotators):
        while True:
            with db.session() as s:
                task = queue.next_task(s, actor, world.project_id)
                if task is None:
                    break
                queue.submit(
                    s, actor, task.assignment_id, {"sentiment": VOTES[task.data["text"]][i]}
                )


def add_hook(db, world, url, events, home):
    with db.session() as s:
        made = webhooks.create(s, world.manager, world.project_id, url, events, home)
        return made.hook.id, made.secret


def deliveries(db, hook_id=None):
    with db.read_session() as s:
        query = select(WebhookDelivery).order_by(WebhookDelivery.id)
        if hook_id is not None:
            query = query.where(WebhookDelivery.webhook_id == hook_id)
        return list(s.scalars(query))


def test_signature_round_trip_and_refusals():
    body = b'{"a": 1}'
    header = sign("whsec_x", body, timestamp=1_700_000_000)
    assert verify("whsec_x", header, body, now=1_700_000_100) == 1_700_000_000
    with pytest.raises(SignatureError, match="does not match"):
        verify("whsec_y", header, body, now=1_700_000_100)
    with pytest.raises(SignatureError, match="does not match"):
        verify("whsec_x", header, b'{"a": 2}', now=1_700_000_100)
    with pytest.raises(SignatureError, match="away from now"):
        verify("whsec_x", header, body, now=1_700_000_000 + 301)
    with pytest.raises(SignatureError, match="no Labelwell-Signature"):
        verify("whsec_x", None, body)


def test_labeling_fires_signed_events_the_worker_sends(db, receiver, tmp_path, monkeypatch):
    monkeypatch.setenv(webhooks.PRIVATE_HOSTS_ENV, "1")
    world = build_world(db, n_annotators=3, texts=TEXTS, overlap=3)
    hook_id, secret = add_hook(
        db, world, receiver.url, ["item.completed", "item.escalated", "project.completed"], tmp_path
    )
    other_id, _ = add_hook(db, world, receiver.url + "/other", ["export.ready"], tmp_path)
    label_everything(db, world)
    queued = deliveries(db)
    assert sorted(d.event for d in queued) == [
        "item.completed",
        "item.completed",
        "item.escalated",
        "project.completed",
    ]
    assert {d.webhook_id for d in queued} == {hook_id}  # the export hook took none
    assert {d.state for d in queued} == {"pending"}
    assert receiver.requests == []  # labeling never waited on the receiver

    assert jobs.work(db, tmp_path, once=True) == 0  # no job, but the deliveries went out
    assert {d.state for d in deliveries(db)} == {"delivered"}
    assert len(receiver.requests) == 4
    for request in receiver.requests:
        verify(secret, request.headers["labelwell-signature"], request.body)
        body = orjson.loads(request.body)
        assert body["event"] == request.headers["labelwell-event"]
        assert body["project_id"] == world.project_id
    escalated = [orjson.loads(r.body) for r in receiver.requests]
    escalated = [b for b in escalated if b["event"] == "item.escalated"]
    with db.read_session() as s:
        from labelwell.store.tables import Item

        differ = s.scalar(select(Item.id).where(Item.data["text"].as_string() == "all differ"))
    assert escalated[0]["data"]["item_id"] == differ
    assert other_id not in {d.webhook_id for d in deliveries(db)}


def test_failures_are_retried_with_exponential_backoff(db, receiver, tmp_path):
    world = build_world(db, n_annotators=1, n_items=1)
    receiver.answers = [500, 503, 200]
    hook_id, secret = add_hook(db, world, receiver.url, ["item.completed"], tmp_path)
    label_everything_one(db, world)
    t0 = datetime.now(UTC) + timedelta(seconds=1)

    def due(at):
        return webhooks.deliver_due(db, tmp_path, at=at, backoff_s=10, allow_private=True)

    assert due(t0) == 1
    (d,) = deliveries(db, hook_id)
    assert (d.state, d.attempts, d.response_code) == ("pending", 1, 500)
    assert d.next_attempt_at == t0 + timedelta(seconds=10)
    assert due(t0 + timedelta(seconds=9)) == 0  # not due yet
    assert due(t0 + timedelta(seconds=10)) == 1
    (d,) = deliveries(db, hook_id)
    assert (d.state, d.attempts, d.response_code) == ("pending", 2, 503)
    assert d.next_attempt_at == t0 + timedelta(seconds=10 + 20)
    assert due(t0 + timedelta(seconds=30)) == 1
    (d,) = deliveries(db, hook_id)
    assert (d.state, d.attempts, d.response_code, d.error) == ("delivered", 3, 200, None)
    assert d.latency_ms is not None and d.latency_ms >= 0
    assert len(receiver.requests) == 3
    ids = {orjson.loads(r.body)["id"] for r in receiver.requests}
    assert ids == {d.event_id}  # the same event each time
    for r in receiver.requests:
        verify(secret, r.headers["labelwell-signature"], r.body)
    assert [webhooks.delay_after(n, 30) for n in (1, 2, 3, 12)] == [30, 60, 120, 3600]


def test_a_delivery_gives_up_after_its_last_attempt(db, receiver, tmp_path):
    world = build_world(db, n_annotators=1, n_items=1)
    receiver.answers = [500]
    hook_id, _ = add_hook(db, world, receiver.url, ["item.completed"], tmp_path)
    label_everything_one(db, world)
    at = datetime.now(UTC) + timedelta(seconds=1)
    for _ in range(webhooks.MAX_ATTEMPTS):
        assert webhooks.deliver_due(db, tmp_path, at=at, allow_private=True) == 1
        at += timedelta(hours=2)
    (d,) = deliveries(db, hook_id)
    assert (d.state, d.attempts, d.next_attempt_at) == ("failed", webhooks.MAX_ATTEMPTS, None)
    assert webhooks.deliver_due(db, tmp_path, at=at, allow_private=True) == 0


def label_everything_one(db, world):
    actor = world.annotators[0]
    with db.session() as s:
        task = queue.next_task(s, actor, world.project_id)
        queue.submit(s, actor, task.assignment_id, {"sentiment": "positive"})


def test_private_addresses_and_redirects_are_refused(db, receiver, tmp_path, monkeypatch):
    monkeypatch.delenv(webhooks.PRIVATE_HOSTS_ENV, raising=False)
    world = build_world(db, n_annotators=1, n_items=1)
    hook_id, _ = add_hook(db, world, receiver.url, ["item.completed"], tmp_path)
    label_everything_one(db, world)
    assert webhooks.deliver_due(db, tmp_path) == 1
    (d,) = deliveries(db, hook_id)
    assert d.state == "pending" and "non-public address" in d.error
    assert receiver.requests == []  # never called

    receiver.answers = [302]
    receiver.location = "http://169.254.169.254/latest/meta-data"
    later = datetime.now(UTC) + timedelta(hours=1)
    assert webhooks.deliver_due(db, tmp_path, at=later, allow_private=True) == 1
    (d,) = deliveries(db, hook_id)
    assert (d.state, d.response_code, d.error) == ("pending", 302, "redirects are not followed")
    assert len(receiver.requests) == 1


def test_hooks_are_checked_and_secrets_stored_encrypted(db, tmp_path):
    world = build_world(db, n_annotators=1, n_items=1)
    with db.session() as s:
        for url, match in [
            ("ftp://example.org/x", "http:// or https://"),
            ("file:///etc/passwd", "http:// or https://"),
            ("https://user:pw@example.org/", "user name or password"),
        ]:
            with pytest.raises(InvalidInput, match=match):
                webhooks.create(
                    s, world.manager, world.project_id, url, ["item.completed"], tmp_path
                )
        with pytest.raises(InvalidInput, match=r"events\[1\]: unknown event 'nope'"):
            webhooks.create(
                s, world.manager, world.project_id, "https://example.org/h",
                ["item.completed", "nope"], tmp_path,
            )
        with pytest.raises(Forbidden):
            webhooks.create(
                s, world.reviewer, world.project_id, "https://example.org/h",
                ["item.completed"], tmp_path,
            )
        with pytest.raises(NotFound):
            webhooks.listing(s, world.outsider, world.project_id)
        made = webhooks.create(
            s, world.manager, world.project_id, "https://example.org/h", ["export.ready"], tmp_path
        )
        stored = s.scalar(select(Webhook.secret).where(Webhook.id == made.hook.id))
    assert made.secret.startswith("whsec_") and made.secret not in stored
    assert webhooks.server_key(tmp_path).decrypt(stored.encode()).decode() == made.secret
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0


def test_an_export_job_publishes_export_ready(db, receiver, tmp_path):
    world = build_world(db, n_annotators=1, n_items=2)
    hook_id, _ = add_hook(db, world, receiver.url, ["export.ready"], tmp_path)
    with db.session() as s:
        job, _ = jobs.enqueue(s, world.manager, "export", world.project_id, {"format": "jsonl"})
        job_id = job.id
    assert jobs.work(db, tmp_path, once=True) == 1
    (d,) = deliveries(db, hook_id)
    assert d.event == "export.ready"
    assert d.payload["data"] == {"job_id": job_id, "format": "jsonl", "items": 2,
                                 "bytes": d.payload["data"]["bytes"]}
    assert d.payload["data"]["bytes"] > 0


def test_the_verification_code_in_the_docs_accepts_a_real_delivery(db, receiver, tmp_path):
    """The receiver's snippet of docs/pipelines.md, run on a signed ping."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "pipelines.md").read_text()
    section = text.split("### Verifying a delivery", 1)[1]
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict = {}
    exec(compile(snippet, "docs/pipelines.md", "exec"), scope)  # noqa: S102 (our own docs)
    world = build_world(db, n_annotators=1, n_items=1)
    hook_id, secret = add_hook(db, world, receiver.url, ["item.completed"], tmp_path)
    webhooks.test(db, world.manager, world.project_id, hook_id, tmp_path, allow_private=True)
    (request,) = receiver.requests
    assert scope["verify"](secret, request.headers["labelwell-signature"], request.body)
    assert not scope["verify"]("whsec_other", request.headers["labelwell-signature"], request.body)
    assert not scope["verify"](secret, request.headers["labelwell-signature"], request.body + b" ")
