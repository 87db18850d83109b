"""Live updates through real server processes: a project's event stream
(server-sent events) tells a manager what annotators submit, whichever server
process serves whom; annotators get counts only; streams resume, are bounded
per person, end with their session; presence says who is working."""

from __future__ import annotations

import httpx
import pytest

from labelwell.store.tables import Project
from live_stream import EventStream
from server_process import running
from waiting import wait_for
from world import build_world

#: seconds a server may take to start (two processes on this loaded machine
#: took over a minute, each importing the whole app)
START_S = 240.0



@pytest.fixture
def world(db):
    return build_world(db, n_annotators=2, n_items=6, overlap=1)


@pytest.fixture(autouse=True)
def quick_heartbeats(monkeypatch):
    monkeypatch.setenv("LABELWELL_LIVE_HEARTBEAT_S", "0.3")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def stream(server, world, actor, **params: str) -> EventStream:
    url = f"{server.url}/api/v1/projects/{world.project_id}/events"
    opened = EventStream(url, bearer(world.token(actor)), params)
    wait_for(lambda: opened.heartbeats or opened.status not in (None, 200), 30, "the stream")
    return opened


def label_one(server, world, actor) -> dict:
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=bearer(world.token(actor)),
                      timeout=30) as http:
        task = http.post(f"/projects/{world.project_id}/tasks/next")
        assert task.status_code == 200, task.text
        done = http.post(f"/assignments/{task.json()['assignment_id']}/submit",
                         json={"result": {"sentiment": "positive"}})
        assert done.status_code == 201, done.text
        return {"item_id": task.json()["item_id"], "annotation_id": done.json()["id"]}


def test_a_submit_reaches_every_stream_with_what_each_role_may_know(db, world):
    annotator, other = world.annotators
    with running(db.url, workers=2, start_timeout=START_S) as server:
        # several streams, so that both server processes hold some
        managers = [stream(server, world, world.manager) for _ in range(4)]
        peer = stream(server, world, other)
        try:
            labeled = label_one(server, world, annotator)
            for seen in managers:
                got = wait_for(lambda s=seen: s.of("annotation.submitted"), 30, "the event")
                assert got[0].data == {**labeled, "user_id": annotator.id, "done": 1}
            got = wait_for(lambda: peer.of("annotation.submitted"), 30, "the annotator's event")
            assert got[0].data == {}  # no item, no person: only that a label arrived
        finally:
            for s in [*managers, peer]:
                s.close()


def test_a_stream_resumes_after_its_last_event_and_refetches_when_it_cannot(db, world):
    with running(db.url, start_timeout=START_S) as server:
        first = stream(server, world, world.manager)
        try:
            label_one(server, world, world.annotators[0])
            seen = wait_for(lambda: first.of("annotation.submitted"), 30, "the first event")
            label_one(server, world, world.annotators[1])
            wait_for(lambda: len(first.of("annotation.submitted")) == 2, 30, "the second event")
        finally:
            first.close()
        url = f"{server.url}/api/v1/projects/{world.project_id}/events"
        resumed = EventStream(url, {**bearer(world.token(world.manager)),
                                    "Last-Event-ID": seen[0].id or ""})
        unknown = EventStream(url, {**bearer(world.token(world.manager)),
                                    "Last-Event-ID": "no-such-event"})
        try:
            again = wait_for(lambda: resumed.of("annotation.submitted"), 30, "the missed event")
            assert [e.data["user_id"] for e in again] == [world.annotators[1].id]
            wait_for(lambda: unknown.of("reset"), 30, "a reset")
        finally:
            resumed.close()
            unknown.close()


def test_streams_are_for_members_bounded_per_person_and_end_with_the_token(db, world):
    with running(db.url, start_timeout=START_S) as server:
        api = f"{server.url}/api/v1"
        outsider = stream(server, world, world.outsider)
        outsider.close()
        assert outsider.status == 404
        held = [stream(server, world, world.reviewer) for _ in range(8)]
        try:
            extra = stream(server, world, world.reviewer)
            extra.close()
            assert extra.status == 429 and "live streams" in extra.body
        finally:
            for s in held:
                s.close()
        token = httpx.post(f"{api}/tokens", json={"name": "live"},
                           headers=bearer(world.token(world.manager)), timeout=30).json()
        url = f"{api}/projects/{world.project_id}/events"
        live = EventStream(url, bearer(token["token"]))
        try:
            wait_for(lambda: live.heartbeats, 30, "a heartbeat")
            gone = httpx.delete(f"{api}/tokens/{token['id']}",
                                headers=bearer(world.token(world.manager)), timeout=30)
            assert gone.status_code == 204, gone.text
            wait_for(live.ended.is_set, 30, "the stream to end")
            assert live.of("end")[0].data == {"reason": "session"}
        finally:
            live.close()


def test_presence_names_people_for_managers_and_counts_for_the_others(db, world):
    annotator = world.annotators[0]
    with running(db.url, start_timeout=START_S) as server:
        api = f"{server.url}/api/v1/projects/{world.project_id}/presence"
        watching = stream(server, world, world.manager)
        try:
            beat = httpx.post(api, json={"page": "workspace"},
                              headers=bearer(world.token(annotator)), timeout=30)
            assert beat.status_code == 200, beat.text
            wait_for(lambda: watching.of("presence"), 30, "the presence event")
            seen = httpx.get(api, headers=bearer(world.token(world.manager)), timeout=30).json()
            pages = {p["email"]: p["page"] for p in seen["data"]}
            assert pages == {annotator.email: "workspace", world.manager.email: "dashboard"}
            blind = httpx.get(api, headers=bearer(world.token(annotator)), timeout=30).json()
            assert blind == {"data": [], "count": None}  # projects are blind by default
            with db.session() as s:
                s.get(Project, world.project_id).blind = False
            counted = httpx.get(api, headers=bearer(world.token(annotator)), timeout=30).json()
            assert counted == {"data": [], "count": 2}
            bad = httpx.post(api, json={"page": "kitchen"},
                             headers=bearer(world.token(annotator)), timeout=30)
            assert bad.status_code == 422 and "page" in bad.text
        finally:
            watching.close()
