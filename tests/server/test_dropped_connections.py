"""PostgreSQL connections terminated under a running server (``pg_terminate_backend``
from another connection) give 503 with Retry-After, never a 500; reads retry once
on a fresh connection, so most of them still succeed."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import httpx
import pytest
from sqlalchemy import create_engine, text

from labelwell.store.db import normalise_url
from server_process import ServerProcess
from world import build_world


def _terminate(admin, name: str) -> int:
    with admin.connect() as conn:
        return len(conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                 " WHERE application_name = :name AND pid <> pg_backend_pid()"),
            {"name": name},
        ).all())


def test_terminated_backends_give_503_with_retry_after_never_500(db, backend, pg_url):
    if backend != "postgres":
        pytest.skip("connections are dropped by PostgreSQL")
    world = build_world(db, n_annotators=2, n_items=400, overlap=1)
    name = f"lw-drop-{uuid.uuid4().hex[:8]}"
    server = ServerProcess(f"{db.url}&application_name={name}")
    server.start()
    admin = create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    statuses: Counter[int] = Counter()
    bad: list[tuple[str, int, str]] = []
    stop = threading.Event()

    def hit(method: str, path: str, client: httpx.Client, **kw) -> httpx.Response | None:
        try:
            r = client.request(method, f"{server.url}/api/v1{path}", timeout=30, **kw)
        except httpx.HTTPError as exc:  # the server must answer; a cut response is a failure
            bad.append((path, -1, repr(exc)))
            return None
        statuses[r.status_code] += 1
        if r.status_code >= 500 and not (r.status_code == 503 and r.headers.get("retry-after")):
            bad.append((path, r.status_code, r.text[:300]))
        return r

    def reader() -> None:
        headers = {"Authorization": f"Bearer {world.token(world.manager)}"}
        with httpx.Client(headers=headers) as client:
            for i in range(250):
                if stop.is_set():
                    return
                path = [f"/projects/{world.project_id}/items?limit=20",
                        f"/projects/{world.project_id}", f"/projects/{world.project_id}/stats",
                        "/me"][i % 4]
                hit("GET", path, client)

    def annotator(actor) -> None:
        headers = {"Authorization": f"Bearer {world.token(actor)}"}
        with httpx.Client(headers=headers) as client:
            for _ in range(120):
                if stop.is_set():
                    return
                task = hit("POST", f"/projects/{world.project_id}/tasks/next", client)
                if task is None or task.status_code != 200:
                    continue
                hit("POST", f"/assignments/{task.json()['assignment_id']}/submit", client,
                    json={"result": {"sentiment": "positive"},
                          "idempotency_key": str(uuid.uuid4())})

    threads = [threading.Thread(target=reader), threading.Thread(target=reader),
               *[threading.Thread(target=annotator, args=(a,)) for a in world.annotators]]
    killed = 0
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            killed += _terminate(admin, name)
            time.sleep(0.15)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        after = httpx.get(f"{server.url}/api/v1/projects/{world.project_id}",
                          headers={"Authorization": f"Bearer {world.token(world.manager)}"},
                          timeout=30)
    finally:
        stop.set()
        server.stop()
        admin.dispose()
    assert killed > 0
    assert bad == [], (bad[:5], statuses)
    assert statuses[500] == 0
    assert sum(n for s, n in statuses.items() if 200 <= s < 300) > 0
    assert after.status_code == 200


def test_a_read_after_the_backends_died_retries_on_a_fresh_connection(db, backend, pg_url):
    if backend != "postgres":
        pytest.skip("connections are dropped by PostgreSQL")
    world = build_world(db, n_annotators=1, n_items=3)
    name = f"lw-drop-{uuid.uuid4().hex[:8]}"
    server = ServerProcess(f"{db.url}&application_name={name}")
    server.start()
    admin = create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    headers = {"Authorization": f"Bearer {world.token(world.manager)}"}
    url = f"{server.url}/api/v1/projects/{world.project_id}/items"
    try:
        with httpx.Client(headers=headers, timeout=30) as client:
            results = []
            for _ in range(3):
                assert client.get(url).status_code == 200  # pooled connections, just used
                assert _terminate(admin, name) > 0
                results.append(client.get(url))
            # a write is not repeated: it may be refused, but only with 503 and Retry-After
            assert _terminate(admin, name) > 0
            write = client.post(f"{server.url}/api/v1/projects/{world.project_id}/guidelines",
                                json={"text": "v2"})
    finally:
        server.stop()
        admin.dispose()
    assert [r.status_code for r in results] == [200, 200, 200], [r.text for r in results]
    assert [len(r.json()["data"]) for r in results] == [3, 3, 3]
    assert write.status_code == 201 or (
        write.status_code == 503 and write.headers["retry-after"] == "1"
        and write.json()["error"]["code"] == "database_unavailable"), write.text
