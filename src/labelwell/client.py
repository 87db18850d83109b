"""The Python SDK: ``Client(url, token)`` over httpx, with typed results.

from labelwell import Client
lw = Client("http://127.0.0.1:8080", token="lw_...")
task = lw.next_task(project_id)
lw.submit(task.assignment_id, {"sentiment": "positive"})
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from labelwell.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    LabelwellError,
    LeaseExpired,
    NotFound,
    Unauthorized,
)
from labelwell.shapes import (
    AnnotationFields,
    ProgressFields,
    ProjectFields,
    Suggestion,
    TaskFields,
)

T = TypeVar("T")


def _build(cls: type[T], payload: dict[str, Any]) -> T:
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in payload.items() if k in names})


@dataclass(frozen=True, slots=True)
class Project(ProjectFields):
    created_at: str


@dataclass(frozen=True, slots=True)
class Task(TaskFields):
    expires_at: str
    guideline_version: int | None
    suggestions: list[Suggestion] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Annotation(AnnotationFields):
    """An annotation; ``status`` (submitted, accepted, rejected) and
    ``is_current`` are shown to managers only (annotators and reviewers get
    ``None``, and so does :meth:`Client.submit` for everyone: consensus and
    review never touch gold answers, so they would tell gold items apart)."""

    created_at: str
    #: after a gold item, where the project shows it: ``{"correct", "expected", "message"}``
    feedback: dict[str, Any] | None = None
    status: str | None = None
    is_current: bool | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """An item; ``external_id``, ``status``, ``priority`` and ``n_done`` are shown
    to managers only (annotators and reviewers get ``None``: they would tell gold
    items apart)."""

    id: int
    project_id: int
    data: dict[str, Any]
    media: list[str]
    external_id: str | None = None
    status: str | None = None
    priority: float | None = None
    n_done: int | None = None


@dataclass(frozen=True, slots=True)
class ImportResult:
    id: int
    project_id: int
    filename: str
    format: str
    n_items: int
    created_at: str
    #: what the importer skipped and why (a file import's prediction ids, ...)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Stats(ProgressFields):
    annotators: list[dict[str, Any]]


_ERRORS: dict[int, type[LabelwellError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: InvalidInput,
}


def _is_url(path: str | Path) -> bool:
    return isinstance(path, str) and "://" in path


class Client:
    """A labelwell server, reached with an API token."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=url.rstrip("/") + "/api/v1",
            headers=headers,
            timeout=timeout,
            transport=transport,
        )

    # -- plumbing ---------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            _raise(response)
        return response

    def _pages(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            query = {k: v for k, v in {**params, "cursor": cursor}.items() if v is not None}
            page = self._call("GET", path, params=query).json()
            yield from page["data"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    # -- accounts ---------------------------------------------------------
    @classmethod
    def login(cls, url: str, email: str, password: str, **kwargs: Any) -> Client:
        """Log in with a password and return a client holding the new token."""
        with httpx.Client(base_url=url.rstrip("/") + "/api/v1") as http:
            response = http.post("/auth/login", json={"email": email, "password": password})
            if response.status_code >= 400:
                _raise(response)
            return cls(url, response.json()["token"], **kwargs)

    def me(self) -> dict[str, Any]:
        return self._call("GET", "/me").json()  # type: ignore[no-any-return]

    def change_password(self, current: str, new: str) -> None:
        """Change your own password; your other web sessions end, this token and
        your API tokens keep working."""
        self._call("PUT", "/users/me/password", json={"current_password": current, "password": new})

    def create_user(
        self,
        email: str,
        role: str = "annotator",
        *,
        password: str | None = None,
        skills: list[str] | None = None,
    ) -> dict[str, Any]:
        body = {"email": email, "role": role, "password": password, "skills": skills or []}
        return self._call("POST", "/users", json=body).json()  # type: ignore[no-any-return]

    def create_token(self, email: str | None = None, name: str = "") -> str:
        return self._call("POST", "/tokens", json={"email": email, "name": name}).json()["token"]  # type: ignore[no-any-return]

    # -- projects ---------------------------------------------------------
    def projects(self) -> list[Project]:
        return [_build(Project, p) for p in self._call("GET", "/projects").json()["data"]]

    def project(self, project_id: int) -> Project:
        return _build(Project, self._call("GET", f"/projects/{project_id}").json())

    def create_project(
        self, name: str, ontology: dict[str, Any], *, guidelines: str = "", **settings: Any
    ) -> Project:
        body = {"name": name, "ontology": ontology, "guidelines": guidelines, **settings}
        return _build(Project, self._call("POST", "/projects", json=body).json())

    def update_project(self, project_id: int, **settings: Any) -> Project:
        return _build(Project, self._call("PATCH", f"/projects/{project_id}", json=settings).json())

    def update_settings(self, project_id: int, **values: Any) -> dict[str, Any]:
        """Set keys of the project's settings (None puts one back to its default);
        returns the keys set. A bad key or value raises ``InvalidInput`` naming it."""
        return self._call(
            "PATCH",
            f"/projects/{project_id}/settings",  # type: ignore[no-any-return]
            json=values,
        ).json()

    def add_member(self, project_id: int, user_id: int, role: str = "annotator") -> None:
        self._call("PUT", f"/projects/{project_id}/members/{user_id}", json={"role": role})

    def add_guideline(self, project_id: int, text: str) -> int:
        return self._call(
            "POST",
            f"/projects/{project_id}/guidelines",  # type: ignore[no-any-return]
            json={"text": text},
        ).json()["version"]

    # -- items, predictions, gold ----------------------------------------
    def add_items(self, project_id: int, items: list[dict[str, Any]]) -> ImportResult:
        body = {"items": [it if "data" in it else {"data": it} for it in items]}
        return _build(
            ImportResult, self._call("POST", f"/projects/{project_id}/items", json=body).json()
        )

    def import_file(
        self,
        project_id: int,
        path: str | Path,
        *,
        format: str | None = None,
        annotators: str = "keep",
    ) -> ImportResult:
        """Upload a file of items. ``annotators``: what an annotator email with no
        user here becomes: ``keep`` (the label's annotator only), ``create``
        (inactive placeholder users; admins only) or ``refuse`` (store nothing).
        The result's ``warnings`` say what the importer skipped. A storage URL
        (``s3://...``) under one of the project's storage connections is read by
        the server instead of uploaded."""
        if _is_url(path):
            response = self._call(
                "POST",
                f"/projects/{project_id}/storage-import",
                json={"url": str(path), "format": format},
            )
            return _build(ImportResult, response.json())
        path = Path(path)
        params = {"annotators": annotators, **({"format": format} if format else {})}
        with open(path, "rb") as fh:
            response = self._call(
                "POST",
                f"/projects/{project_id}/import",
                params=params,
                files={"file": (path.name, fh)},
            )
        return _build(ImportResult, response.json())

    def import_predictions(
        self, project_id: int, path: str | Path, *, model: str, format: str | None = None
    ) -> int:
        """Attach a label file (RTTM, WebVTT, SRT, KITTI labels, MOTChallenge...) to
        the items it names, by external id or else id, as predictions of ``model``;
        returns how many were stored. A file naming an unknown item stores nothing."""
        path = Path(path)
        params = {"model": model, **({"format": format} if format else {})}
        with open(path, "rb") as fh:
            response = self._call(
                "POST",
                f"/projects/{project_id}/import-predictions",
                params=params,
                files={"file": (path.name, fh)},
            )
        return int(response.json()["count"])

    def items(self, project_id: int, *, status: str | None = None) -> Iterator[Item]:
        for it in self._pages(f"/projects/{project_id}/items", status=status, limit=1000):
            yield _build(Item, it)

    def add_predictions(self, project_id: int, predictions: list[dict[str, Any]]) -> int:
        return self._call(
            "POST",
            f"/projects/{project_id}/predictions",  # type: ignore[no-any-return]
            json={"predictions": predictions},
        ).json()["count"]

    def set_gold(self, item_id: int, result: dict[str, Any]) -> None:
        self._call("PUT", f"/items/{item_id}/gold", json={"result": result})

    def gold(self, item_id: int) -> dict[str, Any]:
        return self._call("GET", f"/items/{item_id}/gold").json()["result"]  # type: ignore[no-any-return]

    # -- the labeling loop -----------------------------------------------
    def next_task(self, project_id: int) -> Task | None:
        response = self._call("POST", f"/projects/{project_id}/tasks/next")
        if response.status_code == 204:
            return None
        payload = response.json()
        payload["suggestions"] = [_build(Suggestion, s) for s in payload["suggestions"]]
        return _build(Task, payload)

    def submit(
        self,
        assignment_id: int,
        result: dict[str, Any],
        *,
        time_spent_ms: int | None = None,
        idempotency_key: str | None = None,
        suggestion: tuple[int, str] | None = None,
    ) -> Annotation:
        """Submit a result. A key is generated when none is given, so that the
        automatic retry of a dropped connection can never store it twice.
        ``suggestion=(prediction_id, "accepted" | "edited" | "rejected")`` records
        what was done with a machine suggestion shown on the task."""
        body: dict[str, Any] = {
            "result": result,
            "time_spent_ms": time_spent_ms,
            "idempotency_key": idempotency_key or uuid.uuid4().hex,
        }
        if suggestion is not None:
            body["suggestion"] = {"prediction_id": suggestion[0], "outcome": suggestion[1]}
        last_error: Exception | None = None
        for _ in range(3):
            try:
                response = self._call("POST", f"/assignments/{assignment_id}/submit", json=body)
                return _build(Annotation, response.json())
            except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    def skip(self, assignment_id: int, reason: str) -> None:
        self._call("POST", f"/assignments/{assignment_id}/skip", json={"reason": reason})

    def annotations(self, project_id: int, *, item_id: int | None = None) -> Iterator[Annotation]:
        for a in self._pages(f"/projects/{project_id}/annotations", item_id=item_id, limit=1000):
            yield _build(Annotation, a)

    def revise(self, annotation_id: int, result: dict[str, Any]) -> Annotation:
        return _build(
            Annotation,
            self._call("PATCH", f"/annotations/{annotation_id}", json={"result": result}).json(),
        )

    def review(
        self,
        annotation_id: int,
        decision: str,
        *,
        comment: str = "",
        result: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body = {"decision": decision, "comment": comment, "result": result}
        return self._call(
            "POST",
            f"/annotations/{annotation_id}/reviews",  # type: ignore[no-any-return]
            json=body,
        ).json()

    # -- export and stats ------------------------------------------------
    def export(
        self, project_id: int, path: str | Path, *, format: str = "jsonl", **filters: Any
    ) -> Path | str:
        """Stream an export to ``path``; or, for a storage URL (``s3://...``, under
        one of the project's storage connections; ending in ``/``: a file named
        after the project), have the server write it there and return the URL."""
        if _is_url(path):
            body = {"url": str(path), "format": format, **filters}
            written = self._call("POST", f"/projects/{project_id}/storage-export", json=body)
            return written.json()["url"]  # type: ignore[no-any-return]
        path = Path(path)
        params = {
            "format": format,
            **{
                k: v.isoformat() if isinstance(v, datetime) else v
                for k, v in filters.items()
                if v is not None
            },
        }
        return self._download(f"/projects/{project_id}/export", params, path)

    def _download(self, url: str, params: dict[str, Any], path: Path) -> Path:
        with self._http.stream("GET", url, params=params) as r:
            if r.status_code >= 400:
                r.read()
                _raise(r)
            with open(path, "wb") as out:
                for chunk in r.iter_bytes():
                    out.write(chunk)
        return path

    # -- synthetic data ------------------------------------------------------
    def synth_generate(
        self, project_id: int, method: str, *, base_url: str, model: str, **options: Any
    ) -> dict[str, Any]:
        """Queue the ``synth_generate`` job: ``method`` (self-instruct, evol-instruct,
        qa, paraphrase) against an OpenAI-compatible server; see docs/synth.md for
        the options. Returns the job; ``GET /jobs/{id}`` tells its result."""
        body = {
            "kind": "synth_generate",
            "options": {"method": method, "base_url": base_url, "model": model, **options},
        }
        return self._call(
            "POST",
            f"/projects/{project_id}/jobs",  # type: ignore[no-any-return]
            json=body,
        ).json()

    def synth_items(
        self, project_id: int, *, verdict: str | None = None, after: int = 0, limit: int = 100
    ) -> list[dict[str, Any]]:
        """A page of the project's synthetic items with their provenance."""
        params: dict[str, Any] = {"after": after, "limit": limit}
        if verdict is not None:
            params["verdict"] = verdict
        return self._call(
            "GET",
            f"/projects/{project_id}/synth/items",  # type: ignore[no-any-return]
            params=params,
        ).json()["data"]

    def synth_verdict(
        self, project_id: int, item_id: int, verdict: str, *, fixed: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Verify, fix (``fixed``: the corrected data fields) or reject a synthetic item."""
        return self._call(  # type: ignore[no-any-return]
            "POST",
            f"/projects/{project_id}/synth/items/{item_id}/verdict",
            json={"verdict": verdict, "fixed": fixed},
        ).json()

    def synth_report(self, project_id: int, **options: Any) -> dict[str, Any]:
        """Run the synthetic-data guards (see docs/synth.md) and return the report."""
        return self._call(
            "POST",
            f"/projects/{project_id}/synth/report",  # type: ignore[no-any-return]
            json=options,
        ).json()

    def synth_export(
        self,
        project_id: int,
        path: str | Path,
        *,
        format: str = "jsonl",
        override_reason: str | None = None,
    ) -> Path:
        """Stream the project's training export (synthetic items as its settings
        allow) to ``path``; a broken cap is a Conflict unless ``override_reason``."""
        path = Path(path)
        params = {"format": format}
        if override_reason is not None:
            params["override_reason"] = override_reason
        return self._download(f"/projects/{project_id}/synth/export", params, path)

    # -- storage -----------------------------------------------------------
    def add_storage(
        self,
        project_id: int,
        name: str,
        url: str,
        *,
        options: dict[str, Any] | None = None,
        credentials: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Connect the project to a bucket or folder prefix (see docs/storage.md);
        the answer names the credential keys set, never their values."""
        body = {
            "name": name,
            "url": url,
            "options": options or {},
            "credentials": credentials or {},
        }
        return self._call(
            "POST",
            f"/projects/{project_id}/storage",  # type: ignore[no-any-return]
            json=body,
        ).json()

    def storage(self, project_id: int) -> list[dict[str, Any]]:
        return self._call("GET", f"/projects/{project_id}/storage").json()["data"]  # type: ignore[no-any-return]

    def sync_storage(self, project_id: int, storage_id: int) -> dict[str, Any]:
        """Make an item of each object under the connection's prefix that no
        earlier sync took; ``{"listed", "added_objects", "added_items", "import_id"}``."""
        return self._call(
            "POST",  # type: ignore[no-any-return]
            f"/projects/{project_id}/storage/{storage_id}/sync",
        ).json()

    def stats(self, project_id: int) -> Stats:
        return _build(Stats, self._call("GET", f"/projects/{project_id}/stats").json())

    # -- background jobs and pipelines ----------------------------------------
    def start_job(
        self, project_id: int, kind: str, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Queue a background job (``retrain``, ``prelabel``, ``export``,
        ``storage_sync``...); a live equal job is returned with ``joined: true``."""
        body = {"kind": kind, "options": options or {}}
        return self._call(
            "POST",
            f"/projects/{project_id}/jobs",  # type: ignore[no-any-return]
            json=body,
        ).json()

    def job(self, job_id: int) -> dict[str, Any]:
        return self._call("GET", f"/jobs/{job_id}").json()  # type: ignore[no-any-return]

    def quality_gate(
        self,
        project_id: int,
        *,
        min_done: float = 1.0,
        min_agreement: float | None = None,
        min_gold_accuracy: float | None = None,
        method: str = "mv",
    ) -> dict[str, Any]:
        """Where the project stands against a pipeline's quality gate now:
        ``state`` waiting, passed or failed, with the figures and ``reasons``."""
        body = {
            "min_done": min_done,
            "min_agreement": min_agreement,
            "min_gold_accuracy": min_gold_accuracy,
            "method": method,
        }
        return self._call(
            "POST",
            f"/projects/{project_id}/quality-gate",  # type: ignore[no-any-return]
            json=body,
        ).json()

    # -- quality -------------------------------------------------------------
    def quality_report(
        self, project_id: int, *, method: str = "mv", max_labels: int = 1000
    ) -> dict[str, Any]:
        """The project quality report (managers), as the API's JSON object."""
        return self._call(
            "GET",
            f"/projects/{project_id}/quality",  # type: ignore[no-any-return]
            params={"method": method, "max_labels": max_labels},
        ).json()

    def review_queue(self, project_id: int, state: str = "review") -> Iterator[dict[str, Any]]:
        """Items in ``review`` or ``escalated`` (or ``submitted``: answers awaiting a
        reviewer, disagreements first), each with its annotations and ``disagree``."""
        return self._pages(f"/projects/{project_id}/review-queue", state=state)

    def adjudicate(self, item_id: int, result: dict[str, Any], *, note: str = "") -> Annotation:
        """Settle an item in review or escalated with the adjudicated label."""
        body = {"result": result, "note": note}
        return _build(
            Annotation, self._call("POST", f"/items/{item_id}/adjudicate", json=body).json()
        )

    # -- weak supervision -----------------------------------------------------
    def weak_summary(self, project_id: int, *, control: str | None = None) -> dict[str, Any]:
        """The LF summary of the project's stored votes (managers), as the API's JSON.
        LFs themselves run here, not on the server: send their votes with
        ``add_predictions(project_id, labelwell.work.weak.vote_predictions(...))``."""
        params = {"control": control} if control else {}
        return self._call(
            "GET",
            f"/projects/{project_id}/weak/summary",  # type: ignore[no-any-return]
            params=params,
        ).json()

    # -- rlhf ----------------------------------------------------------------
    def leaderboard(
        self, project_id: int, *, bootstrap: int = 100, seed: int = 0, l2: float = 0.0
    ) -> list[LeaderboardEntry]:
        """Bradley-Terry ratings of the models in a project's comparisons, best first."""
        params = {"bootstrap": bootstrap, "seed": seed, "l2": l2}
        body = self._call("GET", f"/projects/{project_id}/leaderboard", params=params).json()
        return [_build(LeaderboardEntry, row) for row in body["data"]]

    def training_set(
        self,
        project_id: int,
        path: str | Path,
        *,
        kind: str = "dpo",
        output: str = "jsonl",
        **options: Any,
    ) -> Path:
        """Download a TRL training file (``kind`` dpo, reward, kto or sft) to ``path``:
        a JSONL or Parquet file, or for ``output="datasets"`` a ``save_to_disk``
        folder. ``options``: conversational, strategy, seed, ties, margin,
        judgments, both_bad (as ``labelwell rlhf export``)."""
        import shutil
        import zipfile

        path = Path(path)
        params = {"kind": kind, "output": output, **options}
        download = path.with_name(path.name + ".zip") if output == "datasets" else path
        with self._http.stream("GET", f"/projects/{project_id}/rlhf/export", params=params) as r:
            if r.status_code >= 400:
                r.read()
                _raise(r)
            with open(download, "wb") as out:
                for chunk in r.iter_bytes():
                    out.write(chunk)
        if download != path:
            try:
                if path.exists():
                    shutil.rmtree(path)
                with zipfile.ZipFile(download) as archive:
                    archive.extractall(path)
            finally:
                download.unlink()
        return path

    def bias_audit(
        self, project_id: int, *, by: str = "locale", alpha: float = 0.05
    ) -> dict[str, Any]:
        """Preference and rating distributions by annotator group with their tests
        (``by``: locale, role, project_role, skills or skill:NAME), as the API's JSON."""
        return self._call(
            "GET",
            f"/projects/{project_id}/rlhf/bias-audit",  # type: ignore[no-any-return]
            params={"by": by, "alpha": alpha},
        ).json()

    def score_responses(self, project_id: int, model: str) -> dict[str, Any]:
        """Score the project's comparison items with the reward model saved on the
        server as ``LABELWELL_HOME/reward-models/<model>``; the scores become
        predictions. Returns ``{"model_name", "model_version", "count", "n_done"}``."""
        return self._call(
            "POST",
            f"/projects/{project_id}/rlhf/reward-scores",  # type: ignore[no-any-return]
            json={"model": model},
        ).json()


@dataclass(frozen=True, slots=True)
class LeaderboardEntry:
    rank: int
    model: str
    rating: float
    ci_low: float | None
    ci_high: float | None


def _raise(response: httpx.Response) -> None:
    try:
        error = response.json()["error"]
        message, code, details = error["message"], error["code"], error.get("details") or {}
    except (ValueError, KeyError, TypeError):
        message, code, details = response.text[:500], "http_error", {}
    kind = (
        LeaseExpired
        if code == "lease_expired"
        else _ERRORS.get(response.status_code, LabelwellError)
    )
    if kind is InvalidInput:
        raise InvalidInput(
            message, field=details.get("field"), line=details.get("line"), details=details
        )
    raise kind(message, details=details)
