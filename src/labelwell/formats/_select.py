"""Which labels an exporter writes, and how importers hand labels back.

The rule every exporter follows for ``labels=``:

* ``"raw"``: every annotation, each with its annotator (``provenance.agent``).
* ``"consensus"``: one label per item: the consensus when there is one, else
  the gold answer, else the first annotation; items with none of these are
  written without labels.
* ``"both"``: the raw annotations followed by the consensus label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ExportRecord, ImportRow, LabelRecord

LABEL_MODES = ("raw", "consensus", "both")
TARGETS = ("annotation", "prediction", "gold")


@dataclass(frozen=True, slots=True)
class Chosen:
    """A label picked for export, with who made it."""

    result: dict[str, Any]
    annotator: str | None
    source: str
    label_id: int | None
    score: float | None = None


def check_mode(labels: str) -> str:
    if labels not in LABEL_MODES:
        raise InvalidInput(f"labels must be one of {', '.join(LABEL_MODES)}", field="labels")
    return labels


def _chosen(rec: LabelRecord, source: str | None = None) -> Chosen:
    return Chosen(
        result=rec.result or {},
        annotator=rec.provenance.agent,
        source=source or rec.provenance.source,
        label_id=rec.id,
        score=rec.score,
    )


def resolved(record: ExportRecord) -> Chosen | None:
    """Consensus, else gold, else the first annotation."""
    if record.consensus is not None:
        return _chosen(record.consensus, "consensus")
    if record.gold is not None:
        return _chosen(record.gold, "gold")
    if record.annotations:
        return _chosen(record.annotations[0])
    return None


def chosen_labels(record: ExportRecord, labels: str) -> list[Chosen]:
    out: list[Chosen] = []
    if labels in ("raw", "both"):
        out.extend(_chosen(a) for a in record.annotations)
    if labels in ("consensus", "both"):
        picked = resolved(record)
        if picked is not None and not (
            labels == "both" and picked.source not in ("consensus", "gold")
        ):
            out.append(picked)
    return out


def attach(
    row: ImportRow,
    result: dict[str, Any],
    *,
    target: str = "annotation",
    annotator: str | None = None,
    source: str | None = None,
    score: float | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Put one imported result on ``row`` as an annotation, prediction or gold."""
    if target == "gold":
        row.gold = result
    elif target == "prediction":
        pred: dict[str, Any] = {"result": result}
        if score is not None:
            pred["score"] = score
        if annotator:
            pred["model_name"] = annotator
        row.predictions.append(pred)
    elif target == "annotation":
        ann: dict[str, Any] = {"result": result}
        if annotator:
            ann["annotator"] = annotator
        if source:
            ann["source"] = source
        ann.update(extra or {})
        row.annotations.append(ann)
    else:
        raise InvalidInput(f"target must be one of {', '.join(TARGETS)}", field="target")
