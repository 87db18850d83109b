"""Label Studio's flat exports: ``JSON_MIN`` (a JSON list) and ``CSV`` / ``TSV``.

label-studio-sdk's converter writes one record per annotation: the task's data
keys, ``id`` (the task), one key per control holding its regions' ``value``
objects (with ``original_width``/``original_height``; a lone choice or text is
the bare string), then ``annotator`` (an id in JSON_MIN, an email in CSV),
``annotation_id``, ``created_at``, ``updated_at``, ``lead_time``. CSV and TSV
cells hold lists and objects as JSON. Records of one task become one item with
an annotation each. Which keys are controls comes from the ontology, so these
importers need one; relations and preference regions are not in these exports.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from labelwell.errors import InvalidInput
from labelwell.formats._ontology import Control, TakesOntology, controls
from labelwell.formats._select import attach
from labelwell.formats.label_studio_regions import RegionReader
from labelwell.formats.registry import ImportRow, register_importer

#: Keys the converter adds to every record besides the data and the controls.
META_KEYS: tuple[str, ...] = ("id", "annotator", "annotation_id", "created_at", "updated_at")
META_KEYS += ("lead_time", "agreement")
#: The Label Studio region type of each labelwell control type.
REGION_TYPES = {
    "bbox": ("rectanglelabels", "rectanglelabels"),
    "polygon": ("polygonlabels", "polygonlabels"),
    "keypoints": ("keypointlabels", "keypointlabels"),
    "mask": ("brushlabels", "brushlabels"),
    "panoptic": ("brushlabels", "brushlabels"),
    "spans": ("labels", "labels"),
    "choice": ("choices", "choices"),
    "multi_choice": ("choices", "choices"),
    "text": ("textarea", "text"),
    "rating": ("rating", "rating"),
}
_FIELD = re.compile(r"^record\.result\[(\d+)\]")


def flat_annotator(value: Any) -> str | None:
    """``annotator``: an email (CSV) or a Label Studio user id (JSON_MIN)."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        return f"label-studio:{int(value)}"
    text = str(value).strip()
    return text.lower() if "@" in text else text


class LabelStudioFlatImporter(TakesOntology):
    """Reads JSON_MIN (``delimiter=None``) or a CSV/TSV export (its delimiter)."""

    name = "label_studio_min"

    def __init__(self, ontology: Any = None, delimiter: str | None = None) -> None:
        self.delimiter = delimiter
        self.ontology = ontology

    def bind(self, ontology: Any) -> None:
        self.ctrls = {c.name: c for c in controls(ontology)}
        self.regions = RegionReader(self.ctrls)

    def read(self, path: Path) -> Iterator[ImportRow]:
        path = Path(path)
        if not self.ctrls:
            raise InvalidInput(
                f"{path.name}: Label Studio's flat exports need the project's ontology "
                "to tell label columns from data",
                field="ontology",
            )
        tasks: dict[str, ImportRow] = {}
        for line, record in self._records(path):
            task = record.get("id")
            key = str(task) if task not in (None, "") else f"line {line}"
            data = {k: v for k, v in record.items() if k not in self.ctrls and k not in META_KEYS}
            row = tasks.get(key)
            if row is None:
                ext = None if task in (None, "") else str(task)
                row = tasks[key] = ImportRow(line=line, data=data, external_id=ext)
            labelled = {k: record[k] for k in self.ctrls if record.get(k) not in (None, "")}
            if not labelled and record.get("annotation_id") in (None, ""):
                continue
            result = self._result(labelled, row.data, line, path.name)
            extra: dict[str, Any] = {}
            lead = _number(record.get("lead_time"))
            if lead:
                extra["time_spent_ms"] = int(lead * 1000)
            if record.get("created_at"):
                extra["created_at"] = record["created_at"]
            attach(
                row,
                result,
                annotator=flat_annotator(record.get("annotator")),
                source="human",
                extra=extra,
            )
        yield from tasks.values()

    def _records(self, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
        if self.delimiter is None:
            try:
                doc = orjson.loads(path.read_bytes())
            except orjson.JSONDecodeError as exc:
                raise InvalidInput(f"{path.name}: not JSON: {exc}", line=exc.lineno) from exc
            if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
                raise InvalidInput(f"{path.name}: JSON_MIN is a list of records", line=1)
            yield from enumerate(doc, start=1)
            return
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh, delimiter=self.delimiter)
            if reader.fieldnames is None or "id" not in reader.fieldnames:
                raise InvalidInput(f"{path.name}: no id column", line=1, field="id")
            for record in reader:
                yield reader.line_num, self._cells(record, reader.line_num, path.name)

    def _cells(self, record: dict[str, Any], line: int, file: str) -> dict[str, Any]:
        """Control cells hold JSON lists/objects, or a bare choice or text."""
        out = dict(record)
        for name in self.ctrls:
            cell = out.get(name)
            if isinstance(cell, str) and cell.startswith(("[", "{")):
                try:
                    out[name] = orjson.loads(cell)
                except orjson.JSONDecodeError as exc:
                    raise InvalidInput(
                        f"{file}: column {name!r} is not JSON: {exc}", line=line, field=name
                    ) from exc
        return out

    def _result(
        self, labelled: dict[str, Any], data: dict[str, Any], line: int, file: str
    ) -> dict[str, Any]:
        regions: list[dict[str, Any]] = []
        where: list[tuple[str, int]] = []
        for name, value in labelled.items():
            for k, region in enumerate(_regions(self.ctrls[name], value, line, file)):
                regions.append(region)
                where.append((name, k))
        try:
            return self.regions.read(regions, data, "record", file)
        except InvalidInput as exc:
            field = exc.field or ""
            m = _FIELD.match(field)
            if m:
                name, k = where[int(m.group(1))]
                field = f"{name}[{k}]" + field[m.end() :]
            raise InvalidInput(exc.message, line=line, field=field) from exc


