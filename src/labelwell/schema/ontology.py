"""The ontology of a project: what is labeled, read from YAML, JSON or a dict, and
the validation of every submitted result against it. Validators are compiled
once per control when the ontology is loaded, so ``validate`` is a few dict and
set look-ups per region."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from labelwell.errors import InvalidInput, NotFound
from labelwell.schema._checks import Reader, fail, json_type, show
from labelwell.schema.controls import CONTROL_TYPES, Control

_FORBIDDEN_IN_NAMES = frozenset(".[]")


class Ontology:
    """A named, ordered set of controls. Build it with ``from_yaml``, ``from_dict``,
    ``from_file`` or ``OntologyBuilder``; ``to_dict`` round-trips through ``from_dict``."""

    def __init__(
        self, name: str, controls: Sequence[Control], description: str | None = None
    ) -> None:
        if not controls:
            fail("controls", "an ontology needs at least one control")
        self.name = name
        self.description = description
        self._controls = list(controls)
        self._by_name: dict[str, Control] = {}
        for i, control in enumerate(self._controls):
            if _FORBIDDEN_IN_NAMES & set(control.name):
                fail(f"controls[{i}].name", f"{control.name!r} may not contain '.', '[' or ']'")
            if control.name in self._by_name:
                fail(f"controls[{i}].name", f"duplicate control name {control.name!r}")
            self._by_name[control.name] = control
        for i, control in enumerate(self._controls):
            control.link(self, f"controls[{i}]")
        # Relations read the spans' ids, so controls that refer to others run last.
        order = sorted(self._controls, key=lambda c: c.reads_other_controls)
        self._plan = [(c.name, c.compile(), c.required) for c in order]
        self._required = [c.name for c in self._controls if c.required]

    # -- reading and writing ------------------------------------------------------------

    @classmethod
    def from_dict(cls, obj: Any) -> Ontology:
        r = Reader(obj, "", "an ontology")
        name = r.string("name")
        description = r.text("description", None)
        raw = r.raw("controls")
        if not isinstance(raw, list) or not raw:
            fail("controls", f"must be a non-empty list of controls, got {show(raw)}")
        r.finish()
        controls = []
        for i, item in enumerate(raw):
            path = f"controls[{i}]"
            if not isinstance(item, dict):
                fail(path, f"a control must be a mapping, got {json_type(item)} {show(item)}")
            kind = item.get("type")
            if not isinstance(kind, str) or kind not in CONTROL_TYPES:
                known = ", ".join(sorted(CONTROL_TYPES))
                fail(f"{path}.type", f"unknown control type {show(kind)} (one of {known})")
            controls.append(CONTROL_TYPES[kind].from_dict(item, path))
        return cls(name, controls, description)

    @classmethod
    def from_yaml(cls, text: str) -> Ontology:
        try:
            obj = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc)
            where = f" (line {line})" if line else ""
            raise InvalidInput(f"not valid YAML{where}: {problem}", line=line) from None
        return cls.from_dict(obj)

    @classmethod
    def from_json(cls, text: str) -> Ontology:
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"not valid JSON (line {exc.lineno}): {exc.msg}", line=exc.lineno
            ) from None
        return cls.from_dict(obj)

    @classmethod
    def from_file(cls, path: str | Path) -> Ontology:
        """Read a ``.yaml``, ``.yml`` or ``.json`` ontology file."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".yaml", ".yml", ".json"):
            raise InvalidInput(f"{path.name}: an ontology file must end in .yaml, .yml or .json")
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFound(f"no ontology file at {path}") from None
        return cls.from_json(text) if suffix == ".json" else cls.from_yaml(text)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.description is not None:
            out["description"] = self.description
        out["controls"] = [c.to_dict() for c in self._controls]
        return out

    def to_yaml(self) -> str:
        return yaml.safe_dump(
            self.to_dict(), sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ontology) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        kinds = ", ".join(f"{c.name}:{c.type}" for c in self._controls)
        return f"Ontology({self.name!r}, [{kinds}])"

    # -- questions --------------------------------------------------------------------

    @property
    def controls(self) -> list[Control]:
        return list(self._controls)

    def control(self, name: str) -> Control:
        control = self._by_name.get(name) if isinstance(name, str) else None
        if control is None:
            fail(
                str(name),
                f"no control named {name!r} in ontology {self.name!r} "
                f"(controls: {', '.join(self._by_name)})",
            )
        return control

    def label_names(self, control_name: str) -> list[str]:
        """The labels (or options) a control offers, in declared order."""
        return self.control(control_name).label_names()

    # -- validation -------------------------------------------------------------------

    def validate(self, result: Any, data: Any) -> None:
        """Refuse a result that does not fit the ontology: raises ``InvalidInput``
        whose ``field`` is the path into the result (``entities[2].end``), or
        ``data.<key>`` when the item data lacks what a control needs. A control whose
        value is null counts as not answered."""
        if type(result) is not dict:
            fail(None, f"a result must be an object keyed by control name, got {json_type(result)}")
        present = 0
        for name, check, required in self._plan:
            value = result.get(name)
            if value is None:
                if name in result:
                    present += 1
                if required:
                    fail(name, "is required")
                continue
            present += 1
            check(value, data, result)
        if present != len(result):
            for key in result:
                if key not in self._by_name:
                    fail(str(key), f"unknown control (controls: {', '.join(self._by_name)})")

    def validate_data(self, data: Any) -> None:
        """Check that an item's data has the fields the controls read; the error's
        ``field`` is the data key (``text``, ``width``, ``responses[1].id``)."""
        if type(data) is not dict:
            fail(None, f"item data must be an object, got {json_type(data)}")
        for control in self._controls:
            control.check_data(data)
