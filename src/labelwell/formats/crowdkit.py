"""The long format of crowd-kit and every aggregation tool: a CSV with one row
per answer, ``task,worker,label`` (Ustalov et al., "Learning from Crowds with
Crowd-Kit", JOSS 2024; ``crowdkit.aggregation`` methods take this frame).

``task`` is the item's external id (its id when it has none), ``worker`` the
annotator (``provenance.agent``), ``label`` the answer of one control: a label
name for ``choice``, the number for an integer ``rating``, the string for
``text``, and compact JSON for any other result (crowd-kit's multi-label,
span and box aggregators parse it). Only raw annotations are written: they
are the input of aggregation. ``control`` picks the control; by default the
first ``choice`` control, else the first control.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from labelwell.errors import InvalidInput
from labelwell.formats._ontology import Control, TakesOntology, check_label, controls
from labelwell.formats._select import attach
from labelwell.formats.registry import ExportRecord, ImportRow, register_exporter, register_importer
from labelwell.formats.tabular import spreadsheet_safe

COLUMNS = ("task", "worker", "label")


def long_control(ontology: Any, name: str | None) -> Control:
    ctrls = controls(ontology)
    if name is not None:
        found = [c for c in ctrls if c.name == name]
        if not found:
            if ontology is None:
                return Control(name=name, type="choice", source=None, labels=())
            raise InvalidInput(f"the ontology has no control {name!r}", field="control")
        return found[0]
    for c in ctrls:
        if c.type == "choice":
            return c
    if not ctrls:
        raise InvalidInput("the long format needs an ontology or a control name", field="control")
    return ctrls[0]


def encode(ctrl: Control, value: Any) -> str:
    if ctrl.type in ("choice", "text") and isinstance(value, str):
        return value
    if ctrl.type == "rating" and isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def decode(ctrl: Control, raw: str) -> Any:
    if ctrl.type in ("choice", "text"):
        return raw
    if ctrl.type == "rating" and raw.lstrip("-").isdigit():
        return int(raw)
    return json.loads(raw)


class CrowdKitExporter:
    name = "crowdkit"
    extension = "csv"
    media_type = "text/csv"

    def __init__(self, control: str | None = None) -> None:
        self.control = control

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        ctrl = long_control(ontology, self.control)
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        try:
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(COLUMNS)
            n = 0
            for rec in records:
                task = rec.external_id if rec.external_id is not None else str(rec.item_id)
                rows = [
                    (
                        spreadsheet_safe(task),
                        spreadsheet_safe(ann.provenance.agent),
                        spreadsheet_safe(encode(ctrl, ann.result[ctrl.name])),
                    )
                    for ann in rec.annotations
                    if ann.result.get(ctrl.name) is not None
                ]
                writer.writerows(rows)
                n += 1
        finally:
            text.detach()
        return n


class CrowdKitImporter(TakesOntology):
    """Reads ``task,worker,label`` rows into one item per task, one annotation
    per worker; a task/worker pair twice is an error, as in crowd-kit."""

    name = "crowdkit"

    def __init__(
        self, ontology: Any = None, control: str | None = None, data_key: str = "task"
    ) -> None:
        self.control = control
        self.data_key = data_key
        self.ontology = ontology

    def bind(self, ontology: Any) -> None:
        self.ctrl = long_control(ontology, self.control) if (ontology or self.control) else None

    def read(self, path: Path) -> Iterator[ImportRow]:
        path = Path(path)
        ctrl = self.ctrl or Control(name="label", type="choice", source=None, labels=())
        tasks: dict[str, ImportRow] = {}
        seen: set[tuple[str, str]] = set()
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise InvalidInput(
                    f"{path.name}: missing column {missing[0]!r}", line=1, field=missing[0]
                )
            for line, rec in enumerate(reader, start=2):
                task, worker, raw = rec["task"], rec["worker"], rec["label"]
                if not task or not worker:
                    field = "task" if not task else "worker"
                    raise InvalidInput(f"{path.name}: empty {field}", line=line, field=field)
                if (task, worker) in seen:
                    raise InvalidInput(
                        f"{path.name}: worker {worker!r} answered task {task!r} twice",
                        line=line,
                        field="worker",
                    )
                seen.add((task, worker))
                try:
                    value = decode(ctrl, raw)
                except json.JSONDecodeError as exc:
                    raise InvalidInput(
                        f"{path.name}: label is not JSON", line=line, field="label"
                    ) from exc
                if ctrl.type == "choice":
                    check_label(ctrl, value, line=line, field="label", file=path.name)
                row = tasks.get(task)
                if row is None:
                    row = tasks[task] = ImportRow(
                        line=line, data={self.data_key: task}, external_id=task
                    )
                attach(row, {ctrl.name: value}, annotator=worker, source="human")
        yield from tasks.values()


@register_exporter("crowdkit")
def _crowdkit_exporter() -> CrowdKitExporter:
    return CrowdKitExporter()


@register_importer("crowdkit")
def _crowdkit_importer() -> CrowdKitImporter:
    return CrowdKitImporter()
