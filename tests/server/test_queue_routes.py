"""The annotator's loop through the HTTP routes, where PostgreSQL runs it in
autocommit units of one function call each: the paths that need a transaction
(qualification, consensus) fall back to one, lapsed leases come back within a
next-task call, and the refusals match the Python queue's on SQLite."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from labelwell.server import create_app
from labelwell.store.tables import Annotation, Assignment, Item, utcnow
from labelwell.work import projects
from labelwell.work.queue import leasing
from world import build_world


@pytest.fixture
def api(db, settings):
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        yield client


def _as(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def _next(api, world, actor):
    return api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=_as(world, actor))


def _submit(api, world, actor, assignment_id, label, key=None):
    body = {"result": {"sentiment": label}}
    if key:
        body["idempotency_key"] = key
    return api.post(f"/api/v1/assignments/{assignment_id}/submit", json=body,
                    headers=_as(world, actor))


def test_consensus_is_decided_when_the_last_label_of_an_item_arrives(api, db):
    world = build_world(db, n_annotators=3, n_items=1, overlap=3)
    for annotator in world.annotators:
        task = _next(api, world, annotator).json()
        assert _submit(api, world, annotator, task["assignment_id"], "positive").status_code == 201
    with db.session() as s:
        sources = sorted(s.scalars(select(Annotation.source)))
        item = s.scalar(select(Item))
    assert sources == ["consensus", "human", "human", "human"]
    assert (item.n_done, item.status) == (3, "done")


def test_qualification_serves_gold_first_over_http(api, db):
    gold = {0: {"sentiment": "positive"}, 1: {"sentiment": "negative"}}
    world = build_world(db, n_annotators=1, n_items=5, gold=gold)
    with db.session() as s:
        projects.update_project(s, world.manager, world.project_id,
                                {"settings": {"qualification": {"items": 2, "pass_mark": 0.5}}})
    annotator = world.annotators[0]
    served = []
    for _ in range(3):
        task = _next(api, world, annotator).json()
        with db.session() as s:
            served.append(s.get(Item, task["item_id"]).is_gold)
        assert _submit(api, world, annotator, task["assignment_id"], "positive").status_code == 201
    assert served == [True, True, False]  # gold while qualifying, then real work


def test_a_lapsed_lease_returns_its_slot_within_the_next_call(api, db):
    world = build_world(db, n_annotators=2, n_items=1, overlap=1)
    slow, fast = world.annotators
    stale = _next(api, world, slow).json()
    assert _next(api, world, fast).status_code == 204  # the only slot is leased
    with db.session() as s:
        s.execute(update(Assignment).values(expires_at=utcnow() - timedelta(seconds=1)))
    leasing._last_reclaim.clear()  # lapsed leases are looked for at most once a second
    task = _next(api, world, fast).json()
    assert task["item_id"] == stale["item_id"]
    late = _submit(api, world, slow, stale["assignment_id"], "negative")
    assert late.status_code == 409 and "expired" in late.json()["error"]["message"]
    assert _submit(api, world, fast, task["assignment_id"], "neutral").status_code == 201
    with db.session() as s:
        item = s.get(Item, task["item_id"])
        assert (item.n_done, item.n_active, item.status) == (1, 1, "done")
        assert s.scalar(select(func.count()).select_from(Annotation)) == 1


def test_retries_and_refusals(api, db):
    world = build_world(db, n_annotators=2, n_items=3)
    first, other = world.annotators
    task = _next(api, world, first).json()
    stored = _submit(api, world, first, task["assignment_id"], "positive", key="k-1")
    again = _submit(api, world, first, task["assignment_id"], "negative", key="k-1")
    assert (stored.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == stored.json()["id"]
    assert again.json()["result"] == {"sentiment": "positive"}  # the stored one

    resubmitted = _submit(api, world, first, task["assignment_id"], "negative")
    assert resubmitted.status_code == 409 and "already submitted" in resubmitted.text
    second = _next(api, world, first).json()
    reused = _submit(api, world, first, second["assignment_id"], "negative", key="k-1")
    assert reused.status_code == 409 and "already used" in reused.text
    theirs = _submit(api, world, other, second["assignment_id"], "negative")
    assert theirs.status_code == 404
    invalid = _submit(api, world, first, second["assignment_id"], "furious")
    assert invalid.status_code == 422
    outsider = _next(api, world, world.outsider)
    assert outsider.status_code == 404
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Annotation)) == 1
        lease = s.get(Assignment, second["assignment_id"])
        assert lease.status == "leased"


def test_a_retry_racing_its_original_returns_the_one_stored_label(db):
    import threading

    from labelwell.work import queue

    world = build_world(db, n_annotators=1, n_items=20)
    annotator = world.annotators[0]
    autocommit = db.dialect == "postgresql"  # as the routes run it there
    for round_ in range(10):
        with db.unit() as unit:
            task = queue.next_task(unit, annotator, world.project_id)
        barrier = threading.Barrier(2)
        outcomes = []

        def send(label, round_=round_, task=task, barrier=barrier, outcomes=outcomes):
            barrier.wait()
            with db.unit(autocommit=autocommit) as unit:
                done, created = queue.submit(unit, annotator, task.assignment_id,
                                             {"sentiment": label}, idempotency_key=f"r{round_}")
            outcomes.append((done.id, created))

        threads = [threading.Thread(target=send, args=(label,))
                   for label in ("positive", "negative")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(outcomes) == 2 and outcomes[0][0] == outcomes[1][0]
        assert sorted(created for _, created in outcomes) == [False, True]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Annotation)) == 10


def test_the_loop_refuses_bad_tokens_and_changes_nothing(api, db):
    from labelwell.store.tables import ApiToken, User

    world = build_world(db, n_annotators=2, n_items=3)
    first, second = world.annotators
    task = _next(api, world, first).json()
    path = f"/api/v1/projects/{world.project_id}/tasks/next"
    submit_path = f"/api/v1/assignments/{task['assignment_id']}/submit"
    body = {"result": {"sentiment": "positive"}}
    for header in ("Bearer lw_not-a-token", "Bearer malformed", "Token lw_x"):
        for url, payload in ((path, None), (submit_path, body)):
            refused = api.post(url, json=payload, headers={"Authorization": header})
            assert refused.status_code == 401, (header, url, refused.text)
    with db.session() as s:  # revoked, then inactive: both refused at once
        s.execute(update(ApiToken).where(ApiToken.user_id == first.id)
                  .values(revoked_at=utcnow()))
        s.execute(update(User).where(User.id == second.id).values(is_active=False))
    for actor in (first, second):
        assert _next(api, world, actor).status_code == 401
    refused = _submit(api, world, first, task["assignment_id"], "positive")
    assert refused.status_code == 401
    assert "invalid or revoked" in refused.json()["error"]["message"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Annotation)) == 0
        assert s.scalar(select(func.count()).select_from(Assignment)) == 1


def test_only_leases_skip_the_wait_for_the_wal_flush(db):
    """On PostgreSQL a lease commits asynchronously, for its own transaction
    only; a transaction that also stores a submission commits synchronously."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's synchronous_commit")
    from labelwell.store.raw import Statement
    from labelwell.work import queue

    show = Statement("SHOW synchronous_commit")
    world = build_world(db, n_annotators=1, n_items=3)
    annotator = world.annotators[0]
    with db.unit(autocommit=True) as unit:
        assert queue.next_task(unit, annotator, world.project_id) is not None
        assert unit.raw.one(show) == ("on",)  # the next statement's own transaction
    with db.unit() as unit:
        task = queue.next_task(unit, annotator, world.project_id)
        assert unit.raw.one(show) == ("off",)
        queue.submit(unit, annotator, task.assignment_id, {"sentiment": "positive"})
        assert unit.raw.one(show) == ("on",)


