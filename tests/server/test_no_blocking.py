"""A request waiting on the database never stalls the server's other requests.

A real ``labelwell serve`` process with one worker: while an annotator's
submit waits on a lock held by another connection, ``/healthz`` and another
annotator's next task (another project) still answer at once."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import text

from labelwell.formats.registry import ImportRow
from labelwell.work import items, projects
from server_process import running
from waiting import wait_for
from world import SENTIMENT, build_world

HOLD_S = 3.0
QUICK_S = 0.3


def _until_a_request_waits_on_the_lock(db) -> None:  # type: ignore[no-untyped-def]
    """Return once the server's request waits on the lock the test holds.
    PostgreSQL lists it in ``pg_stat_activity``; SQLite shows no waiter on its
    writer lock, so there the request gets half a second to reach it."""
    if db.dialect != "postgresql":
        time.sleep(0.5)
        return

    def waiters() -> int:
        with db.engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )).scalar_one())

    wait_for(waiters, 30, "a request to wait on the lock the test holds")


def _second_project(world) -> int:  # type: ignore[no-untyped-def]
    """Another project, with the last annotator its only member."""
    with world.db.session() as s:
        project = projects.create_project(s, world.manager, "p2", SENTIMENT)
        projects.set_member(s, world.manager, project.id, world.annotators[-1].id, "annotator")
        rows = [ImportRow(line=i + 1, data={"text": f"other {i}"}) for i in range(5)]
        items.import_rows(s, world.manager, project.id, rows, filename="p2.jsonl")
        return project.id


@pytest.mark.slow
def test_a_lock_wait_stalls_only_its_own_request(db):
    world = build_world(db, n_annotators=2, n_items=5)
    other_project = _second_project(world)
    waiting, other = world.annotators
    with running(db.url, workers=1) as server:
        api = server.url + "/api/v1"
        mine = {"Authorization": f"Bearer {world.token(waiting)}"}
        theirs = {"Authorization": f"Bearer {world.token(other)}"}
        task = httpx.post(f"{api}/projects/{world.project_id}/tasks/next", headers=mine)
        assert task.status_code == 200
        assignment = task.json()["assignment_id"]
        submitted: list[httpx.Response] = []
        quick: dict[str, float] = {}

        # Another connection holds the lease's row (PostgreSQL) or the writer
        # lock (SQLite: as a long import holds it) while the submit runs.
        with db.session() as holder:
            # SQLite: the session holds the writer lock from its first statement
            holder.execute(
                text("SELECT id FROM assignments WHERE id = :id"
                     + (" FOR UPDATE" if db.dialect == "postgresql" else "")),
                {"id": assignment},
            )

            def submit() -> None:
                submitted.append(httpx.post(
                    f"{api}/assignments/{assignment}/submit", headers=mine,
                    json={"result": {"sentiment": "positive"}}, timeout=60))

            t = threading.Thread(target=submit)
            started = time.monotonic()
            t.start()
            _until_a_request_waits_on_the_lock(db)
            with httpx.Client(timeout=10) as http:
                t0 = time.monotonic()
                assert http.get(f"{server.url}/healthz").status_code == 200
                quick["healthz"] = time.monotonic() - t0
                if db.dialect == "postgresql":  # SQLite: one writer at a time, by design
                    t0 = time.monotonic()
                    lease = http.post(f"{api}/projects/{other_project}/tasks/next",
                                      headers=theirs)
                    quick["next task"] = time.monotonic() - t0
                    assert lease.status_code == 200, lease.text
            assert not submitted, "the submit did not wait on the lock"
            time.sleep(max(0.0, HOLD_S - (time.monotonic() - started)))
            holder.rollback()
        t.join(timeout=60)
    assert submitted and submitted[0].status_code == 201, submitted
    slow = {name: round(s, 3) for name, s in quick.items() if s > QUICK_S}
    assert not slow, f"answered only after the lock was released: {slow}"


@pytest.mark.slow
def test_reading_the_callers_token_never_stalls_other_requests(db):
    """The token lookup every API request starts with waits on PostgreSQL like
    any query (here: a lock on the tokens table); it waits off the event loop."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite reads in WAL mode never wait on a writer")
    world = build_world(db, n_annotators=1, n_items=1)
    headers = {"Authorization": f"Bearer {world.token(world.annotators[0])}"}
    with running(db.url, workers=1) as server:
        answered: list[httpx.Response] = []
        with db.session() as holder:
            holder.execute(text("LOCK TABLE api_tokens IN ACCESS EXCLUSIVE MODE"))

            def listing() -> None:
                answered.append(httpx.get(f"{server.url}/api/v1/projects", headers=headers,
                                          timeout=60))

            t = threading.Thread(target=listing)
            started = time.monotonic()
            t.start()
            _until_a_request_waits_on_the_lock(db)
            with httpx.Client(timeout=10) as http:
                t0 = time.monotonic()
                assert http.get(f"{server.url}/healthz").status_code == 200
                healthz_s = time.monotonic() - t0
            assert not answered, "the request did not wait on the lock"
            time.sleep(max(0.0, HOLD_S - (time.monotonic() - started)))
            holder.rollback()
        t.join(timeout=60)
    assert answered and answered[0].status_code == 200, answered
    assert healthz_s < QUICK_S, f"/healthz waited for the lock ({healthz_s:.2f} s)"
