"""64 clients against a real two-process server: the queue invariants hold."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select

from labelwell.store.tables import Annotation, Assignment, Item
from server_process import running
from world import build_world

CLIENTS = 64
OVERLAP = 3
ITEMS = 120


@pytest.mark.slow
def test_queue_invariants_under_64_concurrent_clients(db):
    world = build_world(db, n_annotators=CLIENTS, n_items=ITEMS, overlap=OVERLAP)
    acked: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()

    def annotate(token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url + "/api/v1", headers=headers, timeout=60) as http:
            for _ in range(ITEMS):
                task = http.post(f"/projects/{world.project_id}/tasks/next")
                if task.status_code == 204:
                    return
                if task.status_code != 200:
                    errors.append(f"next {task.status_code} {task.text[:200]}")
                    return
                body = task.json()
                done = http.post(f"/assignments/{body['assignment_id']}/submit",
                                 json={"result": {"sentiment": "positive"}})
                if done.status_code != 201:
                    errors.append(f"submit {done.status_code} {done.text[:200]}")
                    return
                with lock:
                    acked.append(done.json()["id"])

    with running(db.url, workers=2) as server:
        threads = [threading.Thread(target=annotate, args=(world.token(a),))
                   for a in world.annotators]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
    assert not errors, errors[:5]
    with db.session() as s:
        human = Annotation.source == "human"  # consensus labels are stored beside them
        stored = list(s.scalars(select(Annotation.id).where(human)))
        per_item = Counter(s.scalars(select(Annotation.item_id).where(human)))
        pairs = s.execute(select(Assignment.item_id, Assignment.user_id)).all()
        done = s.scalar(select(func.count()).where(Item.status == "done"))
    assert sorted(stored) == sorted(acked)  # nothing lost, nothing stored twice
    assert len(acked) == ITEMS * OVERLAP  # all the work got done
    assert max(per_item.values()) == OVERLAP and done == ITEMS
    assert len(pairs) == len(set(pairs))  # nobody received an item twice
