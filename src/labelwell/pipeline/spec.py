"""The YAML pipeline spec, validated with pydantic; errors name the file's line.

    version: 1
    name: daily-sentiment
    project: sentiment            # a project's name or id on the server
    storage:                      # where raw data comes from and exports go
      name: raw
      url: s3://bucket/incoming/
      options: {endpoint_url: http://127.0.0.1:9000, glob: "*.txt", data_key: text}
      credentials: {key: env:AWS_ACCESS_KEY_ID, secret: env:AWS_SECRET_ACCESS_KEY}
    stages:
      extract: {}
      prelabel: {model: saved}
      distribute: {overlap: 3, ordering: priority, active_learning: true}
      quality_gate: {min_done: 0.95, min_agreement: 0.6, timeout_s: 86400}
      export: {format: jsonl, url: s3://bucket/exports/}

Stages run in the order above; a stage left out is skipped. ``env:NAME`` in a
credential is read from the environment when the pipeline runs, so secrets stay
out of the spec.
"""

from __future__ import annotations

import os
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from labelwell.errors import InvalidInput

STAGES = ("extract", "prelabel", "distribute", "quality_gate", "export")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StorageSpec(_Strict):
    name: str = Field(..., min_length=1, max_length=100)
    url: str = Field(..., min_length=1, max_length=1000)
    options: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, str] = Field(default_factory=dict)

    def resolved_credentials(self) -> dict[str, str]:
        """Credentials with every ``env:NAME`` read from the environment."""
        out: dict[str, str] = {}
        for key, value in self.credentials.items():
            if value.startswith("env:"):
                name = value[4:]
                if name not in os.environ:
                    raise InvalidInput(
                        f"storage.credentials.{key}: the environment has no {name}",
                        field=f"storage.credentials.{key}",
                    )
                out[key] = os.environ[name]
            else:
                out[key] = value
        return out


class ExtractStage(_Strict):
    storage: str | None = Field(None, description="A connection's name (default: the spec's).")


class PrelabelStage(_Strict):
    model: Literal["saved", "http"] = "saved"
    url: str | None = Field(None, max_length=2000)
    batch_size: int = Field(256, ge=1, le=100_000)
    timeout_s: float = Field(3600, gt=0)


class DistributeStage(_Strict):
    overlap: int | None = Field(None, ge=1, le=100)
    gold_ratio: float | None = Field(None, ge=0, le=1)
    lease_seconds: int | None = Field(None, ge=10)
    ordering: Literal["fifo", "random", "priority"] | None = None
    required_skills: list[str] | None = None
    active_learning: bool = Field(
        False, description="Retrain the project's model and order the queue by its priorities."
    )
    timeout_s: float = Field(3600, gt=0)


class QualityGateStage(_Strict):
    min_done: float = Field(1.0, ge=0, le=1)
    min_agreement: float | None = Field(None, ge=-1, le=1)
    min_gold_accuracy: float | None = Field(None, ge=0, le=1)
    method: str = Field("mv", max_length=40)
    timeout_s: float = Field(7 * 24 * 3600, gt=0, description="Give up waiting after this long.")
    poll_s: float = Field(60, gt=0, description="Seconds between two looks.")

    def thresholds(self) -> dict[str, Any]:
        return self.model_dump(include={"min_done", "min_agreement", "min_gold_accuracy", "method"})


class ExportStage(_Strict):
    format: str = Field("jsonl", max_length=100)
    url: str = Field(..., min_length=1, max_length=1000)
    labels: Literal["raw", "aggregated", "both"] = "both"
    status: Literal["open", "full", "done"] | None = None


class Stages(_Strict):
    extract: ExtractStage | None = None
    prelabel: PrelabelStage | None = None
    distribute: DistributeStage | None = None
    quality_gate: QualityGateStage | None = None
    export: ExportStage | None = None

    def chosen(self) -> list[str]:
        return [name for name in STAGES if getattr(self, name) is not None]


class PipelineSpec(_Strict):
    version: Literal[1] = 1
    name: str = Field(..., min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    project: str | int
    storage: StorageSpec | None = None
    stages: Stages


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the YAML node at ``loc`` (or of its nearest parent)."""
    line = None if node is None else node.start_mark.line + 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            found = [v for k, v in node.value if getattr(k, "value", None) == str(key)]
            if not found:
                return line
            key_node = next(k for k, v in node.value if v is found[0])
            node, line = found[0], key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def parse(text: str, source: str = "spec") -> PipelineSpec:
    """A spec from YAML text; InvalidInput names ``source``, the line and the field."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        raise InvalidInput(f"{source}:{line}: not valid YAML: {problem}", line=line) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{source}:1: a pipeline spec is a mapping (version, name, ...)", line=1)
    try:
        return PipelineSpec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p in ("str", "int")))
        where = ".".join(str(p) for p in loc) or "spec"
        line = _line_of(node, loc)
        raise InvalidInput(
            f"{source}:{line}: {where}: {first['msg']}", field=where, line=line
        ) from None
