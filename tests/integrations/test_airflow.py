"""The Airflow provider in a real Airflow (its own virtual environment, made by
.ci/run): a DAG built from a YAML spec runs with ``dag.test()`` against a
labelwell server started here; the quality gate defers while an annotator
labels the items over the API, then passes, and the export is written."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from integrations.orchestrated import SRC, TEXTS, alive, label_everything, make_site, wait_for_items
from server_process import running
from waiting import wait_for

VENV = Path(os.environ.get("LABELWELL_AIRFLOW_VENV",
                           Path.home() / ".cache/labelwell/airflow-3.3.2"))
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
def test_a_dag_from_a_spec_runs_in_airflow_with_a_deferred_gate(airflow_venv, db, tmp_path):
    site = make_site(db, tmp_path)
    home = tmp_path / "airflow"
    (home / "dags").mkdir(parents=True)
    script = home / "dags" / "labelwell_daily.py"
    script.write_text(DAG_FILE.format(spec=str(site.spec)))
    log_path = tmp_path / "dag.log"
    with running(db.url) as server:
        env = _airflow_env(home, server.url, site.world.token(site.world.admin))
        subprocess.run([str(VENV / "bin" / "airflow"), "db", "migrate"], env=env, check=True,
                       capture_output=True, timeout=300)
        with log_path.open("w") as log:
            dag = subprocess.Popen([str(VENV / "bin" / "python"), str(script)], env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_for_items(db, site, dag, log_path)

                def deferred() -> bool:
                    alive(dag, log_path)
                    return "Pausing task as DEFERRED" in log_path.read_text()

                # the gate pokes once, finds nothing done and hands the wait to the trigger
                wait_for(deferred, 300, "the quality gate to defer")
                label_everything(server.url, site)
                dag.wait(timeout=300)
            finally:
                if dag.poll() is None:
                    dag.kill()
    output = log_path.read_text()
    result = [line for line in output.splitlines() if line.startswith("LABELWELL-RESULT")]
    assert result, output[-4000:]
    assert "success" in result[0], output[-4000:]
    for task in ("extract", "distribute", "quality_gate", "export"):
        assert f"('{task}', 'success')" in result[0], result[0]
    assert "[DAG TEST] running trigger in line" in output
    assert len(site.exported()) == len(TEXTS)
