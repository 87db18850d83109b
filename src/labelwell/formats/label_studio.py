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
spans          labels             start, end in UTF-16 code units (JavaScript)
relations      relation           from_id, to_id, labels
choice         choices            one choice
multi_choice   choices            several choices
text           textarea           ``text: [str]``
rating (int)   rating             ``rating: int``
=============  =================  =============================================

Other types (keypoints, masks, pairwise, ranking) are not written; on import,
other Label Studio types raise unless ``unsupported="skip"``. Gold labels are
written as ``ground_truth`` annotations and read back as gold; the annotator
goes in ``created_username``; predictions keep ``model_version`` and ``score``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from labelwell.errors import InvalidInput
from labelwell.formats._ontology import Control, check_label, controls
from labelwell.formats._select import attach, check_mode, chosen_labels
from labelwell.formats._tokens import from_utf16, to_utf16
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    register_exporter,
    register_importer,
)

LS_TYPES = {
    "rectanglelabels": "bbox",
    "polygonlabels": "polygon",
    "labels": "spans",
    "relation": "relations",
    "choices": "choice",
    "textarea": "text",
    "rating": "rating",
}
_USER = re.compile(r"^(.*), \d+$")


def _size(data: dict[str, Any], where: str) -> tuple[float, float]:
    try:
        return float(data["width"]), float(data["height"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(
            f"{where}: images need data.width and data.height", field="data.width"
        ) from exc


def to_regions(
    result: dict[str, Any], ctrls: list[Control], data: dict[str, Any], where: str
) -> list[dict]:
    """A labelwell result as Label Studio result regions."""
    out: list[dict[str, Any]] = []
    for c in ctrls:
        value = result.get(c.name)
        if value is None:
            continue
        base = {"from_name": c.name, "to_name": c.source or c.name}
        if c.type in ("bbox", "polygon"):
            w, h = _size(data, where)
            for i, r in enumerate(value):
                if c.type == "bbox":
                    v = {
                        "x": 100 * r["x"] / w,
                        "y": 100 * r["y"] / h,
                        "width": 100 * r["width"] / w,
                    }
                    v.update(height=100 * r["height"] / h, rotation=0, rectanglelabels=[r["label"]])
                    kind = "rectanglelabels"
                else:
                    v = {"points": [[100 * x / w, 100 * y / h] for x, y, *_ in r["points"]]}
                    v["polygonlabels"] = [r["label"]]
                    kind = "polygonlabels"
                out.append(
                    {"id": str(r.get("id") or f"{c.name}-{i}"), **base, "type": kind, "value": v}
                    | {"original_width": int(w), "original_height": int(h), "image_rotation": 0}
                )
        elif c.type == "spans":
            text = data.get(c.source or "text") or ""
            for i, r in enumerate(value):
                s, e = int(r["start"]), int(r["end"])
                v = {"start": to_utf16(text, s), "end": to_utf16(text, e), "text": text[s:e]}
                v["labels"] = [r["label"]]
                out.append(
                    {
                        "id": str(r.get("id") or f"{c.name}-{i}"),
                        **base,
                        "type": "labels",
                        "value": v,
                    }
                )
        elif c.type == "relations":
            for r in value:
                rel = {"type": "relation", "from_id": str(r["from"]), "to_id": str(r["to"])}
                out.append(
                    rel | {"direction": "right", "labels": [r["label"]] if r.get("label") else []}
                )
        elif c.type in ("choice", "multi_choice"):
            choices = [value] if isinstance(value, str) else list(value)
            out.append({"id": c.name, **base, "type": "choices", "value": {"choices": choices}})
        elif c.type == "text":
            out.append({"id": c.name, **base, "type": "textarea", "value": {"text": [value]}})
        elif c.type == "rating" and isinstance(value, int):
            out.append({"id": c.name, **base, "type": "rating", "value": {"rating": value}})
    return out


class LabelStudioExporter:
    name = "label_studio"
    extension = "json"
    media_type = "application/json"

    def __init__(self, labels: str = "both", predictions: bool = True) -> None:
        self.labels = check_mode(labels)
        self.predictions = predictions

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        ctrls = controls(ontology)
        out.write(b"[")
        n = 0
        for rec in records:
            where = f"item {rec.item_id}"
            anns = []
            for picked in chosen_labels(rec, self.labels):
                ann: dict[str, Any] = {"result": to_regions(picked.result, ctrls, rec.data, where)}
                if picked.label_id is not None:
                    ann["id"] = picked.label_id
                ann["ground_truth"] = picked.source == "gold"
                if picked.annotator:
                    ann["created_username"] = picked.annotator
                anns.append(ann)
            task: dict[str, Any] = {"id": rec.item_id, "data": rec.data, "annotations": anns}
            if self.predictions:
                task["predictions"] = [
                    {
                        "model_version": p.provenance.agent,
                        "score": p.score,
                        "result": to_regions(p.result, ctrls, rec.data, where),
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

    def __init__(self, ontology: Any = None, unsupported: str = "error") -> None:
        self.ctrls = {c.name: c for c in controls(ontology)}
        self.unsupported = unsupported

    def read(self, path: Path) -> Iterator[ImportRow]:
        path = Path(path)
        try:
            doc = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"{path.name}: not JSON: {exc}", line=exc.lineno) from exc
        tasks = [doc] if isinstance(doc, dict) else doc
        if not isinstance(tasks, list):
            raise InvalidInput(f"{path.name}: expected a list of tasks")
        for i, task in enumerate(tasks):
            where = f"{path.name}: tasks[{i}]"
            if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
                raise InvalidInput(f"{where} has no data object", field=f"tasks[{i}].data")
            data = dict(task["data"])
            ext = (task.get("meta") or {}).get("external_id")
            if ext is None and task.get("id") is not None:
                ext = str(task["id"])
            row = ImportRow(line=i + 1, data=data, external_id=ext)
            for j, ann in enumerate(task.get("annotations") or []):
                if ann.get("was_cancelled"):
                    continue
                result = self._result(
                    ann.get("result") or [], data, f"tasks[{i}].annotations[{j}]", path
                )
                user = ann.get("created_username")
                if isinstance(user, str) and (m := _USER.match(user)):
                    user = m.group(1)
                extra = (
                    {"time_spent_ms": int(ann["lead_time"] * 1000)} if ann.get("lead_time") else {}
                )
                if ann.get("created_at"):
                    extra["created_at"] = ann["created_at"]
                target = "gold" if ann.get("ground_truth") else "annotation"
                attach(row, result, target=target, annotator=user, source="human", extra=extra)
            for j, pred in enumerate(task.get("predictions") or []):
                result = self._result(
                    pred.get("result") or [], data, f"tasks[{i}].predictions[{j}]", path
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

    def _result(self, regions: list[dict], data: dict[str, Any], where: str, path: Path) -> dict:
        out: dict[str, Any] = {}
        for k, reg in enumerate(regions):
            field = f"{where}.result[{k}]"
            kind = LS_TYPES.get(reg.get("type", ""))
            if kind is None:
                if self.unsupported == "skip":
                    continue
                raise InvalidInput(
                    f"{path.name}: region type {reg.get('type')!r} is not supported", field=field
                )
            name = "relations" if kind == "relations" else reg.get("from_name", kind)
            kinds = ("choice", "multi_choice") if kind == "choice" else (kind,)
            ctrl = self.ctrls.get(name) or next(
                (c for c in self.ctrls.values() if c.type in kinds), None
            )
            if self.ctrls and ctrl is None:
                raise InvalidInput(
                    f"{path.name}: no control {name!r} in the ontology", field=f"{field}.from_name"
                )
            if ctrl is not None:
                name = ctrl.name
            try:
                self._add(out, name, kind, ctrl, reg, data, field)
            except InvalidInput as exc:
                raise InvalidInput(f"{path.name}: {exc.message}", field=exc.field) from exc
            except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError) as exc:
                raise InvalidInput(
                    f"{path.name}: bad {reg.get('type')} region: {exc}", field=field
                ) from exc
        return out

    def _add(self, out, name, kind, ctrl, reg, data, field) -> None:  # type: ignore[no-untyped-def]
        v = reg.get("value") or {}
        rid = str(reg.get("id", len(out.get(name, []))))

        def lab(key: str) -> str:
            label = v[key][0]
            return check_label(ctrl, label, line=None, field=field) if ctrl else label

        if kind in ("bbox", "polygon"):
            w = float(reg.get("original_width") or data["width"])
            h = float(reg.get("original_height") or data["height"])
            data.setdefault("width", int(w))
            data.setdefault("height", int(h))
            if kind == "bbox":
                r = {
                    "id": rid,
                    "label": lab("rectanglelabels"),
                    "x": v["x"] * w / 100,
                    "y": v["y"] * h / 100,
                }
                r.update(width=v["width"] * w / 100, height=v["height"] * h / 100)
                if v.get("rotation"):
                    r["attributes"] = {"rotation": v["rotation"]}
            else:
                pts = [[x * w / 100, y * h / 100] for x, y in v["points"]]
                r = {"id": rid, "label": lab("polygonlabels"), "points": pts}
            out.setdefault(name, []).append(r)
        elif kind == "spans":
            text = (
                data.get(ctrl.source if ctrl and ctrl.source else reg.get("to_name", "text")) or ""
            )
            s, e = from_utf16(text, int(v["start"])), from_utf16(text, int(v["end"]))
            span = {"id": rid, "start": s, "end": e, "label": lab("labels"), "text": text[s:e]}
            out.setdefault(name, []).append(span)
        elif kind == "relations":
            labels = reg.get("labels") or []
            rel = {
                "from": reg["from_id"],
                "to": reg["to_id"],
                "label": labels[0] if labels else None,
            }
            out.setdefault(name, []).append(rel)
        elif kind == "choice":
            choices = list(v["choices"])
            for c in choices:
                if ctrl:
                    check_label(ctrl, c, line=None, field=field)
            multi = (ctrl.type == "multi_choice") if ctrl else len(choices) > 1
            out[name] = choices if multi else choices[0]
        elif kind == "text":
            texts = v["text"]
            out[name] = texts[0] if len(texts) == 1 else "\n".join(texts)
        else:
            out[name] = int(v["rating"])


@register_exporter("label_studio")
def _ls_exporter() -> LabelStudioExporter:
    return LabelStudioExporter()


@register_importer("label_studio")
def _ls_importer() -> LabelStudioImporter:
    return LabelStudioImporter()
