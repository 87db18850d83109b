"""Label Studio JSON: a list of tasks ``{"id", "data", "annotations",
"predictions"}`` whose ``result`` lists regions ``{"id", "from_name",
"to_name", "type", "value"}`` (https://labelstud.io/guide/export#Label-Studio-JSON
and https://labelstud.io/guide/task_format).

Mapping (``from_name`` is the control's name, ``to_name`` its ``source``):

=============  =================  =============================================
labelwell      Label Studio       value
=============  =================  =============================================
bbox           rectanglelabels    x, y, width, height in percent of the image
polygon        polygonlabels      points in percent of the image
keypoints      keypointlabels     one region per labeled point: x, y in percent,
                                  ``keypointlabels: [keypoint]``, ``parentID``
                                  the instance id; extension keys
                                  ``instance_label``, ``visibility``
mask           brushlabels        ``format: "rle"``, ``rle``: Label Studio's
                                  brush RLE of the RGBA image (``ls_brush``)
panoptic       brushlabels        as mask, plus extension key ``instance_id``
spans          labels             start, end in code points, as Label Studio's
                                  editor counts them (``[...text].length``);
                                  ``text`` checked against them on import
relations      relation           from_id, to_id, labels
choice         choices            one choice
multi_choice   choices            several choices
text           textarea           ``text: [str]``
rating (int)   rating             ``rating: int``
pairwise       pairwise           ``selected: "left" | "right"`` for a / b; tie
                                  and both_bad as ``choices`` region
                                  ``<name>_choice``; reason as ``textarea``
                                  region ``<name>_reason``
ranking        ranker             ``ranker: {<name>: [ids]}`` without ties,
                                  ``ranker: {rank_1: [ids], rank_2: ...}`` with
=============  =================  =============================================

Details of the new mappings are in ``label_studio_vision`` and
``label_studio_prefs``. Other types (correction, float ratings) are not written;
on import, other Label Studio types raise unless ``unsupported="skip"``. Gold
labels are written as ``ground_truth`` annotations and read back as gold; the
annotator goes in ``created_username``; predictions keep ``model_version`` and
``score``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from labelwell.errors import InvalidInput
from labelwell.formats._ontology import controls
from labelwell.formats._select import attach, check_mode, chosen_labels
from labelwell.formats.label_studio_prefs import (
    PAIRWISE_LAYOUTS,
    RLHF_FIELDS,
    comparison_data,
    fill_responses,
)
from labelwell.formats.label_studio_regions import LS_TYPES, RegionReader, to_regions
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    register_exporter,
    register_importer,
)

__all__ = ["LS_TYPES", "LabelStudioExporter", "LabelStudioImporter", "to_regions"]

_USER = re.compile(r"^(.*), \d+$")


def annotator_of(ann: dict[str, Any]) -> str | None:
    """Who made a Label Studio annotation: the email of an expanded
    ``completed_by: {id, email}``, else of ``created_username`` (``"email, id"``),
    else ``label-studio:<id>`` for a bare ``completed_by`` id."""
    by = ann.get("completed_by")
    if isinstance(by, dict):
        email = by.get("email")
        if isinstance(email, str) and email.strip():
            return email.strip().lower()
        by = by.get("id")
    user = ann.get("created_username")
    if isinstance(user, str) and user.strip():
        m = _USER.match(user.strip())
        name = (m.group(1) if m else user).strip()
        return name.lower() if "@" in name else name
    if isinstance(by, int) and not isinstance(by, bool):
        return f"label-studio:{by}"
    return None


class LabelStudioExporter:
    name = "label_studio"
    needs: tuple[str, ...] = ()  # any control
    extension = "json"
    media_type = "application/json"

    def __init__(
        self, labels: str = "both", predictions: bool = True, pairwise_layout: str = "labelwell"
    ) -> None:
        self.labels = check_mode(labels)
        self.predictions = predictions
        if pairwise_layout not in PAIRWISE_LAYOUTS:
            raise InvalidInput(
                f"pairwise_layout must be one of {', '.join(PAIRWISE_LAYOUTS)}",
                field="pairwise_layout",
            )
        #: ``comparison``: pairwise tasks as Label Studio's comparison template
        #: wants them (``answer1``/``answer2`` text fields, ``toName="answer1,answer2"``).
        self.pairwise_layout = pairwise_layout

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        ctrls = controls(ontology)
        comparison = self.pairwise_layout == "comparison"
        to_name = ",".join(RLHF_FIELDS) if comparison else None
        out.write(b"[")
        n = 0
        for rec in records:
            where = f"item {rec.item_id}"
            data = comparison_data(ctrls, rec.data, where) if comparison else rec.data
            anns = []
            for picked in chosen_labels(rec, self.labels):
                ann: dict[str, Any] = {
                    "result": to_regions(picked.result, ctrls, rec.data, where, to_name)
                }
                if picked.label_id is not None:
                    ann["id"] = picked.label_id
                ann["ground_truth"] = picked.source == "gold"
                if picked.annotator:
                    ann["created_username"] = picked.annotator
                anns.append(ann)
            task: dict[str, Any] = {"id": rec.item_id, "data": data, "annotations": anns}
            if self.predictions:
                task["predictions"] = [
                    {
                        "model_version": p.provenance.agent,
                        "score": p.score,
                        "result": to_regions(p.result, ctrls, rec.data, where, to_name),
                    }
                    for p in rec.predictions
                ]
            if rec.external_id is not None:
                task["meta"] = {"external_id": rec.external_id}
            out.write((b",\n" if n else b"\n") + orjson.dumps(task))
            n += 1
        out.write(b"\n]\n")
        return n


class LabelStudioImporter:
    """Reads a Label Studio JSON export (or a single task object)."""

    name = "label_studio"

    def __init__(
        self,
        ontology: Any = None,
        unsupported: str = "error",
        pairwise_fields: tuple[str, str] = RLHF_FIELDS,
        ranker_buckets: Sequence[str] | None = None,
        ground_truth: str = "gold",
    ) -> None:
        self.unsupported = unsupported
        #: ``gold``: a ground-truth annotation is the item's gold answer;
        #: ``both``: also an annotation of its annotator (a migration keeps both).
        self.ground_truth = ground_truth
        self.pairwise_fields = pairwise_fields
        self.ranker_buckets = ranker_buckets
        self.ontology = ontology
        #: What the last ``read`` skipped, for the caller to show.
        self.warnings: list[str] = []

    @property
    def ontology(self) -> Any:
        return self._ontology

    @ontology.setter
    def ontology(self, ontology: Any) -> None:
        """Set by the project import (``work.items.importer_for``) as well."""
        self._ontology = ontology
        self.ctrls = {c.name: c for c in controls(ontology)}
        self.regions = RegionReader(self.ctrls, self.unsupported, self.ranker_buckets)

    def read(self, path: Path) -> Iterator[ImportRow]:
        path = Path(path)
        try:
            doc = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"{path.name}: not JSON: {exc}", line=exc.lineno) from exc
        tasks = [doc] if isinstance(doc, dict) else doc
        if not isinstance(tasks, list):
            raise InvalidInput(f"{path.name}: expected a list of tasks")
        self.warnings = []
        id_only: list[str] = []
        for i, task in enumerate(tasks):
            where = f"{path.name}: tasks[{i}]"
            if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
                raise InvalidInput(f"{where} has no data object", field=f"tasks[{i}].data")
            data = dict(task["data"])
            fill_responses(self.ctrls, data, self.pairwise_fields)
            ext = (task.get("meta") or {}).get("external_id")
            if ext is None and task.get("id") is not None:
                ext = str(task["id"])
            row = ImportRow(line=i + 1, data=data, external_id=ext)
            for j, ann in enumerate(task.get("annotations") or []):
                if not isinstance(ann, dict):
                    raise InvalidInput(
                        f"{where}: an annotation must be an object",
                        field=f"tasks[{i}].annotations[{j}]",
                        line=i + 1,
                    )
                if ann.get("was_cancelled"):
                    continue
                result = self._result(
                    ann.get("result") or [], data, f"tasks[{i}].annotations[{j}]", path, i + 1
                )
                user = annotator_of(ann)
                extra: dict[str, int | str] = (
                    {"time_spent_ms": int(ann["lead_time"] * 1000)} if ann.get("lead_time") else {}
                )
                if ann.get("created_at"):
                    extra["created_at"] = ann["created_at"]
                if ann.get("id") is not None:
                    extra["external_id"] = str(ann["id"])
                gold = bool(ann.get("ground_truth"))
                if gold:
                    attach(row, result, target="gold")
                if not gold or self.ground_truth == "both":
                    attach(row, result, annotator=user, source="human", extra=extra)
            for j, pred in enumerate(task.get("predictions") or []):
                if not isinstance(pred, dict):
                    id_only.append(f"tasks[{i}].predictions[{j}]")
                    continue
                result = self._result(
                    pred.get("result") or [], data, f"tasks[{i}].predictions[{j}]", path, i + 1
                )
                score = pred.get("score")
                attach(
                    row,
                    result,
                    target="prediction",
                    annotator=pred.get("model_version"),
                    score=score,
                )
            yield row
        if id_only:
            self.warnings.append(
                f"{path.name}: skipped {len(id_only)} predictions given only as ids (first: "
                f"{id_only[0]}); Label Studio's JSON export writes prediction ids, its API "
                "export with predictions writes them in full"
            )

    def _result(
        self, regions: Any, data: dict[str, Any], where: str, path: Path, line: int
    ) -> dict[str, Any]:
        """One annotation's regions; errors name the task (``line``, 1-based) and field."""
        if not isinstance(regions, list):
            raise InvalidInput(
                f"{path.name}: result must be a list", field=f"{where}.result", line=line
            )
        try:
            return self.regions.read(regions, data, where, path.name)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field=exc.field, line=line) from exc


@register_exporter("label_studio")
def _ls_exporter() -> LabelStudioExporter:
    return LabelStudioExporter()


@register_exporter("label_studio_comparison")
def _ls_comparison_exporter() -> LabelStudioExporter:
    exporter = LabelStudioExporter(pairwise_layout="comparison")
    exporter.name = "label_studio_comparison"
    exporter.needs = ("pairwise",)
    return exporter


@register_importer("label_studio")
def _ls_importer() -> LabelStudioImporter:
    return LabelStudioImporter()
