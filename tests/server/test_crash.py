"""SIGKILL the server during a submit load, and an import half-way: after a
restart every acknowledged submission is there exactly once, and a killed
import left nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from labelwell.store.tables import Annotation, Import, Item
from labelwell.work import imports, items
from server_process import ServerProcess
from waiting import wait_for
from world import build_world


@pytest.mark.slow
def test_acknowledged_submissions_survive_sigkill_exactly_once(db):
    world = build_world(db, n_annotators=16, n_items=400, overlap=1)
    acked: dict[str, int] = {}
    in_flight: dict[str, int] = {}
    failures: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    server = ServerProcess(db.url)
    server.start()

    def annotate(token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url + "/api/v1", headers=headers, timeout=60) as http:
            while not stop.is_set():
                try:
                    task = http.post(f"/projects/{world.project_id}/tasks/next")
                    if task.status_code != 200:
                        failures.append(f"next {task.status_code} {task.text[:200]}")
                        return
                    assignment = task.json()["assignment_id"]
                    key = uuid.uuid4().hex
                    with lock:
                        in_flight[key] = assignment
                    done = http.post(f"/assignments/{assignment}/submit",
                                     json={"result": {"sentiment": "neutral"},
                                           "idempotency_key": key})
                    if done.status_code == 201:
                        with lock:
                            acked[key] = done.json()["id"]
                except httpx.HTTPError:
                    return

    threads = [threading.Thread(target=annotate, args=(world.token(a),))
               for a in world.annotators]
    for t in threads:
        t.start()
    wait_for(lambda: len(acked) >= 30, 120, "30 acknowledged submissions")
    server.kill()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert acked, f"the load never got going: {failures[:3]}"

    restarted = ServerProcess(db.url)
    restarted.start()
    try:
        with db.session() as s:
            rows = s.execute(select(Annotation.id, Annotation.idempotency_key)).all()
        by_key = {key: id_ for id_, key in rows}
        assert len(by_key) == len(rows)  # no key stored twice
        for key, annotation_id in acked.items():
            assert by_key.get(key) == annotation_id
        # Retrying the submissions whose answer was lost stores each at most once.
        owners = {a.id: a for a in world.annotators}
        unanswered = {k: v for k, v in in_flight.items() if k not in acked}
        for key, assignment_id in unanswered.items():
            with db.session() as s:
                from labelwell.store.tables import Assignment

                user_id = s.get(Assignment, assignment_id).user_id
            token = world.token(owners[user_id])
            for _ in range(2):
                r = httpx.post(f"{restarted.url}/api/v1/assignments/{assignment_id}/submit",
                               json={"result": {"sentiment": "neutral"}, "idempotency_key": key},
                               headers={"Authorization": f"Bearer {token}"}, timeout=10)
                assert r.status_code in (200, 201, 409), r.text
        with db.session() as s:
            keys = list(s.scalars(select(Annotation.idempotency_key)))
        assert len(keys) == len(set(keys))
    finally:
        restarted.stop()


@pytest.mark.slow
def test_a_killed_import_stores_nothing(db, tmp_path):
    world = build_world(db, n_items=3)
    path = tmp_path / "big.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(300_000):
            fh.write(json.dumps({"text": f"item {i} " + "x" * 40}) + "\n")
    env = {**os.environ, "LABELWELL_DATABASE_URL": db.url, "LABELWELL_USER": world.manager.email}
    proc = subprocess.Popen([sys.executable, "-m", "labelwell.cli", "import", "p1", str(path),
                             "--batch-size", "2000"], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def chunks_stored() -> bool:  # staged rows, not yet in the project's count
        assert proc.poll() is None, "import finished before it could be killed"
        with db.session() as s:
            return s.scalar(select(func.count()).select_from(Item)) > 3

    wait_for(chunks_stored, 120, "the import to store its first chunk")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    with db.session() as s:  # chunks it stored are never seen
        assert items.count_items(s, world.project_id) == 3
    imports.recover(db)  # as the next command or server to start does
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Item)) == 3
        states = s.scalars(select(Import.state).order_by(Import.id)).all()
        assert states in (["published"], ["published", "discarded"])
