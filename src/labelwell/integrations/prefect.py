"""A Prefect flow running a YAML pipeline spec's stages (Prefect 3; import it
only where Prefect is installed).

Each stage is a Prefect task (retried on failure; the quality gate is not
retried: a failed gate fails the flow with its reasons) calling the stage
function of :mod:`labelwell.pipeline.stages` against a labelwell server over
HTTP, so the flow runs in Prefect's own environment::

    from labelwell.integrations.prefect import labelwell_pipeline
    labelwell_pipeline("daily.yaml", server="http://labelwell:8080", token="lw_...")
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task

from labelwell.client import Client
from labelwell.pipeline.spec import PipelineSpec, parse
from labelwell.pipeline.stages import STAGE_FUNCTIONS, project_id_of


def _run_stage(name: str, spec_text: str, server: str, token: str | None) -> dict[str, Any]:
    spec = parse(spec_text)
    with Client(server, token, timeout=300) as lw:
        result = STAGE_FUNCTIONS[name](
            lw, project_id_of(lw, spec.project), spec, getattr(spec.stages, name)
        )
    get_run_logger().info("%s: %s", name, result)
    return result


run_stage = task(_run_stage, name="labelwell stage", retries=2, retry_delay_seconds=60)
run_gate = task(_run_stage, name="labelwell quality gate", retries=0)


@flow(name="labelwell pipeline")
def labelwell_pipeline(
    spec_path: str, server: str, token: str | None = None
) -> dict[str, dict[str, Any]]:
    """The spec's stages in order; returns each stage's summary by name."""
    text = Path(spec_path).read_text(encoding="utf-8")
    spec: PipelineSpec = parse(text, spec_path)
    token = token or os.environ.get("LABELWELL_TOKEN")
    results: dict[str, dict[str, Any]] = {}
    for name in spec.stages.chosen():
        runner = run_gate if name == "quality_gate" else run_stage
        results[name] = runner.with_options(task_run_name=name)(name, text, server, token)
    return results
