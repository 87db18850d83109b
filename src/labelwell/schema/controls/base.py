"""The control base class, the registry of control types, and the loop shared
by every control whose result is a list of labeled regions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, overload

from labelwell.registry import Registry
from labelwell.schema._checks import (
    MAX_INT,
    NUMBER,
    Reader,
    drop_none,
    expect_number,
    fail,
    is_number,
    json_type,
    key_problem,
    show,
)
from labelwell.schema.labels import Label, compile_attributes, read_labels

if TYPE_CHECKING:
    from labelwell.schema.ontology import Ontology

# (control's value in the result, item data, whole result) -> None; raises InvalidInput.
Validator = Callable[[Any, Any, dict[str, Any]], None]

CONTROL_TYPES: Registry[type[Control]] = Registry(
    "control type", group="labelwell.controls", field="type"
)
"""Registry of control types by name; ``register_control`` adds to it, and other
packages add theirs through the ``labelwell.controls`` entry-point group (the
entry point's name is the class's ``type``)."""


def register_control(cls: type[Control], *, replace: bool = False) -> type[Control]:
    """Class decorator: make a control type available to ontologies by its ``type``."""
    return CONTROL_TYPES.register(cls.type, cls, replace=replace)


@dataclass(eq=False, frozen=True, kw_only=True)
class Control:
    """One question of an ontology. ``source`` is the item data field it reads;
    a result holds the control's answer under its ``name``."""

    type: ClassVar[str] = ""
    default_source: ClassVar[str | None] = None
    reads_other_controls: ClassVar[bool] = False

    name: str
    source: str | None = None
    required: bool = False
    description: str | None = None

    @classmethod
    def from_dict(cls, obj: Any, path: str) -> Control:
        r = Reader(obj, path, f"a {cls.type} control")
        r.used.add("type")
        common = {
            "name": r.string("name"),
            "source": r.string("source", cls.default_source),
            "required": r.boolean("required", False),
            "description": r.text("description", None),
        }
        options = cls._read_options(r)
        r.finish()
        return cls(**common, **options)

    @classmethod
    def _read_options(cls, r: Reader) -> dict[str, Any]:
        """Read the type's own keys from the ontology mapping."""
        return {}

    def _options_dict(self) -> dict[str, Any]:
        """The type's own keys, as written in an ontology."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        head = drop_none(
            [
                ("name", self.name),
                ("type", self.type),
                ("source", self.source),
                ("required", self.required),
                ("description", self.description),
            ]
        )
        return head | self._options_dict()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Control) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def link(self, ontology: Ontology, path: str) -> None:
        """Check references to other controls once the whole ontology is read."""

    def compile(self) -> Validator:
        """Build the fast validator of this control's answer."""
        raise NotImplementedError

    def label_names(self) -> list[str]:
        fail(self.name, f"a {self.type} control has no label set")

    def check_data(self, data: dict[str, Any]) -> None:
        """Check that an item's data has what this control reads."""
        if self.source is not None and data.get(self.source) is None:
            fail(self.source, f"is missing (read by control {self.name!r})")

    def source_field(self) -> str:
        """The item data field this control reads, for the types that always read
        one (their ``default_source`` is set)."""
        if self.source is None:
            fail(self.name, f"a {self.type} control reads an item data field; give its source")
        return self.source


@overload
def data_number(
    data: Any, key: str, *, integer: Literal[True], prefix: str = "data."
) -> int | None: ...
@overload
def data_number(
    data: Any, key: str, *, integer: Literal[False] = False, prefix: str = "data."
) -> float | None: ...
def data_number(
    data: Any, key: str, *, integer: bool = False, prefix: str = "data."
) -> float | None:
    """An optional positive number from the item data (image size, duration...).
    Errors name the field ``data.<key>``; ``validate_data`` passes ``prefix=""``."""
    value = data.get(key) if type(data) is dict else None
    if value is None:
        return None
    if not is_number(value) or value <= 0 or (integer and type(value) is not int):
        kind = "a positive integer" if integer else "a positive number"
        fail(f"{prefix}{key}", f"must be {kind}, got {json_type(value)} {show(value)}")
    number: float = value  # a positive int or float, checked just above
    return number


@dataclass(eq=False, frozen=True, kw_only=True)
class FreeTextControl(Control):
    """A control whose answer holds free text of at most ``max_length``
    characters (no limit when None); check it with :func:`check_text`."""

    max_length: int | None = None

    @classmethod
    def _read_options(cls, r: Reader) -> dict[str, Any]:
        return {"max_length": r.integer("max_length", None, minimum=1)}

    def _options_dict(self) -> dict[str, Any]:
        return drop_none([("max_length", self.max_length)])


