"""What changed between two versions of an ontology, and how a stored result
is touched by each change: added controls and labels are free; a rename moves
the stored values to the new name; a removal (or a control given another type)
leaves values the new ontology no longer has.

    changes = compare(old, new, renames=[Rename("sentiment", to="mood")])
    touched = [c for c in changes if c.destructive and touches(result, c)]
    result = apply_renames(result, changes)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from labelwell.errors import InvalidInput
from labelwell.schema.controls import Control
from labelwell.schema.ontology import Ontology

ChangeKind = Literal[
    "add_control",
    "remove_control",
    "rename_control",
    "retype_control",
    "add_label",
    "remove_label",
    "rename_label",
]
#: Changes that leave stored values the new ontology does not have.
DESTRUCTIVE: frozenset[str] = frozenset({"remove_control", "retype_control", "remove_label"})


@dataclass(frozen=True)
class Rename:
    """Rename control ``control`` (of the old ontology) to ``to``, or, with
    ``label``, that control's label (option, aspect) ``label`` to ``to``."""

    control: str
    to: str
    label: str | None = None


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    control: str
    label: str | None = None
    #: the new name (renames), or the new type (retype_control)
    to: str | None = None

    @property
    def destructive(self) -> bool:
        return self.kind in DESTRUCTIVE

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "control": self.control, "label": self.label, "to": self.to}


def label_names(control: Control) -> list[str]:
    """The names a result's values use for ``control``: labels, options or a
    rating's aspects; none for controls without a label set."""
    aspects = getattr(control, "aspects", None)
    if aspects is not None:
        return list(aspects)
    try:
        return control.label_names()
    except InvalidInput:
        return []


def compare(old: Ontology, new: Ontology, renames: Sequence[Rename] = ()) -> list[Change]:
    """The changes from ``old`` to ``new``; a name missing from ``new`` is a
    removal unless ``renames`` says where it went. Raises ``InvalidInput`` for a
    rename that names what does not exist."""
    old_by = {c.name: c for c in old.controls}
    new_by = {c.name: c for c in new.controls}
    control_to: dict[str, str] = {}
    label_to: dict[str, dict[str, str]] = {}
    for i, r in enumerate(renames):
        if r.control not in old_by:
            raise InvalidInput(
                f"renames[{i}].control: no control {r.control!r} in the current ontology",
                field=f"renames[{i}].control",
            )
        if r.label is None:
            if r.to not in new_by:
                raise InvalidInput(
                    f"renames[{i}].to: no control {r.to!r} in the new ontology",
                    field=f"renames[{i}].to",
                )
            control_to[r.control] = r.to
        else:
            if r.label not in label_names(old_by[r.control]):
                raise InvalidInput(
                    f"renames[{i}].label: control {r.control!r} has no label {r.label!r}",
                    field=f"renames[{i}].label",
                )
            label_to.setdefault(r.control, {})[r.label] = r.to
    changes: list[Change] = []
    kept_new: set[str] = set()
    for name, control in old_by.items():
        target = control_to.get(name, name)
        if target not in new_by:
            changes.append(Change("remove_control", name))
            continue
        kept_new.add(target)
        if target != name:
            changes.append(Change("rename_control", name, to=target))
        after = new_by[target]
        if after.type != control.type:
            changes.append(Change("retype_control", name, to=after.type))
            continue
        new_labels = label_names(after)
        moved = label_to.get(name, {})
        for to in moved.values():
            if to not in new_labels:
                raise InvalidInput(
                    f"renames: control {target!r} of the new ontology has no label {to!r}",
                    field="renames",
                )
        old_labels = label_names(control)
        for label in old_labels:
            if label in moved and moved[label] != label:
                changes.append(Change("rename_label", name, label=label, to=moved[label]))
            elif label not in new_labels:
                changes.append(Change("remove_label", name, label=label))
        arrived = set(old_labels) - set(moved) | set(moved.values())
        for label in new_labels:
            if label not in arrived:
                changes.append(Change("add_label", target, label=label))
    for name in new_by:
        if name not in kept_new:
            changes.append(Change("add_control", name))
    return changes


def _value_uses(value: Any, label: str) -> bool:
    if isinstance(value, str):
        return value == label
    if isinstance(value, dict):
        return label in value
    if isinstance(value, list):
        return any(v == label or (isinstance(v, dict) and v.get("label") == label) for v in value)
    return False


def touches(result: Any, change: Change) -> bool:
    """Whether a stored result has a value that ``change`` is about."""
    if not isinstance(result, dict) or result.get(change.control) is None:
        return False
    if change.label is None:
        return change.kind != "add_control"
    return _value_uses(result[change.control], change.label)


def _rename_label(value: Any, label: str, to: str) -> Any:
    if isinstance(value, str):
        return to if value == label else value
    if isinstance(value, dict):
        return {to if k == label else k: v for k, v in value.items()}
    if isinstance(value, list):
        return [
            to
            if v == label
            else {**v, "label": to}
            if isinstance(v, dict) and v.get("label") == label
            else v
            for v in value
        ]
    return value


def apply_renames(result: dict[str, Any], changes: list[Change]) -> dict[str, Any]:
    """``result`` with the renamed labels and controls under their new names
    (label renames first: they name the control by its old name)."""
    out = dict(result)
    for c in changes:
        if c.kind == "rename_label" and c.control in out and c.label and c.to:
            out[c.control] = _rename_label(out[c.control], c.label, c.to)
    moved = {c.control: c.to for c in changes if c.kind == "rename_control" and c.to}
    if moved:
        out = {moved.get(k, k): v for k, v in out.items()}
    return out
