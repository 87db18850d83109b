"""The Airflow provider in a real Airflow (its own virtual environment, made by
.ci/run): a DAG built from a YAML spec runs with ``dag.test()`` against a
labelwell server started here; the quality gate defers while an annotator
labels the items over the API, then passes, and the export is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from labelwell.store.tables import Item
from server_process import running
from waiting import wait_for
from world import build_world

SRC = Path(__file__).resolve().parents[2] / "src"
VENV = Path(os.environ.get("LABELWELL_AIRFLOW_VENV",
                           Path.home() / ".cache/labelwell/airflow-3.3.2"))
SPAM = {"name": "spam", "controls": [{"name": "verdict", "type": "choice", "source": "text",
                                      "options": ["ham", "spam"], "required": True}]}
TEXTS = ["free gift click here", "lovely song", "subscribe now", "beautiful melody"]

#: a file of Airflow's dags folder (dag.test() syncs that folder to Airflow's database)
DAG_FILE = """
from labelwell.integrations.airflow import QualityGateSensor, dag_from_spec

dag = dag_from_spec({spec!r}, schedule=None, retries=0)

if __name__ == "__main__":
    assert isinstance(dag.get_task("quality_gate"), QualityGateSensor)
    run = dag.test()
    states = {{ti.task_id: str(ti.state) for ti in run.get_task_instances()}}
    print("LABELWELL-RESULT", run.state, sorted(states.items()))
"""


@pytest.fixture
def airflow_venv():
    if not (VENV / "bin" / "airflow").exists():
        if os.environ.get("LABELWELL_REQUIRE_AIRFLOW"):
            pytest.fail(f"no Airflow virtual environment at {VENV} (made by .ci/run)")
        pytest.skip(f"no Airflow virtual environment at {VENV} (made by .ci/run)")
    return VENV


def _airflow_env(home: Path, server: str, token: str) -> dict[str, str]:
    conn = {"conn_type": "labelwell", "host": server, "password": token}
    return {
        "PATH": f"{VENV / 'bin'}:{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW_CONN_LABELWELL_DEFAULT": json.dumps(conn),
        "PYTHONPATH": str(SRC),
    }


@pytest.mark.slow
def test_a_dag_from_a_spec_runs_in_airflow_with_a_deferred_gate(
    airflow_venv, db, tmp_path
):
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
    home = tmp_path / "airflow"
    home.mkdir()
    (home / "dags").mkdir()
    script = home / "dags" / "labelwell_daily.py"
    script.write_text(DAG_FILE.format(spec=str(spec)))
    with running(db.url) as server:
        env = _airflow_env(home, server.url, world.token(world.admin))
        subprocess.run([str(VENV / "bin" / "airflow"), "db", "migrate"], env=env, check=True,
                       capture_output=True, timeout=300)
        log = (tmp_path / "dag.log").open("w")
        dag = subprocess.Popen([str(VENV / "bin" / "python"), str(script)], env=env,
                               stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            annotator = {"Authorization": f"Bearer {world.token(world.annotators[0])}"}
            api = httpx.Client(base_url=f"{server.url}/api/v1", timeout=30, headers=annotator)

            def items_arrived():
                if dag.poll() is not None:
                    raise AssertionError((tmp_path / "dag.log").read_text()[-4000:])
                with db.read_session() as s:
                    n = s.scalar(select(func.count()).select_from(Item).where(
                        Item.project_id == world.project_id))
                return n == len(TEXTS)

            wait_for(items_arrived, 300, "the extract task's items")

            def deferred():
                if dag.poll() is not None:
                    raise AssertionError((tmp_path / "dag.log").read_text()[-4000:])
                return "Pausing task as DEFERRED" in (tmp_path / "dag.log").read_text()

            # the gate pokes once, finds nothing done and hands the wait to the trigger
            wait_for(deferred, 300, "the quality gate to defer")
            labeled = 0
            while labeled < len(TEXTS):
                task = api.post(f"/projects/{world.project_id}/tasks/next")
                if task.status_code == 204:
                    continue  # the distribute task is still setting the queue
                body = task.json()
                spam = any(w in body["data"]["text"] for w in ("free", "subscribe"))
                verdict = "spam" if spam else "ham"
                done = api.post(f"/assignments/{body['assignment_id']}/submit",
                                json={"result": {"verdict": verdict}})
                assert done.status_code == 201, done.text
                labeled += 1
            api.close()
            dag.wait(timeout=300)
        finally:
            if dag.poll() is None:
                dag.kill()
            log.close()
    output = (tmp_path / "dag.log").read_text()
    result = [line for line in output.splitlines() if line.startswith("LABELWELL-RESULT")]
    assert result, output[-4000:]
    assert "success" in result[0], output[-4000:]
    for task in ("extract", "distribute", "quality_gate", "export"):
        assert f"('{task}', 'success')" in result[0], result[0]
    assert "[DAG TEST] running trigger in line" in output
    exported = (raw / "exports" / "daily.jsonl").read_text().splitlines()
    assert len(exported) == len(TEXTS)
    assert sys.executable  # the test itself runs in labelwell's environment