def test_an_autocommit_submit_that_decides_consensus_is_one_transaction(db, monkeypatch):
    """With overlap 3 the deciding submit goes on in a transaction on the same
    connection: should the consensus step fail, the submission is not stored
    either, and a later try stores both."""
    if db.dialect != "postgresql":
        pytest.skip("autocommit units are PostgreSQL's")
    from sqlalchemy import text

    from labelwell.work import consensus, queue

    world = build_world(db, n_annotators=3, n_items=1, overlap=3)
    tasks = []
    for annotator in world.annotators:
        with db.unit(autocommit=True) as unit:
            tasks.append(queue.next_task(unit, annotator, world.project_id))
    for annotator, task in zip(world.annotators[:2], tasks, strict=False):
        with db.unit(autocommit=True) as unit:
            queue.submit(unit, annotator, task.assignment_id, {"sentiment": "positive"})

    def broken(*args, **kwargs):
        raise RuntimeError("consensus failed")

    monkeypatch.setattr(consensus, "on_submitted", broken)
    with pytest.raises(RuntimeError), db.unit(autocommit=True) as unit:
        queue.submit(unit, world.annotators[2], tasks[2].assignment_id, {"sentiment": "positive"})

    def counts():
        with db.engine.connect() as conn:
            return conn.execute(text(
                "SELECT (SELECT count(*) FROM annotations WHERE source = 'human'),"
                " (SELECT count(*) FROM annotations WHERE source = 'consensus'),"
                " (SELECT n_done FROM items)")).one()

    assert tuple(counts()) == (2, 0, 2)
    monkeypatch.undo()
    with db.unit(autocommit=True) as unit:
        queue.submit(unit, world.annotators[2], tasks[2].assignment_id, {"sentiment": "positive"})
    assert tuple(counts()) == (3, 1, 3)
