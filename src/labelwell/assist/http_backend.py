"""Models served over HTTP: labelwell's own small protocol, and Label Studio ML backends.

labelwell model backend protocol (JSON over HTTP, any language can serve it):

``GET /health``
    ``{"status": "ok", "model": "<name>", "version": "<version>"}``
``POST /predict`` with ``{"items": [{"id": <id>, "data": {...}}, ...]}``
    ``{"model": ..., "version": ..., "classes": [<label>, ...],
    "probs": [[<p>, ...], ...]}``, one row per item in request order, each
    row over ``classes``.
``POST /train`` with ``{"items": [...], "labels": [<label>, ...]}``
    ``{"model": ..., "version": "<new version>"}``

Label Studio ML backends (label-studio-ml 1.x and 2.x) are reached through
their own routes: ``GET /health``, ``POST /setup``, ``POST /predict`` with
``{"tasks": [...], "project": ..., "label_config": ...}`` answered by
``{"results": [{"result": [...], "score": ..., "model_version": ...}]}``, and
training through ``POST /webhook`` (``ANNOTATION_CREATED`` events, 2.x) or
``POST /train`` (1.x).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from labelwell.assist.predictors import register_predictor
from labelwell.errors import InvalidInput, LabelwellError


class ModelBackendError(LabelwellError):
    """The model server failed or answered outside its protocol."""

    code = "model_backend_error"


def _item(i: Any, item: Any) -> dict[str, Any]:
    return {"id": i, "data": item if isinstance(item, dict) else {"text": item}}


class _JSONClient:
    def __init__(self, url: str, timeout: float, client: httpx.Client | None) -> None:
        self.url = url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout)

    def request(self, method: str, path: str, payload: Any = None) -> httpx.Response:
        try:
            return self._client.request(method, self.url + path, json=payload)
        except httpx.HTTPError as exc:
            raise ModelBackendError(f"model backend at {self.url} unreachable: {exc}") from exc

    def call(self, method: str, path: str, payload: Any = None) -> Any:
        resp = self.request(method, path, payload)
        if resp.status_code >= 400:
            raise ModelBackendError(
                f"model backend {method} {path} answered {resp.status_code}: {resp.text[:200]}"
            )
        try:
            return resp.json()
        except ValueError as exc:
            raise ModelBackendError(f"model backend {path} did not answer JSON") from exc

    def close(self) -> None:
        self._client.close()


@register_predictor("http")
class HTTPBackend:
    """A predictor served elsewhere over the labelwell model backend protocol."""

    def __init__(
        self,
        url: str,
        timeout: float = 30.0,
        batch_size: int = 256,
        client: httpx.Client | None = None,
    ) -> None:
        self._http = _JSONClient(url, timeout, client)
        self.batch_size = batch_size
        self.name = "http"
        self._version = "unknown"
        self._classes: np.ndarray | None = None

    @property
    def version(self) -> str:
        return self._version

    @property
    def classes_(self) -> np.ndarray:
        if self._classes is None:
            raise InvalidInput("the backend has not predicted yet, so its classes are unknown")
        return self._classes

    def health(self) -> dict[str, Any]:
        body = self._http.call("GET", "/health")
        if not isinstance(body, dict) or body.get("status") != "ok":
            raise ModelBackendError(f"model backend is not healthy: {body!r}")
        self.name = str(body.get("model", self.name))
        self._version = str(body.get("version", self._version))
        return body

    def fit(self, items: Sequence[Any], labels: Sequence[Any]) -> HTTPBackend:
        if len(items) != len(labels):
            raise InvalidInput("one label per item is needed", field="labels")
        payload = {
            "items": [_item(i, x) for i, x in enumerate(items)],
            "labels": list(labels),
        }
        body = self._http.call("POST", "/train", payload)
        self._version = str(body.get("version", self._version))
        return self

    def predict_proba(self, items: Sequence[Any]) -> np.ndarray:
        rows: list[np.ndarray] = []
        for start in range(0, len(items), self.batch_size):
            chunk = items[start : start + self.batch_size]
            payload = {"items": [_item(start + i, x) for i, x in enumerate(chunk)]}
            body = self._http.call("POST", "/predict", payload)
            try:
                classes = np.asarray(body["classes"])
                probs = np.asarray(body["probs"], dtype=np.float64)
            except (KeyError, TypeError, ValueError) as exc:
                raise ModelBackendError("/predict answer lacks classes or probs") from exc
            if probs.shape != (len(chunk), classes.shape[0]):
                raise ModelBackendError(
                    f"/predict returned {probs.shape} probs for {len(chunk)} items"
                    f" and {classes.shape[0]} classes"
                )
            if self._classes is not None and not np.array_equal(classes, self._classes):
                raise ModelBackendError("the backend changed its classes between batches")
            self._classes = classes
            self.name = str(body.get("model", self.name))
            self._version = str(body.get("version", self._version))
            rows.append(probs)
        if not rows:
            return np.empty((0, 0 if self._classes is None else len(self._classes)))
        return np.vstack(rows)

    def close(self) -> None:
        self._http.close()


def parse_choices_config(label_config: str) -> tuple[str, str, str, list[str]]:
    """(from_name, to_name, data key, choice values) of the first <Choices> tag."""
    try:
        root = ET.fromstring(label_config)
    except ET.ParseError as exc:
        raise InvalidInput(f"label config is not XML: {exc}", field="label_config") from exc
    choices = next(root.iter("Choices"), None)
    if choices is None:
        raise InvalidInput("label config has no <Choices> tag", field="label_config")
    from_name, to_name = choices.get("name"), choices.get("toName")
    values = [c.get("value") for c in choices.iter("Choice")]
    if not from_name or not to_name or not values or None in values:
        raise InvalidInput("<Choices> needs name, toName and Choice values", field="label_config")
    data_key = "text"
    for el in root.iter():
        value = el.get("value") or ""
        if el.get("name") == to_name and value.startswith("$"):
            data_key = value[1:]
    return from_name, to_name, data_key, [str(v) for v in values]


@register_predictor("label-studio")
class LabelStudioMLBackend:
    """Adapter for a Label Studio ML backend serving a classification (<Choices>) task.

    Label Studio predictions carry the chosen label and one score, not a full
    distribution: the chosen class gets the score and the others share the
    rest equally; a task without a prediction gets a uniform row.
    """

    def __init__(
        self,
        url: str,
        label_config: str,
        project: str = "1.0",
        timeout: float = 60.0,
        batch_size: int = 64,
        client: httpx.Client | None = None,
    ) -> None:
        self._http = _JSONClient(url, timeout, client)
        self.label_config = label_config
        self.project = project
        self.batch_size = batch_size
        self.from_name, self.to_name, self.data_key, choices = parse_choices_config(label_config)
        self._classes = np.asarray(choices)
        self.name = "label-studio"
        self._version = "unknown"
        self._next_annotation = 1

    @property
    def version(self) -> str:
        return self._version

    @property
    def classes_(self) -> np.ndarray:
        return self._classes

    @property
    def project_id(self) -> int:
        return int(str(self.project).split(".", 1)[0])

    def health(self) -> dict[str, Any]:
        body = self._http.call("GET", "/health")
        if not isinstance(body, dict) or body.get("status") != "UP":
            raise ModelBackendError(f"Label Studio ML backend is not up: {body!r}")
        self.name = str(body.get("model_class", self.name))
        return body

    def setup(self) -> str:
        body = self._http.call(
            "POST",
            "/setup",
            {
                "project": self.project,
                "schema": self.label_config,
                "hostname": "",
                "access_token": "",
            },
        )
        if body.get("model_version") is not None:
            self._version = str(body["model_version"])
        return self._version

    def _task(self, i: Any, item: Any) -> dict[str, Any]:
        data = item if isinstance(item, dict) else {self.data_key: item}
        return {"id": i, "data": data}

    def predict_tasks(self, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Raw Label Studio predictions for ``tasks``, one per task."""
        body = self._http.call(
            "POST",
            "/predict",
            {
                "tasks": tasks,
                "project": self.project,
                "label_config": self.label_config,
                "params": {"context": None},
            },
        )
        results = body.get("results") if isinstance(body, dict) else None
        if isinstance(results, dict):
            results = results.get("predictions")
        if not isinstance(results, list) or len(results) != len(tasks):
            raise ModelBackendError("/predict must answer one prediction per task")
        if isinstance(body, dict) and body.get("model_version"):
            self._version = str(body["model_version"])
        return results

    def _row(self, prediction: dict[str, Any]) -> np.ndarray:
        k = self._classes.shape[0]
        for region in prediction.get("result") or []:
            if region.get("from_name") != self.from_name:
                continue
            chosen = (region.get("value") or {}).get("choices") or []
            if not chosen or chosen[0] not in self._classes:
                continue
            score = region.get("score", prediction.get("score"))
            score = 1.0 if score is None else float(np.clip(score, 0.0, 1.0))
            row = np.full(k, (1.0 - score) / (k - 1))
            row[int(np.flatnonzero(self._classes == chosen[0])[0])] = score
            return row
        return np.full(k, 1.0 / k)

    def predict_proba(self, items: Sequence[Any]) -> np.ndarray:
        rows: list[np.ndarray] = []
        for start in range(0, len(items), self.batch_size):
            tasks = [
                self._task(start + i, x)
                for i, x in enumerate(items[start : start + self.batch_size])
            ]
            preds = self.predict_tasks(tasks)
            versions = {v for p in preds if (v := p.get("model_version"))}
            if versions:
                self._version = str(sorted(versions)[-1])
            rows.extend(self._row(p) for p in preds)
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), self._classes.shape[0])

    def annotation(self, label: Any) -> list[dict[str, Any]]:
        """The Label Studio ``result`` list for one chosen label."""
        if str(label) not in self._classes:
            raise InvalidInput(f"label {label!r} is not a choice of the config", field="labels")
        return [
            {
                "from_name": self.from_name,
                "to_name": self.to_name,
                "type": "choices",
                "value": {"choices": [str(label)]},
            }
        ]

    def fit(self, items: Sequence[Any], labels: Sequence[Any]) -> LabelStudioMLBackend:
        """Send the labels as ANNOTATION_CREATED webhooks; fall back to 1.x ``/train``."""
        if len(items) != len(labels):
            raise InvalidInput("one label per item is needed", field="labels")
        project = {"id": self.project_id, "label_config": self.label_config}
        annotated = []
        for i, (item, label) in enumerate(zip(items, labels, strict=True)):
            task = self._task(i, item)
            ann = {"id": self._next_annotation, "result": self.annotation(label)}
            self._next_annotation += 1
            annotated.append((task, ann))
        first = True
        for task, ann in annotated:
            payload = {"action": "ANNOTATION_CREATED", "project": project, "task": task}
            resp = self._http.request("POST", "/webhook", {**payload, "annotation": ann})
            if first and resp.status_code in (404, 405):
                return self._train_v1(annotated)
            first = False
            if resp.status_code >= 400:
                raise ModelBackendError(f"/webhook answered {resp.status_code}: {resp.text[:200]}")
        self.setup()
        return self

    def _train_v1(
        self, annotated: list[tuple[dict[str, Any], dict[str, Any]]]
    ) -> LabelStudioMLBackend:
        annotations = [{**ann, "task": task} for task, ann in annotated]
        self._http.call(
            "POST",
            "/train",
            {
                "annotations": annotations,
                "project": self.project,
                "label_config": self.label_config,
            },
        )
        return self

    def close(self) -> None:
        self._http.close()
