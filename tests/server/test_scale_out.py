"""Two `labelwell serve` processes on two ports over one PostgreSQL and one
S3-compatible store (moto's server) behave as one server: a login on one works
on the other, media from the object store serve on both, a label submitted on
one reaches a live stream opened on the other, and the flywheel's retrain that
both servers' job workers see runs once."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

import storage_server
from labelwell.store.tables import AuditEntry, Item, Job, User
from labelwell.work import accounts
from live_stream import EventStream
from server_process import running
from waiting import wait_for
from world import build_world

#: seconds a server may take to start (two processes on this loaded machine
#: took over a minute, each importing the whole app)
START_S = 240.0


s3 = storage_server.s3
s3_server = storage_server.s3_server

PASSWORD = "scale out, one server"
TEXTS = [f"{word} review number {i}" for i in range(8) for word in ("great", "awful")]
FLYWHEEL = {"flywheel": True, "retrain_every": 6}


@pytest.fixture
def world(db, backend):
    if backend != "postgres":
        pytest.skip("servers on two hosts share PostgreSQL (SQLite is for one host)")
    world = build_world(db, n_annotators=2, texts=TEXTS, overlap=1, settings=FLYWHEEL)
    with db.session() as s:
        manager = s.get(User, world.manager.id)
        accounts.set_password(s, manager, PASSWORD, actor=None)
    return world


def bearer(world, actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.token(actor)}"}


def web_login(base: str, email: str) -> httpx.Cookies:
    """Log in through server ``base``'s login form; the session's cookies."""
    with httpx.Client(base_url=base, timeout=30) as browser:
        form = browser.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf, "the login form carries a CSRF token"
        done = browser.post("/login", data={"email": email, "password": PASSWORD,
                                            "csrf": csrf.group(1), "next": "/projects"})
        assert done.status_code == 303, done.text[:300]
        return browser.cookies


def label(base: str, world, actor) -> dict:
    with httpx.Client(base_url=f"{base}/api/v1", headers=bearer(world, actor), timeout=60) as api:
        task = api.post(f"/projects/{world.project_id}/tasks/next")
        assert task.status_code == 200, task.text
        body = task.json()
        verdict = "positive" if body["data"]["text"].startswith("great") else "negative"
        done = api.post(f"/assignments/{body['assignment_id']}/submit",
                        json={"result": {"sentiment": verdict}})
        assert done.status_code == 201, done.text
        return {"item_id": body["item_id"], "annotation_id": done.json()["id"]}


@pytest.mark.slow
def test_two_servers_over_one_database_and_one_store_are_one(db, world, s3, tmp_path,
                                                            monkeypatch):
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    with (running(db.url, start_timeout=START_S) as a,
          running(db.url, start_timeout=START_S) as b):
        # a login made on A is a session on B (sessions live in the database)
        cookies = web_login(a.url, world.manager.email)
        me = httpx.get(f"{b.url}/api/v1/me", cookies=cookies, timeout=30)
        assert me.status_code == 200 and me.json()["email"] == world.manager.email
        page = httpx.get(f"{b.url}/projects/{world.project_id}/manage", cookies=cookies,
                         timeout=30)
        assert page.status_code == 200 and 'id="presence"' in page.text

        # media synced from the object store through A are served by both
        s3.make_bucket("shared")
        s3.filesystem().pipe("shared/in/cat.png", b"\x89PNG shared cat")
        created = httpx.post(
            f"{a.url}/api/v1/projects/{world.project_id}/storage",
            json={"name": "shared", "url": "s3://shared/in/",
                  "options": {**s3.options(), "data_key": "text"},
                  "credentials": s3.credentials()},
            headers=bearer(world, world.admin), timeout=30)
        assert created.status_code == 201, created.text
        synced = httpx.post(
            f"{a.url}/api/v1/projects/{world.project_id}/storage/{created.json()['id']}/sync",
            headers=bearer(world, world.manager), timeout=60)
        assert synced.status_code == 200 and synced.json()["added_items"] == 1, synced.text
        with db.read_session() as s:
            media_item = s.scalar(select(Item.id).where(Item.media != []))
        for server in (a, b):
            got = httpx.get(f"{server.url}/media/items/{media_item}/0",
                            headers=bearer(world, world.manager), timeout=30)
            assert got.status_code == 200 and got.content == b"\x89PNG shared cat"

        # a label submitted on A is a live event on a stream opened on B
        watching = EventStream(f"{b.url}/api/v1/projects/{world.project_id}/events",
                               bearer(world, world.manager))
        try:
            wait_for(lambda: watching.opened.is_set() and watching.status == 200, 30,
                     "the stream on B")
            submitted = [label(a.url, world, world.annotators[0])]
            seen = wait_for(lambda: watching.of("annotation.submitted"), 30, "the event on B")
            assert seen[0].data == {**submitted[0], "user_id": world.annotators[0].id, "done": 1}

            # annotators spread over both servers; the sixth label queues one
            # retrain, which one of the two servers' job workers runs
            for n in range(1, 6):
                server = (a, b)[n % 2]
                submitted.append(label(server.url, world, world.annotators[n % 2]))
            wait_for(lambda: len(watching.of("annotation.submitted")) == 6, 30, "six events")

            def retrained() -> list[Job]:
                with db.read_session() as s:
                    found = list(s.scalars(select(Job).where(Job.kind == "retrain")))
                return found if found and all(j.state in ("done", "failed") for j in found) \
                    else []

            jobs = wait_for(retrained, 240, "the retrain job to finish")
            finished = wait_for(lambda: watching.of("job.finished"), 30, "the job's event")
        finally:
            watching.close()
    assert [(j.state, j.attempts) for j in jobs] == [("done", 1)], [j.error for j in jobs]
    assert finished[0].data == {"job_id": jobs[0].id, "kind": "retrain", "state": "done"}
    with db.read_session() as s:
        retrains = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "assist.retrain")))
    assert len(retrains) == 1 and retrains[0].details["labels"] == 6