def check_text(key: str, value: Any, max_length: int | None) -> None:
    """``value`` at ``key`` is a string of at most ``max_length`` characters."""
    if type(value) is not str:
        fail(key, f"must be a string, got {json_type(value)} {show(value)}")
    if max_length is not None and len(value) > max_length:
        fail(key, f"is {len(value)} characters long (at most {max_length})")


@dataclass(eq=False, frozen=True, kw_only=True)
class RegionControl(Control):
    """A control whose answer is a list of objects, each with an ``id`` and a
    ``label`` from ``labels`` and optional per-label ``attributes``."""

    labels: tuple[Label, ...] = ()

    # Keys of a region beyond id/label/attributes: (allowed, needed).
    region_keys: ClassVar[tuple[frozenset[str], frozenset[str]]] = (frozenset(), frozenset())
    id_key: ClassVar[str] = "id"
    id_types: ClassVar[tuple[type, ...]] = (str, int)

    @classmethod
    def _read_options(cls, r: Reader) -> dict[str, Any]:
        return {"labels": read_labels(r)}

    def _options_dict(self) -> dict[str, Any]:
        return {"labels": [label.to_dict() for label in self.labels]}

    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]

    def label(self, name: str) -> Label:
        for label in self.labels:
            if label.name == name:
                return label
        fail(self.name, f"control {self.name!r} has no label {name!r}")

    def prepare(self, data: Any) -> Any:
        """Whatever the per-region check needs from the item data."""
        return None

    def region_checker(self) -> Callable[[dict[str, Any], int, Any], None]:
        """Check one region's own keys: (region, index, prepared data)."""
        raise NotImplementedError

    def finish_checker(self) -> Callable[[list[Any], Any], None] | None:
        """An optional check over the whole list once every region passed."""
        return None

    def compile(self) -> Validator:
        key = self.name
        extra_allowed, extra_needed = self.region_keys
        id_key = self.id_key
        allowed = frozenset({id_key, "label", "attributes"}) | extra_allowed
        needed = frozenset({id_key, "label"}) | extra_needed
        id_types = self.id_types
        n_needed = len(needed)
        optional = tuple(allowed - needed)
        by_label = {label.name: compile_attributes(label) for label in self.labels}
        label_list = ", ".join(by_label)
        prepare = self.prepare
        check_region = self.region_checker()
        finish = self.finish_checker()

        def check(value: Any, data: Any, result: dict[str, Any]) -> None:
            if type(value) is not list:
                fail(key, f"must be a list, got {json_type(value)} {show(value)}")
            ctx = prepare(data)
            seen = set()
            for i, region in enumerate(value):
                if type(region) is not dict:
                    fail(
                        f"{key}[{i}]", f"must be an object, got {json_type(region)} {show(region)}"
                    )
                # Needed keys present and every other key optional, without comparing
                # key sets (the dearest step of the loop otherwise).
                unknown = len(region) - n_needed
                if unknown:
                    for name in optional:
                        if name in region:
                            unknown -= 1
                if unknown or not needed.issubset(region):
                    key_problem(f"{key}[{i}]", region, allowed, needed)
                rid = region[id_key]
                if type(rid) not in id_types or rid == "":
                    kinds = " or ".join(
                        "non-empty string" if t is str else "integer" for t in id_types
                    )
                    fail(f"{key}[{i}].{id_key}", f"must be a {kinds}, got {show(rid)}")
                if rid in seen:
                    fail(f"{key}[{i}].{id_key}", f"duplicate id {rid!r}")
                seen.add(rid)
                label = region["label"]
                entry = by_label.get(label) if type(label) is str else None
                if entry is None:
                    fail(f"{key}[{i}].label", f"{show(label)} is not one of {label_list}")
                attributes = region.get("attributes")
                if attributes is not None or entry[1]:
                    entry[0](attributes, key, i)
                check_region(region, i, ctx)
            if finish is not None:
                finish(value, ctx)

        return check


def number_at(value: Any, field: str, *parts: Any) -> float:
    """``value`` if it is a number within +-2**53, else a failure at
    ``field.format(*parts)`` (formatted only on failure: this runs per coordinate)."""
    if type(value) in NUMBER and -MAX_INT <= value <= MAX_INT:
        number: float = value  # an int or float, checked just above
        return number
    expect_number(field.format(*parts), value)
