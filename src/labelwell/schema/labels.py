"""Labels and their attributes: the vocabulary a region control offers, and the
per-label questions (``occluded?``, ``listed?``) asked about each region."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from labelwell.schema._checks import (
    MAX_INT,
    NUMBER,
    Reader,
    check_name,
    drop_none,
    expect_number,
    fail,
    is_number,
    json_type,
    show,
)

ATTRIBUTE_TYPES = ("choice", "multi_choice", "text", "number", "boolean")

# (attributes value or None, result key, region index) -> None; raises InvalidInput.
AttributeCheck = Callable[[Any, str, int], None]


@dataclass(frozen=True)
class Attribute:
    """One question asked about a region of a given label."""

    name: str
    type: str
    options: tuple[str, ...] = ()
    required: bool = False
    min: float | None = None
    max: float | None = None
    max_length: int | None = None

    @classmethod
    def boolean(cls, name: str, *, required: bool = False) -> Attribute:
        return cls(name, "boolean", required=required)

    @classmethod
    def choice(cls, name: str, options: Sequence[str], *, required: bool = False) -> Attribute:
        return cls(name, "choice", tuple(options), required=required)

    @classmethod
    def multi_choice(
        cls, name: str, options: Sequence[str], *, required: bool = False
    ) -> Attribute:
        return cls(name, "multi_choice", tuple(options), required=required)

    @classmethod
    def text(cls, name: str, *, required: bool = False, max_length: int | None = None) -> Attribute:
        return cls(name, "text", required=required, max_length=max_length)

    @classmethod
    def number(
        cls,
        name: str,
        *,
        required: bool = False,
        min: float | None = None,
        max: float | None = None,
    ) -> Attribute:
        return cls(name, "number", required=required, min=min, max=max)

    @classmethod
    def from_dict(cls, obj: Any, path: str) -> Attribute:
        r = Reader(obj, path, "an attribute")
        name = r.string("name")
        kind = r.string("type")
        if kind not in ATTRIBUTE_TYPES:
            fail(
                r.at("type"),
                f"unknown attribute type {kind!r} (one of {', '.join(ATTRIBUTE_TYPES)})",
            )
        options: tuple[str, ...] = ()
        lo = hi = max_length = None
        if kind in ("choice", "multi_choice"):
            options = tuple(r.names("options"))
        elif kind == "number":
            lo, hi = r.number("min", None), r.number("max", None)
            if lo is not None and hi is not None and lo > hi:
                fail(r.at("min"), f"min {lo} is greater than max {hi}")
        elif kind == "text":
            max_length = r.integer("max_length", None, minimum=1)
        required = r.boolean("required", False)
        r.finish()
        return cls(name, kind, options, required, lo, hi, max_length)

    def to_dict(self) -> dict[str, Any]:
        return drop_none(
            [
                ("name", self.name),
                ("type", self.type),
                ("options", list(self.options) if self.options else None),
                ("required", True if self.required else None),
                ("min", self.min),
                ("max", self.max),
                ("max_length", self.max_length),
            ]
        )

    def accepts(self) -> Callable[[Any], bool]:
        """A fast yes/no test of one answer; ``check_value`` explains a no."""
        kind = self.type
        if kind == "boolean":
            return lambda v: type(v) is bool
        if kind == "choice":
            options = frozenset(self.options)
            return lambda v: type(v) is str and v in options
        if kind == "text":
            most = self.max_length if self.max_length is not None else MAX_INT
            return lambda v: type(v) is str and len(v) <= most
        if kind == "number":
            lo = self.min if self.min is not None else -MAX_INT
            hi = self.max if self.max is not None else MAX_INT
            return lambda v: type(v) in NUMBER and lo <= v <= hi and -MAX_INT <= v <= MAX_INT
        options = frozenset(self.options)
        return lambda v: (
            type(v) is list
            and all(type(x) is str and x in options for x in v)
            and len(set(v)) == len(v)
        )

    def check_value(self, value: Any, field: str) -> None:
        """Validate one answer to this attribute."""
        kind = self.type
        if kind == "boolean":
            if type(value) is not bool:
                fail(field, f"must be true or false, got {show(value)}")
        elif kind == "choice":
            if type(value) is not str or value not in self.options:
                fail(field, f"{show(value)} is not one of {', '.join(self.options)}")
        elif kind == "multi_choice":
            if type(value) is not list:
                fail(field, f"must be a list, got {json_type(value)} {show(value)}")
            seen: set[str] = set()
            for j, v in enumerate(value):
                if type(v) is not str or v not in self.options:
                    fail(f"{field}[{j}]", f"{show(v)} is not one of {', '.join(self.options)}")
                if v in seen:
                    fail(f"{field}[{j}]", f"{v!r} is selected twice")
                seen.add(v)
        elif kind == "text":
            if type(value) is not str:
                fail(field, f"must be a string, got {json_type(value)} {show(value)}")
            if self.max_length is not None and len(value) > self.max_length:
                fail(field, f"is {len(value)} characters long (at most {self.max_length})")
        else:
            if not is_number(value):
                expect_number(field, value)
            if self.min is not None and value < self.min:
                fail(field, f"{value} is below the minimum {self.min}")
            if self.max is not None and value > self.max:
                fail(field, f"{value} is above the maximum {self.max}")


@dataclass(frozen=True)
class Skeleton:
    """Keypoint names and the edges (index pairs) that join them, as in COCO."""

    keypoints: tuple[str, ...]
    edges: tuple[tuple[int, int], ...] = ()

    @classmethod
    def from_dict(cls, obj: Any, path: str) -> Skeleton:
        r = Reader(obj, path, "a skeleton")
        keypoints = tuple(r.names("keypoints"))
        raw_edges = r.raw("edges", [])
        if not isinstance(raw_edges, list):
            fail(r.at("edges"), f"must be a list, got {json_type(raw_edges)}")
        edges = []
        for i, edge in enumerate(raw_edges):
            at = f"{r.at('edges')}[{i}]"
            if (
                not isinstance(edge, list)
                or len(edge) != 2
                or not all(type(v) is int and 0 <= v < len(keypoints) for v in edge)
            ):
                fail(
                    at,
                    f"must be two keypoint indices in [0, {len(keypoints)}), got {show(edge)}",
                )
            if edge[0] == edge[1]:
                fail(at, "an edge must join two different keypoints")
            edges.append((edge[0], edge[1]))
        r.finish()
        return cls(keypoints, tuple(edges))

    def to_dict(self) -> dict[str, Any]:
        return {"keypoints": list(self.keypoints), "edges": [list(e) for e in self.edges]}


@dataclass(frozen=True)
class Label:
    """A label a region may carry, with its attributes. ``is_thing`` is for
    panoptic controls, ``skeleton`` for keypoint controls."""

    name: str
    attributes: tuple[Attribute, ...] = field(default=())
    color: str | None = None
    description: str | None = None
    is_thing: bool | None = None
    skeleton: Skeleton | None = None

    def __init__(
        self,
        name: str,
        attributes: Sequence[Attribute] = (),
        *,
        color: str | None = None,
        description: str | None = None,
        is_thing: bool | None = None,
        skeleton: Skeleton | None = None,
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "attributes", tuple(attributes))
        object.__setattr__(self, "color", color)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "is_thing", is_thing)
        object.__setattr__(self, "skeleton", skeleton)

    @classmethod
    def from_dict(
        cls, obj: Any, path: str, *, panoptic: bool = False, keypoints: bool = False
    ) -> Label:
        if isinstance(obj, str):  # shorthand: "- PER"
            obj = {"name": obj}
        r = Reader(obj, path, "a label")
        name = r.string("name")
        attributes = []
        raw = r.raw("attributes", [])
        if not isinstance(raw, list):
            fail(r.at("attributes"), f"must be a list, got {json_type(raw)}")
        seen: set[str] = set()
        for i, a in enumerate(raw):
            attribute = Attribute.from_dict(a, f"{r.at('attributes')}[{i}]")
            if attribute.name in seen:
                fail(f"{r.at('attributes')}[{i}].name", f"duplicate attribute {attribute.name!r}")
            seen.add(attribute.name)
            attributes.append(attribute)
        color = r.text("color", None)
        description = r.text("description", None)
        is_thing = r.boolean("is_thing", False) if panoptic else None
        skeleton = Skeleton.from_dict(r.raw("skeleton"), r.at("skeleton")) if keypoints else None
        r.finish()
        return cls(
            name,
            attributes,
            color=color,
            description=description,
            is_thing=is_thing,
            skeleton=skeleton,
        )

    def to_dict(self) -> dict[str, Any]:
        return drop_none(
            [
                ("name", self.name),
                ("description", self.description),
                ("color", self.color),
                ("is_thing", self.is_thing),
                ("skeleton", self.skeleton.to_dict() if self.skeleton else None),
                ("attributes", [a.to_dict() for a in self.attributes] or None),
            ]
        )


def label_from(value: Label | str) -> Label:
    """Accept ``"PER"`` where a ``Label`` is expected (builder convenience)."""
    return value if isinstance(value, Label) else Label(check_name(value, "label"))


def read_labels(r: Reader, *, panoptic: bool = False, keypoints: bool = False) -> tuple[Label, ...]:
    raw = r.raw("labels")
    path = r.at("labels")
    if not isinstance(raw, list) or not raw:
        fail(path, f"must be a non-empty list of labels, got {show(raw)}")
    labels = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        label = Label.from_dict(item, f"{path}[{i}]", panoptic=panoptic, keypoints=keypoints)
        if label.name in seen:
            fail(f"{path}[{i}].name", f"duplicate label {label.name!r}")
        seen.add(label.name)
        labels.append(label)
    return tuple(labels)


def compile_attributes(label: Label) -> tuple[AttributeCheck, bool]:
    """A checker for the ``attributes`` object of a region with this label, and
    whether the label has a required attribute (so a missing object is an error)."""
    by_name = {a.name: a for a in label.attributes}
    accepts = {a.name: a.accepts() for a in label.attributes}
    required = [a.name for a in label.attributes if a.required]
    names = ", ".join(by_name) or "none"

    def check(value: Any, key: str, i: int) -> None:
        if value is None:
            value = {}
        elif type(value) is not dict:
            fail(
                f"{key}[{i}].attributes", f"must be an object, got {json_type(value)} {show(value)}"
            )
        for name, answer in value.items():
            test = accepts.get(name) if type(name) is str else None
            if test is None:
                fail(
                    f"{key}[{i}].attributes.{name}",
                    f"unknown attribute for label {label.name!r} (declared: {names})",
                )
            if answer is not None and not test(answer):
                by_name[name].check_value(answer, f"{key}[{i}].attributes.{name}")
        for name in required:
            if value.get(name) is None:
                fail(f"{key}[{i}].attributes.{name}", f"is required for label {label.name!r}")

    return check, bool(required)