def _regions(ctrl: Control, value: Any, line: int, file: str) -> list[dict[str, Any]]:
    """One control's prettified value back as Label Studio result regions."""
    kind = REGION_TYPES.get(ctrl.type)
    if kind is None:
        raise InvalidInput(
            f"{file}: a {ctrl.type} control cannot come from a flat export",
            line=line,
            field=ctrl.name,
        )
    region_type, key = kind
    if isinstance(value, str | int | float) and ctrl.type in ("choice", "multi_choice", "text"):
        values: list[Any] = [{key: [str(value)]}]
    elif ctrl.type == "rating" and isinstance(value, int | float | str):
        values = [{key: int(value)}]
    elif isinstance(value, dict):
        values = [value]
    elif isinstance(value, list):
        values = value
    else:
        raise InvalidInput(f"{file}: {ctrl.name} holds {value!r}", line=line, field=ctrl.name)
    if ctrl.type in ("choice", "multi_choice") and all(isinstance(v, str) for v in values):
        values = [{"choices": list(values)}]
    out = []
    for k, v in enumerate(values):
        if not isinstance(v, dict):
            raise InvalidInput(
                f"{file}: {ctrl.name}[{k}] must be an object", line=line, field=f"{ctrl.name}[{k}]"
            )
        value_only = {n: x for n, x in v.items() if n not in ("original_width", "original_height")}
        region = {
            "id": f"{ctrl.name}-{k}",
            "from_name": ctrl.name,
            "to_name": ctrl.source or ctrl.name,
            "type": region_type,
            "value": value_only,
        }
        for size in ("original_width", "original_height"):
            if v.get(size) is not None:
                region[size] = v[size]
        out.append(region)
    return out


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@register_importer("label_studio_min")
def _json_min() -> LabelStudioFlatImporter:
    return LabelStudioFlatImporter()


@register_importer("label_studio_csv")
def _csv() -> LabelStudioFlatImporter:
    importer = LabelStudioFlatImporter(delimiter=",")
    importer.name = "label_studio_csv"
    return importer


@register_importer("label_studio_tsv")
def _tsv() -> LabelStudioFlatImporter:
    importer = LabelStudioFlatImporter(delimiter="\t")
    importer.name = "label_studio_tsv"
    return importer
