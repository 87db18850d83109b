"""The Prefect flow in a real Prefect (its own virtual environment, made by
.ci/run), run locally (Prefect's ephemeral API) against a labelwell server
started here: the gate task polls while an annotator labels the items over
the API, then the export is written."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from integrations.orchestrated import SRC, TEXTS, label_everything, make_site, wait_for_items
from server_process import running

VENV = Path(os.environ.get("LABELWELL_PREFECT_VENV",
                           Path.home() / ".cache/labelwell/prefect-3.9.1"))
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
    site = make_site(db, tmp_path)
    script = tmp_path / "run_flow.py"
    script.write_text(FLOW)
    home = tmp_path / "prefect"
    home.mkdir()
    log_path = tmp_path / "flow.log"
    with running(db.url) as server:
        env = {
            "PATH": f"{VENV / 'bin'}:{os.environ.get('PATH', '')}",
            "HOME": str(home),
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "true",
            # the ephemeral API starts slowly on a busy 2-core machine (default 20 s)
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "240",
            "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
            "LABELWELL_TOKEN": site.world.token(site.world.admin),
            "PYTHONPATH": str(SRC),
        }
        with log_path.open("w") as log:
            proc = subprocess.Popen([str(VENV / "bin" / "python"), str(script), str(site.spec),
                                     server.url], env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_for_items(db, site, proc, log_path)
                label_everything(server.url, site)
                proc.wait(timeout=300)
            finally:
                if proc.poll() is None:
                    proc.kill()
    output = log_path.read_text()
    result = [line for line in output.splitlines() if line.startswith("LABELWELL-RESULT")]
    assert result, output[-4000:]
    results = json.loads(result[0].split(" ", 1)[1])
    assert list(results) == ["extract", "distribute", "quality_gate", "export"]
    assert results["extract"]["added_items"] == len(TEXTS)
    assert results["quality_gate"]["state"] == "passed"
    assert len(site.exported()) == len(TEXTS)
