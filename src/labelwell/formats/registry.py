"""Registries of exporters and importers, so the CLI, SDK and API list formats
from one place and later formats plug in by name (in code with
:func:`register_exporter` / :func:`register_importer`, or from another package
through the ``labelwell.exporters`` / ``labelwell.importers`` entry-point groups).
Each built-in format's module is imported when the format is first used.

An **exporter** consumes a stream of :class:`ExportRecord` (one per item, with
all its annotations, predictions, gold and consensus) and writes files. It must
stream: it may keep per-item state only as long as the item is being written.

An **importer** reads a file and yields :class:`ImportRow` objects (item data
plus optional predictions and gold). It raises
:class:`labelwell.errors.InvalidInput` with ``line`` and ``field`` on bad input;
the caller stores rows in one transaction so a bad file stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from labelwell.registry import Registry


@dataclass(slots=True)
class Provenance:
    """Who or what produced a label. ``source`` is one of ``human``, ``model``,
    ``labeling_function``, ``consensus``, ``synthetic``; ``agent`` names which one
    (user email, ``model@version``, function name)."""

    source: str
    agent: str
    guideline_version: int | None = None
    lease_id: int | None = None
    time_spent_ms: int | None = None
    created_at: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class LabelRecord:
    """One annotation, prediction, gold answer or consensus label on an item."""

    id: int | None
    result: dict[str, Any]
    provenance: Provenance
    score: float | None = None
    revision: int = 1
    status: str | None = None


@dataclass(slots=True)
class ExportRecord:
    item_id: int
    external_id: str | None
    data: dict[str, Any]
    media: list[str]
    status: str
    annotations: list[LabelRecord] = field(default_factory=list)
    predictions: list[LabelRecord] = field(default_factory=list)
    gold: LabelRecord | None = None
    consensus: LabelRecord | None = None


@dataclass(slots=True)
class ImportRow:
    """One item read from a file.

    ``predictions``: ``{"result", "score"?, "model_name"?, "model_version"?}`` dicts.
    ``annotations``: existing labels, ``{"result", "annotator"?, "source"?,
    "created_at"?, "time_spent_ms"?}`` dicts (``annotator`` names the person or tool
    in the source system; it is kept in provenance).
    ``gold``: a result known to be correct.
    """

    line: int
    data: dict[str, Any]
    external_id: str | None = None
    media: list[str] = field(default_factory=list)
    predictions: list[dict[str, Any]] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    gold: dict[str, Any] | None = None


class Exporter(Protocol):
    """``needs``, when an exporter has it, lists the control types it can write: a
    project must have a control of one of them (see :func:`fits`)."""

    name: str
    extension: str
    media_type: str

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        """Write records to ``out``; return the number of items written."""
        ...


class Importer(Protocol):
    name: str

    def read(self, path: Path) -> Iterator[ImportRow]: ...


_TRL = ("dpo", "reward", "kto", "sft")
#: each built-in format module and the names it registers: (exporters, importers)
_BUILTINS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "coco": (("coco",), ("coco",)),
    "coco_panoptic": (("coco_panoptic",), ("coco_panoptic",)),
    "conll": (("conll",), ("conll",)),
    "crowdkit": (("crowdkit",), ("crowdkit",)),
    "cvat_video": (("cvat_video",), ("cvat_video",)),
    "hf_datasets": (("hf_datasets", "hf_parquet"), ("hf_datasets", "hf_parquet")),
    "jsonl": (("jsonl",), ("jsonl", "json")),
    "kitti": (("kitti",), ("kitti",)),
    "label_studio": (("label_studio", "label_studio_comparison"), ("label_studio",)),
    "label_studio_min": ((), ("label_studio_min", "label_studio_csv", "label_studio_tsv")),
    "media_folder": ((), ("folder",)),
    "mot": (("mot",), ("mot",)),
    "png_masks": (("png_masks",), ()),
    "rttm": (("rttm",), ("rttm",)),
    "spacy_docbin": (("spacy",), ("spacy",)),
    "subtitles": (("webvtt", "srt"), ("webvtt", "srt")),
    "tabular": (("csv", "parquet"), ("csv", "parquet")),
    "trl": ((*_TRL, *(f"{kind}_conversational" for kind in _TRL)), ()),
    "voc": (("voc",), ("voc",)),
    "yolo": (("yolo",), ("yolo",)),
    "youtube_vis": (("youtube_vis",), ("youtube_vis",)),
}


def _builtins(side: int) -> dict[str, str]:
    """``{name: module}`` of the exporters (``side`` 0) or importers (1)."""
    return {
        name: f"labelwell.formats.{module}"
        for module, names in _BUILTINS.items()
        for name in names[side]
    }


EXPORTERS: Registry[Callable[..., Exporter]] = Registry(
    "exporter", group="labelwell.exporters", field="format", builtins=_builtins(0)
)
IMPORTERS: Registry[Callable[..., Importer]] = Registry(
    "import format", group="labelwell.importers", field="format", builtins=_builtins(1)
)


def register_exporter(
    name: str, *, replace: bool = False
) -> Callable[[Callable[..., Exporter]], Callable[..., Exporter]]:
    """Decorator: make an exporter factory (usually the class) available as ``name``."""
    return EXPORTERS.register(name, replace=replace)


def register_importer(
    name: str, *, replace: bool = False
) -> Callable[[Callable[..., Importer]], Callable[..., Importer]]:
    """Decorator: make an importer factory (usually the class) available as ``name``."""
    return IMPORTERS.register(name, replace=replace)


def fits(exporter: str | Exporter, ontology: Any) -> tuple[bool, str]:
    """Whether a project with ``ontology`` can be exported with ``exporter`` (an
    instance or a registered name), and if not, why: ``(True, "")`` or
    ``(False, reason)``. The rule for the API, the CLI and the console alike."""
    from labelwell.formats._ontology import controls

    if isinstance(exporter, str):
        name, exporter = exporter, EXPORTERS[exporter]()
    else:
        name = exporter.name
    needs: tuple[str, ...] = tuple(getattr(exporter, "needs", ()))
    if not needs:
        return True, ""
    have = sorted({c.type for c in controls(ontology)})
    if set(needs) & set(have):
        return True, ""
    return False, (
        f"format: the {name} export needs a {' or '.join(needs)} control; this project has "
        + (f"only {', '.join(have)} controls" if have else "no controls")
    )


def fitting_exporters(ontology: Any) -> dict[str, tuple[bool, str]]:
    """Every registered exporter's name with :func:`fits`' answer, sorted by name."""
    return {name: fits(name, ontology) for name in sorted(EXPORTERS)}
