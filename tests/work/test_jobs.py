"""Background jobs: queued by a request, run once by whichever worker claims
them, taken back from a dead worker, cancelled, failed with a message."""

from __future__ import annotations

import threading
import time

import orjson
import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from typer.testing import CliRunner

from labelwell.cli import app as cli
from labelwell.errors import Forbidden, InvalidInput, NotFound
from labelwell.server import create_app
from labelwell.store.tables import Job
from labelwell.work import jobs
from labelwell.work.jobs import JOB_KINDS, JobKind, JobRun
from world import build_world

RUNS: list[tuple[int, str]] = []


class EchoOptions(BaseModel):
    say: str = "hello"
    key: str | None = None


def echo(run: JobRun) -> dict:
    if run.options.say == "refuse":
        raise InvalidInput("the echo was refused", field="options.say")
    if run.options.say == "crash":
        raise ZeroDivisionError("a bug")
    RUNS.append((run.id, run.options.say))
    return {"said": run.options.say}


JOB_KINDS.register(
    "test-echo",
    JobKind(EchoOptions, echo, dedupe=lambda pid, o: o.key, description="say something"),
    replace=True,
)


@pytest.fixture
def world(db):
    RUNS.clear()
    return build_world(db, n_items=4)


def queue(db, world, say="hello", key=None, kind="test-echo"):
    with db.session() as s:
        job, new = jobs.enqueue(s, world.manager, kind, world.project_id, {"say": say, "key": key})
        return job.id, new


def state_of(db, job_id):
    with db.read_session() as s:
        job = s.get(Job, job_id)
        return job.state, job.attempts, job.result, job.error


def test_a_second_request_for_live_work_joins_it(db, world, tmp_path):
    first, new = queue(db, world, key="same")
    again, joined = queue(db, world, key="same")
    other, _ = queue(db, world, key="other")
    assert new and not joined and again == first and other != first
    assert jobs.work(db, tmp_path, once=True) == 2
    assert state_of(db, first)[0] == "done"
    later, new = queue(db, world, key="same")  # the first has ended: a new job
    assert new and later not in (first, other)


def test_the_retrain_key_keeps_one_live_retrain_per_project(db, world):
    with db.session() as s:
        a, new_a = jobs.enqueue(s, None, "retrain", world.project_id)
        b, new_b = jobs.enqueue(s, world.manager, "retrain", world.project_id, {"force": True})
        assert (
            new_a and not new_b and a.id == b.id and a.dedupe_key == f"retrain:{world.project_id}"
        )


