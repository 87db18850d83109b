"""The Prefect flow in a real Prefect (its own virtual environment, made by
.ci/run), run locally (Prefect's ephemeral API) against a labelwell server
started here: the gate task polls while an annotator labels the items over
the API, then the export is written."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from labelwell.store.tables import Item
from server_process import running
from waiting import wait_for
from world import build_world

SRC = Path(__file__).resolve().parents[2] / "src"
VENV = Path(os.environ.get("LABELWELL_PREFECT_VENV",
                           Path.home() / ".cache/labelwell/prefect-3.9.1"))
SPAM = {"name": "spam", "controls": [{"name": "verdict", "type": "choice", "source": "text",
                                      "options": ["ham", "spam"], "required": True}]}
TEXTS = ["free gift click here", "lovely song", "subscribe now"]
FLOW = """
import json, sys
from labelwell.integrations.prefect import labelwell_pipeline
results = labelwell_pipeline(sys.argv[1], server=sys.argv[2])
print("LABELWELL-RESULT", json.dumps(results))
"""


@pytest.fixture
def prefect_venv():
    if not (VENV / "bin" / "prefect").exists():
        if os.environ.get("LABELWELL_REQUIRE_PREFECT"):
            pytest.fail(f"no Prefect virtual environment at {VENV} (made by .ci/run)")
        pytest.skip(f"no Prefect virtual environment at {VENV} (made by .ci/run)")
    return VENV


@pytest.mark.slow
def test_the_prefect_flow_runs_every_stage_against_a_server(prefect_venv, db, tmp_path):
    world = build_world(db, n_annotators=1, n_items=0, ontology=SPAM)
    raw = tmp_path / "raw"
    raw.mkdir()
    for i, text in enumerate(TEXTS):
        (raw / f"{i}.json").write_text(json.dumps({"text": text}))
    spec = tmp_path / "daily.yaml"
    spec.write_text(json.dumps({
        "version": 1, "name": "daily", "project": "p1",
        "storage": {"name": "raw", "url": f"file://{raw}",
                    "options": {"glob": "*.json", "json_items": True}},
        "stages": {
            "extract": {},
            "distribute": {"overlap": 1, "gold_ratio": 0.0},
            "quality_gate": {"min_done": 1.0, "poll_s": 1, "timeout_s": 300},
            "export": {"format": "jsonl", "url": f"file://{raw}/exports/daily.jsonl"},
        },
    }))
    script = tmp_path / "run_flow.py"
    script.write_text(FLOW)
    home = tmp_path / "prefect"
    home.mkdir()
    with running(db.url) as server:
        env = {
            "PATH": f"{VENV / 'bin'}:{os.environ.get('PATH', '')}",
            "HOME": str(home),
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "true",
            "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
            "LABELWELL_TOKEN": world.token(world.admin),
            "PYTHONPATH": str(SRC),
        }
        log = (tmp_path / "flow.log").open("w")
        proc = subprocess.Popen([str(VENV / "bin" / "python"), str(script), str(spec),
                                 server.url], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            def items_arrived():
                if proc.poll() is not None:
                    raise AssertionError((tmp_path / "flow.log").read_text()[-4000:])
                with db.read_session() as s:
                    n = s.scalar(select(func.count()).select_from(Item).where(
                        Item.project_id == world.project_id))
                return n == len(TEXTS)

            wait_for(items_arrived, 300, "the extract task's items")
            annotator = {"Authorization": f"Bearer {world.token(world.annotators[0])}"}
            api = httpx.Client(base_url=f"{server.url}/api/v1", timeout=30, headers=annotator)
            labeled = 0
            while labeled < len(TEXTS):
                task = api.post(f"/projects/{world.project_id}/tasks/next")
                if task.status_code == 204:
                    continue  # the distribute task is still setting the queue
                body = task.json()
                spam = any(w in body["data"]["text"] for w in ("free", "subscribe"))
                done = api.post(f"/assignments/{body['assignment_id']}/submit",
                                json={"result": {"verdict": "spam" if spam else "ham"}})
                assert done.status_code == 201, done.text
                labeled += 1
            api.close()
            proc.wait(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
    output = (tmp_path / "flow.log").read_text()
    result = [line for line in output.splitlines() if line.startswith("LABELWELL-RESULT")]
    assert result, output[-4000:]
    results = json.loads(result[0].split(" ", 1)[1])
    assert list(results) == ["extract", "distribute", "quality_gate", "export"]
    assert results["extract"]["added_items"] == len(TEXTS)
    assert results["quality_gate"]["state"] == "passed"
    exported = (raw / "exports" / "daily.jsonl").read_text().splitlines()
    assert len(exported) == len(TEXTS)
