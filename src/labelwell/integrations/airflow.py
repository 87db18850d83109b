"""An Airflow provider for labelwell (Airflow 3; import it only where Airflow is).

* :class:`LabelwellHook`: the ``labelwell`` connection type (host: the
  server's URL, password: an API token); ``get_conn()`` is the SDK client.
* One operator per stage (:class:`ExtractOperator`, :class:`PrelabelOperator`,
  :class:`DistributeOperator`, :class:`ExportOperator`), each calling the
  stage function of :mod:`labelwell.pipeline.stages` and pushing its summary
  to XCom.
* :class:`QualityGateSensor`: pokes the server's quality gate; deferrable by
  default, so while annotators work it holds no worker slot:
  :class:`QualityGateTrigger` polls the server from the triggerer with an
  async HTTP client. A failed gate fails the task with the gate's reasons.
* :func:`dag_from_spec`: a DAG of those tasks from a YAML pipeline spec.

The tasks talk to a labelwell server over HTTP (the SDK), never to its
database, so Airflow runs in its own environment: install labelwell there
without its dependencies (httpx, pydantic and PyYAML come with Airflow).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from airflow.sdk import DAG, BaseHook, BaseOperator, BaseSensorOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from airflow.triggers.base import BaseTrigger, TriggerEvent

from labelwell.client import Client
from labelwell.pipeline.spec import PipelineSpec, QualityGateStage, parse
from labelwell.pipeline.stages import STAGE_FUNCTIONS, poke, project_id_of

DEFAULT_CONN_ID = "labelwell_default"


class LabelwellHook(BaseHook):
    """A labelwell server: ``host`` is its URL (``http://host:8080``; or a host
    name with ``schema`` http/https and ``port``), ``password`` an API token."""

    conn_name_attr = "labelwell_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "labelwell"
    hook_name = "labelwell"

    def __init__(self, labelwell_conn_id: str = DEFAULT_CONN_ID, timeout: float = 300.0) -> None:
        super().__init__()
        self.labelwell_conn_id = labelwell_conn_id
        self.timeout = timeout

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["login", "extra"],
            "relabeling": {"host": "Server URL", "password": "API token"},
            "placeholders": {"host": "http://labelwell.internal:8080"},
        }

    def server(self) -> tuple[str, str | None]:
        """The server's base URL and the token."""
        conn = self.get_connection(self.labelwell_conn_id)
        host = str(conn.host or "").rstrip("/")
        if not host:
            raise AirflowException(f"connection {self.labelwell_conn_id!r} has no host")
        if "://" not in host:
            host = f"{conn.schema or 'http'}://{host}"
        if conn.port and host.count(":") < 2:
            host = f"{host}:{conn.port}"
        return host, conn.password or None

    def get_conn(self) -> Client:
        url, token = self.server()
        return Client(url, token, timeout=self.timeout)


def _spec(spec: str | dict[str, Any] | PipelineSpec) -> PipelineSpec:
    if isinstance(spec, PipelineSpec):
        return spec
    if isinstance(spec, dict):
        return PipelineSpec.model_validate(spec)
    path = Path(spec)
    if "\n" not in spec and path.suffix in (".yaml", ".yml") and path.exists():
        return parse(path.read_text(encoding="utf-8"), str(path))
    return parse(spec)