def test_racing_workers_run_each_job_exactly_once(db, world, tmp_path):
    ids = [queue(db, world, say=f"n{k}")[0] for k in range(24)]
    threads = [
        threading.Thread(target=jobs.work, args=(db, tmp_path), kwargs={"once": True})
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(job_id for job_id, _ in RUNS) == ids  # each once, none twice
    assert {state_of(db, i)[:2] for i in ids} == {("done", 1)}


def test_a_dead_workers_job_is_taken_again_then_fails_after_its_attempts(db, world, tmp_path):
    job_id, _ = queue(db, world)
    taken = jobs.claim(db, "worker-a", lease_s=0)  # worker-a dies holding it
    assert taken.id == job_id and taken.attempts == 1
    again = jobs.claim(db, "worker-b", lease_s=0)
    assert again.id == job_id and again.attempts == 2
    # the dead worker's late outcome is refused: the job is worker-b's now
    assert not jobs.renew(db, job_id, "worker-a")
    assert jobs.claim(db, "worker-c", lease_s=0).attempts == 3
    assert jobs.claim(db, "worker-d") is None  # three attempts used: failed, not run again
    state, attempts, _, error = state_of(db, job_id)
    assert (state, attempts) == ("failed", 3) and "every attempt" in error
    assert RUNS == []


def test_cancelling_a_running_job_discards_its_outcome(db, world, tmp_path):
    job_id, _ = queue(db, world, say="late")
    taken = jobs.claim(db, "worker-a")
    with db.session() as s:
        assert jobs.cancel(s, world.manager, job_id).state == "cancelled"
    assert jobs.run_claimed(db, taken, "worker-a", tmp_path) == "cancelled"
    assert state_of(db, job_id)[0] == "cancelled" and state_of(db, job_id)[2] is None
    queued, _ = queue(db, world)
    with db.session() as s:
        jobs.cancel(s, world.manager, queued)
    assert jobs.work(db, tmp_path, once=True) == 0  # a cancelled queued job never runs


def test_errors_end_the_job_failed_with_a_message_not_a_traceback(db, world, tmp_path):
    refused, _ = queue(db, world, say="refuse")
    crashed, _ = queue(db, world, say="crash")
    assert jobs.work(db, tmp_path, once=True) == 2
    assert state_of(db, refused)[0::3] == ("failed", "the echo was refused")
    state, _, result, error = state_of(db, crashed)
    assert (state, result, error) == ("failed", None, "internal error (ZeroDivisionError)")


def test_options_and_kinds_are_checked_when_queued(db, world):
    with db.session() as s, pytest.raises(InvalidInput) as unknown:
        jobs.enqueue(s, world.manager, "no-such-kind", world.project_id)
    assert unknown.value.field == "kind"
    with db.session() as s, pytest.raises(InvalidInput) as bad:
        jobs.enqueue(s, world.manager, "export", world.project_id, {"fromat": "csv"})
    assert bad.value.field == "options.fromat"
    with db.session() as s, pytest.raises(InvalidInput) as bad:
        jobs.enqueue(s, world.manager, "retrain", world.project_id, {"force": "often"})
    assert bad.value.field == "options.force"
    with db.read_session() as s:
        assert s.query(Job).count() == 0


def test_only_the_projects_managers_queue_and_see_its_jobs(db, world):
    job_id, _ = queue(db, world)
    with db.session() as s, pytest.raises(Forbidden):
        jobs.enqueue(s, world.annotators[0], "test-echo", world.project_id)
    for stranger in (world.annotators[0], world.outsider):
        with db.read_session() as s, pytest.raises(NotFound):
            jobs.get(s, stranger, job_id)
    with db.read_session() as s:
        assert jobs.get(s, world.admin, job_id).id == job_id


def test_an_export_job_through_the_api_gives_the_same_file(db, world, settings):
    manager = {"Authorization": f"Bearer {world.token(world.manager)}"}
    annotator = {"Authorization": f"Bearer {world.token(world.annotators[0])}"}
    with TestClient(create_app(settings, database=db, migrate=False)) as api:
        base = f"/api/v1/projects/{world.project_id}"
        created = api.post(
            f"{base}/jobs", json={"kind": "export", "options": {"format": "jsonl"}}, headers=manager
        )
        assert created.status_code == 202, created.text
        job = created.json()
        assert (job["state"], job["joined"], job["download"]) == ("queued", False, None)
        assert (
            api.post(f"{base}/jobs", json={"kind": "export"}, headers=annotator).status_code == 403
        )
        assert api.get(f"/api/v1/jobs/{job['id']}", headers=annotator).status_code == 404
        bad = api.post(
            f"{base}/jobs", json={"kind": "export", "options": {"format": 7}}, headers=manager
        )
        assert (
            bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "options.format"
        )
        early = api.get(f"/api/v1/jobs/{job['id']}/file", headers=manager)
        assert early.status_code == 409

        assert jobs.work(db, settings.home, once=True) == 1
        done = api.get(f"/api/v1/jobs/{job['id']}", headers=manager).json()
        assert done["state"] == "done" and done["result"]["items"] == 4
        assert done["download"] == f"/api/v1/jobs/{job['id']}/file"
        file = api.get(done["download"], headers=manager)
        direct = api.get(f"{base}/export", params={"format": "jsonl"}, headers=manager)
        assert file.status_code == 200 and file.content == direct.content
        assert len([orjson.loads(line) for line in file.content.splitlines()]) == 4
        assert file.headers["content-disposition"] == direct.headers["content-disposition"]
        listed = api.get(f"{base}/jobs", headers=manager).json()
        assert [j["id"] for j in listed["data"]] == [job["id"]]
        assert api.post(f"/api/v1/jobs/{job['id']}/cancel", headers=manager).status_code == 409
        kinds = {k["name"] for k in api.get("/api/v1/job-kinds", headers=manager).json()["data"]}
        assert {"retrain", "prelabel", "export"} <= kinds


def test_the_worker_command_runs_queued_jobs(db, world, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    job_id, _ = queue(db, world, say="from the command")
    runner = CliRunner()
    status = runner.invoke(cli, ["worker", "--status"])
    assert status.exit_code == 0 and "queued     1" in status.output
    ran = runner.invoke(cli, ["worker", "--once"])
    assert ran.exit_code == 0, ran.output
    assert "ran 1 job" in ran.output and [(job_id, "from the command")] == RUNS


def test_a_long_job_keeps_its_lease(db, world, tmp_path, monkeypatch):
    """The worker renews the lease while the job runs, so no other worker takes it."""
    monkeypatch.setattr(jobs, "LEASE_S", 0.3)
    release = threading.Event()

    def slow(run: JobRun) -> dict:
        assert release.wait(30)
        return {}

    JOB_KINDS.register("test-slow", JobKind(EchoOptions, slow), replace=True)
    try:
        job_id, _ = queue(db, world, kind="test-slow")
        taken = jobs.claim(db, "worker-a", lease_s=0.3)
        runner = threading.Thread(target=jobs.run_claimed, args=(db, taken, "worker-a", tmp_path))
        runner.start()
        time.sleep(0.9)  # three lease lengths
        assert jobs.claim(db, "worker-b", lease_s=0.3) is None
        release.set()
        runner.join(30)
        assert state_of(db, job_id)[:2] == ("done", 1)
    finally:
        JOB_KINDS.unregister("test-slow")
