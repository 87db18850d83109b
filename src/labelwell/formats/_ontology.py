"""What the format modules need from an ontology: its controls, their labels and
per-label details (skeletons, ``is_thing``), whether the ontology arrives as a
``labelwell.schema.Ontology`` object or as the plain dict it serialises to."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelwell.errors import InvalidInput
from labelwell.formats._bundle import Bundle
from labelwell.formats.registry import ImportRow

GEOMETRY_TYPES = ("bbox", "polygon", "keypoints", "mask", "panoptic")


@dataclass(frozen=True, slots=True)
class Control:
    name: str
    type: str
    source: str | None
    labels: tuple[str, ...]
    label_info: dict[str, dict[str, Any]] = field(default_factory=dict)

    def label_index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.labels)}


def _as_dict(obj: Any) -> Any:
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    if isinstance(obj, dict):
        return {k: _as_dict(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_as_dict(v) for v in obj]
    if hasattr(obj, "to_dict"):  # labelwell.schema.Ontology
        return obj.to_dict()
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    if hasattr(obj, "__dataclass_fields__"):
        return {k: _as_dict(getattr(obj, k)) for k in obj.__dataclass_fields__}
    return obj


def _control(raw: dict[str, Any]) -> Control:
    labels: list[str] = []
    info: dict[str, dict[str, Any]] = {}
    for entry in raw.get("labels") or raw.get("options") or []:
        if isinstance(entry, str):
            labels.append(entry)
            info[entry] = {}
        else:
            labels.append(entry["name"])
            info[entry["name"]] = {k: v for k, v in entry.items() if k != "name"}
    return Control(
        name=raw["name"],
        type=raw["type"],
        source=raw.get("source"),
        labels=tuple(labels),
        label_info=info,
    )


def controls(ontology: Any) -> list[Control]:
    """The ontology's controls, in order. ``None`` gives an empty list."""
    if ontology is None:
        return []
    raw = _as_dict(ontology)
    return [_control(c) for c in raw.get("controls", [])]


def pick_controls(ontology: Any, types: Iterable[str], name: str | None = None) -> list[Control]:
    """Controls of the given types; only the one called ``name`` when it is set."""
    wanted = tuple(types)
    found = [c for c in controls(ontology) if c.type in wanted]
    if name is not None:
        found = [c for c in found if c.name == name]
        if not found:
            raise InvalidInput(f"the ontology has no {'/'.join(wanted)} control {name!r}")
    return found


def first_control(ontology: Any, types: Iterable[str], name: str | None = None) -> Control:
    wanted = tuple(types)
    found = pick_controls(ontology, wanted, name)
    if not found:
        raise InvalidInput(f"the ontology has no control of type {' or '.join(wanted)}")
    return found[0]


def category_names(ctrls: Iterable[Control]) -> list[str]:
    """Union of the controls' label names, first appearance first."""
    seen: dict[str, None] = {}
    for c in ctrls:
        for label in c.labels:
            seen.setdefault(label, None)
    return list(seen)


def check_label(
    control: Control, label: Any, *, line: int | None, field: str, file: str | None = None
) -> str:
    """Raise unless ``label`` is one of the control's labels (any label when the
    control lists none)."""
    if not isinstance(label, str) or (control.labels and label not in control.labels):
        raise InvalidInput(
            (f"{file}: " if file else "") + f"label {label!r} is not in control {control.name!r} "
            f"(labels: {', '.join(control.labels)})",
            line=line,
            field=field,
        )
    return label


def default_label(
    control: Control, given: str | None, *, where: str, line: int | None, field: str
) -> str:
    """The label of an imported region whose file names none: ``given`` (checked),
    else the control's first label."""
    if given is not None:
        return check_label(control, given, line=line, field=field, file=where)
    if not control.labels:
        raise InvalidInput(f"{where}: control {control.name!r} has no labels", field=field)
    return control.labels[0]


class TakesOntology:
    """An importer that maps labels onto an ontology's controls. The ontology
    may be given to the constructor or set later (the project import sets it,
    ``work.items.importer_for``); either way :meth:`bind` derives the controls."""

    _ontology: Any = None

    @property
    def ontology(self) -> Any:
        return self._ontology

    @ontology.setter
    def ontology(self, ontology: Any) -> None:
        self._ontology = ontology
        self.bind(ontology)

    def bind(self, ontology: Any) -> None:
        """Derive what reading needs from ``ontology`` (``None``: no ontology)."""
        raise NotImplementedError


class ControlImporter(TakesOntology):
    """An importer that fills one control of ``types`` (the first, or the one
    called ``control``) from a file whose regions may name no label: those get
    ``label``, else the control's first label (:func:`default_label`). Without an
    ontology it fills a control called ``default_name`` taking any label.
    ``warnings`` says what the file held that was skipped."""

    types: tuple[str, ...] = ()
    default_name = ""
    default_source: str | None = None

    def __init__(
        self,
        ontology: Any = None,
        control: str | None = None,
        label: str | None = None,
        target: str = "annotation",
    ) -> None:
        self.control, self.label, self.target = control, label, target
        self.warnings: list[str] = []
        self.ontology = ontology

    def bind(self, ontology: Any) -> None:
        if ontology is None:
            name = self.control or self.default_name
            self.ctrl = Control(name, self.types[0], self.default_source, labels=())
        else:
            self.ctrl = first_control(ontology, self.types, self.control)

    def read(self, path: Path) -> Iterator[ImportRow]:
        """The rows of the file, folder or zip at ``path`` (:meth:`read_bundle`)."""
        with Bundle(Path(path)) as bundle:
            yield from self.read_bundle(bundle)

    def read_bundle(self, bundle: Bundle) -> Iterator[ImportRow]:
        raise NotImplementedError
