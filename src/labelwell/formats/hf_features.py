"""Typed columns for Hugging Face ``datasets``: the ``Features`` JSON (as
``datasets.Features.to_dict()`` writes it, datasets >= 4: ``Value``,
``ClassLabel``, ``List``) and the matching Arrow types, built from the
ontology, plus encoding of labelwell results into rows and back.

Per control type: ``choice`` is a ``ClassLabel``; ``multi_choice`` a ``List``
of ``ClassLabel``; ``spans`` a ``List`` of ``{id, start, end, label
(ClassLabel), text}``; ``bbox`` a ``List`` of ``{id, label (ClassLabel), x, y,
width, height}``; ``text`` a string; every other type a JSON string. With
``ner_tags``, each spans control also gets ``<name>_tokens`` and
``<name>_tags`` (IOB2 ``ClassLabel`` sequence), the layout of ``conll2003``.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from labelwell.errors import InvalidInput
from labelwell.formats._ontology import Control

TYPED = ("choice", "multi_choice", "spans", "bbox", "text")


def value(dtype: str) -> dict[str, Any]:
    return {"dtype": dtype, "_type": "Value"}


def class_label(names: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return {"names": list(names), "_type": "ClassLabel"}


def list_of(feature: Any) -> dict[str, Any]:
    return {"feature": feature, "_type": "List"}


def bio_names(labels: tuple[str, ...]) -> list[str]:
    return ["O"] + [f"{p}-{label}" for label in labels for p in ("B", "I")]


def control_feature(c: Control) -> dict[str, Any]:
    cl = class_label(c.labels)
    if c.type == "choice":
        return cl
    if c.type == "multi_choice":
        return list_of(cl)
    if c.type == "spans":
        span = {"id": value("string"), "start": value("int32"), "end": value("int32")}
        return list_of(span | {"label": cl, "text": value("string")})
    if c.type == "bbox":
        box = {"id": value("string"), "label": cl}
        return list_of(box | {k: value("float64") for k in ("x", "y", "width", "height")})
    return value("string")


def arrow_type(feature: Any) -> pa.DataType:
    kind = feature.get("_type") if isinstance(feature, dict) else None
    if kind == "Value":
        return {
            "string": pa.string(),
            "int32": pa.int32(),
            "int64": pa.int64(),
            "float64": pa.float64(),
        }.get(feature["dtype"], pa.bool_() if feature["dtype"] == "bool" else pa.string())
    if kind == "ClassLabel":
        return pa.int64()
    if kind == "List":
        return pa.list_(arrow_type(feature["feature"]))
    return pa.struct([(k, arrow_type(v)) for k, v in feature.items()])


def encode(c: Control, result_value: Any, where: str) -> Any:
    """A control's result value as the column value."""
    if result_value is None:
        return None
    index = c.label_index()

    def idx(label: Any) -> int:
        if label not in index:
            raise InvalidInput(
                f"{where}: label {label!r} is not in control {c.name!r}", field=c.name
            )
        return index[label]

    if c.type == "choice":
        return idx(result_value)
    if c.type == "multi_choice":
        return [idx(v) for v in result_value]
    if c.type == "spans":
        return [
            {
                "id": s.get("id"),
                "start": s["start"],
                "end": s["end"],
                "label": idx(s["label"]),
                "text": s.get("text"),
            }
            for s in result_value
        ]
    if c.type == "bbox":
        keys = ("x", "y", "width", "height")
        return [
            {"id": b.get("id"), "label": idx(b["label"])} | {k: float(b[k]) for k in keys}
            for b in result_value
        ]
    if c.type == "text":
        return result_value
    return json.dumps(result_value, ensure_ascii=False)


def decode(c: Control, cell: Any) -> Any:
    """The column value back as a labelwell result value."""
    if cell is None:
        return None
    names = c.labels
    if c.type == "choice":
        return names[cell]
    if c.type == "multi_choice":
        return [names[i] for i in cell]
    if c.type == "spans":
        out = []
        for s in cell:
            span = {"id": s["id"], "start": s["start"], "end": s["end"], "label": names[s["label"]]}
            if s.get("text") is not None:
                span["text"] = s["text"]
            out.append(span)
        return out
    if c.type == "bbox":
        return [dict(b, label=names[b["label"]]) for b in cell]
    if c.type == "text":
        return cell
    return json.loads(cell)


def data_feature(values: list[Any]) -> dict[str, Any] | None:
    """A ``Value`` feature for a data field from its first values, ``None`` for JSON."""
    kinds = {type(v) for v in values if v is not None}
    if kinds == {str}:
        return value("string")
    if kinds == {bool}:
        return value("bool")
    if kinds == {int}:
        return value("int64")
    if kinds and kinds <= {int, float}:
        return value("float64")
    return None


def decode_any(feature: Any, cell: Any) -> Any:
    """Generic decoding by feature, for datasets not written by labelwell."""
    if cell is None or not isinstance(feature, dict):
        return cell
    kind = feature.get("_type")
    if kind == "ClassLabel":
        return feature["names"][cell] if 0 <= cell < len(feature["names"]) else None
    if kind in ("List", "Sequence", "LargeList"):
        inner = feature["feature"]
        if isinstance(cell, dict):  # legacy Sequence of dict: a dict of lists
            return {k: [decode_any(inner.get(k), x) for x in v] for k, v in cell.items()}
        return [decode_any(inner, x) for x in cell]
    if kind is None:
        return {k: decode_any(feature.get(k), v) for k, v in cell.items()}
    return cell