class LabelwellStageOperator(BaseOperator):
    """Run one stage of a pipeline spec (a path to the YAML, its text, or a dict)."""

    stage = ""
    template_fields = ("spec",)

    def __init__(
        self,
        *,
        spec: str | dict[str, Any],
        labelwell_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.labelwell_conn_id = labelwell_conn_id

    def execute(self, context: Any) -> dict[str, Any]:
        spec = _spec(self.spec)
        options = getattr(spec.stages, self.stage)
        if options is None:
            raise AirflowFailException(f"the spec has no {self.stage} stage")
        with LabelwellHook(self.labelwell_conn_id).get_conn() as lw:
            project_id = project_id_of(lw, spec.project)
            started = time.perf_counter()
            result = STAGE_FUNCTIONS[self.stage](lw, project_id, spec, options)
        self.log.info("%s took %.2f s: %s", self.stage, time.perf_counter() - started, result)
        return result


class ExtractOperator(LabelwellStageOperator):
    """Sync new objects from the spec's storage prefix into items."""

    stage = "extract"


class PrelabelOperator(LabelwellStageOperator):
    """Store the project model's predictions for unlabeled items."""

    stage = "prelabel"


class DistributeOperator(LabelwellStageOperator):
    """Set the queue; with active learning, order it by the model's priorities."""

    stage = "distribute"


class ExportOperator(LabelwellStageOperator):
    """Write the export to storage."""

    stage = "export"


class QualityGateTrigger(BaseTrigger):
    """Polls the server's quality gate from the triggerer until it is no longer
    ``waiting`` (or ``timeout_s`` passes). Airflow stores these keyword
    arguments encrypted with its Fernet key (the token among them)."""

    def __init__(
        self,
        url: str,
        token: str | None,
        project_id: int,
        thresholds: dict[str, Any],
        poll_s: float,
        timeout_s: float,
        started: float | None = None,
    ) -> None:
        super().__init__()
        self.url = url
        self.token = token
        self.project_id = project_id
        self.thresholds = thresholds
        self.poll_s = poll_s
        self.timeout_s = timeout_s
        self.started = time.time() if started is None else started

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "labelwell.integrations.airflow.QualityGateTrigger",
            {
                "url": self.url,
                "token": self.token,
                "project_id": self.project_id,
                "thresholds": self.thresholds,
                "poll_s": self.poll_s,
                "timeout_s": self.timeout_s,
                "started": self.started,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        path = f"/api/v1/projects/{self.project_id}/quality-gate"
        async with httpx.AsyncClient(base_url=self.url, headers=headers, timeout=60) as http:
            while True:
                try:
                    answer = await http.post(path, json=self.thresholds)
                except httpx.HTTPError as error:
                    self.log.warning("quality gate: %s; trying again", type(error).__name__)
                else:
                    if answer.status_code >= 400:
                        yield TriggerEvent({"status": "error", "message": answer.text[:2000]})
                        return
                    report = answer.json()
                    if report["state"] != "waiting":
                        yield TriggerEvent({"status": report["state"], "report": report})
                        return
                if time.time() - self.started + self.poll_s > self.timeout_s:
                    yield TriggerEvent({"status": "timeout", "report": None})
                    return
                await asyncio.sleep(self.poll_s)


class QualityGateSensor(BaseSensorOperator):
    """Waits until enough of the project is done, then passes or fails the
    quality gate of the spec (deferrable by default: no worker slot held)."""

    template_fields = ("spec",)

    def __init__(
        self,
        *,
        spec: str | dict[str, Any],
        labelwell_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = True,
        **kwargs: Any,
    ) -> None:
        self.spec = spec
        gate = _spec(spec).stages.quality_gate or QualityGateStage()
        kwargs.setdefault("poke_interval", gate.poll_s)
        kwargs.setdefault("timeout", gate.timeout_s)
        super().__init__(**kwargs)
        self.labelwell_conn_id = labelwell_conn_id
        self.deferrable = deferrable

    def _gate(self) -> QualityGateStage:
        return _spec(self.spec).stages.quality_gate or QualityGateStage()

    def _judge(self, report: dict[str, Any]) -> bool:
        if report["state"] == "failed":
            raise AirflowFailException("quality gate failed: " + "; ".join(report["reasons"]))
        if report["state"] == "passed":
            self.log.info("quality gate passed: %s", report)
            return True
        self.log.info("quality gate waiting: %.1f%% done", 100 * report["done"])
        return False

    def poke(self, context: Any) -> bool:
        spec = _spec(self.spec)
        with LabelwellHook(self.labelwell_conn_id).get_conn() as lw:
            return self._judge(poke(lw, project_id_of(lw, spec.project), self._gate()))

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        if self.poke(context):
            return None
        spec = _spec(self.spec)
        hook = LabelwellHook(self.labelwell_conn_id)
        url, token = hook.server()
        with hook.get_conn() as lw:
            project_id = project_id_of(lw, spec.project)
        gate = self._gate()
        self.defer(
            trigger=QualityGateTrigger(
                url, token, project_id, gate.thresholds(), gate.poll_s, gate.timeout_s
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=gate.timeout_s),
        )

    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        status = event.get("status")
        if status == "timeout":
            waited = self._gate().timeout_s
            raise AirflowFailException(f"quality gate still waiting after {waited:g} s")
        if status == "error":
            raise AirflowException(f"quality gate: the server answered {event.get('message')}")
        report = dict(event["report"])
        self._judge(report)
        return report


_OPERATORS: dict[str, type[LabelwellStageOperator]] = {
    "extract": ExtractOperator,
    "prelabel": PrelabelOperator,
    "distribute": DistributeOperator,
    "export": ExportOperator,
}


def dag_from_spec(
    spec_path: str | Path,
    *,
    dag_id: str | None = None,
    labelwell_conn_id: str = DEFAULT_CONN_ID,
    schedule: Any = "@daily",
    start_date: datetime | None = None,
    retries: int = 2,
    retry_delay: timedelta = timedelta(minutes=5),
    **dag_kwargs: Any,
) -> DAG:
    """A DAG running the spec's stages in order, with retries; the quality
    gate a deferrable sensor. Put ``dag = dag_from_spec("daily.yaml")`` in a
    file of Airflow's dags folder."""
    path = Path(spec_path)
    text = path.read_text(encoding="utf-8")
    spec = parse(text, str(path))
    dag = DAG(
        dag_id=dag_id or f"labelwell_{spec.name}",
        schedule=schedule,
        start_date=start_date or datetime(2026, 1, 1),
        catchup=False,
        default_args={"retries": retries, "retry_delay": retry_delay},
        tags=["labelwell"],
        **dag_kwargs,
    )
    previous: BaseOperator | None = None
    for name in spec.stages.chosen():
        task: BaseOperator
        if name == "quality_gate":
            task = QualityGateSensor(
                task_id=name, spec=text, labelwell_conn_id=labelwell_conn_id, dag=dag
            )
        else:
            task = _OPERATORS[name](
                task_id=name, spec=text, labelwell_conn_id=labelwell_conn_id, dag=dag
            )
        if previous is not None:
            previous >> task
        previous = task
    return dag
