"""`labelwell serve` runs background jobs in a worker process of its own: a job
queued through the API is done without any request waiting on it."""

from __future__ import annotations

import httpx

from server_process import running
from waiting import wait_for
from world import build_world


def test_serve_starts_a_worker_that_runs_queued_jobs(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    world = build_world(db, n_items=5)
    headers = {"Authorization": f"Bearer {world.token(world.manager)}"}
    with running(db.url) as server, httpx.Client(
        base_url=f"{server.url}/api/v1", headers=headers, timeout=30
    ) as api:
        job = api.post(f"/projects/{world.project_id}/jobs",
                       json={"kind": "export", "options": {"format": "jsonl"}})
        assert job.status_code == 202, job.text

        def finished() -> bool:
            return api.get(f"/jobs/{job.json()['id']}").json()["state"] in ("done", "failed")

        wait_for(finished, 60, "the worker beside the server to finish the export job")
        done = api.get(f"/jobs/{job.json()['id']}").json()
        assert done["state"] == "done", done["error"]
        file = api.get(done["download"].removeprefix("/api/v1"))
        direct = api.get(f"/projects/{world.project_id}/export", params={"format": "jsonl"})
        assert file.status_code == 200 and file.content == direct.content
        assert len(file.content.splitlines()) == 5  # the five items
