"""Text regions: named-entity spans and the relations that join them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labelwell.schema._checks import Reader, drop_none, fail, json_type, key_problem, show
from labelwell.schema.controls.base import Control, RegionControl, Validator, register_control
from labelwell.schema.labels import Label, compile_attributes, read_labels

if TYPE_CHECKING:
    from labelwell.schema.ontology import Ontology


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class Spans(RegionControl):
    """Spans of ``data[source]``: ``{"id", "start", "end", "label", "text"?}``.
    Offsets count Unicode code points (Python ``str`` indices), ``end`` exclusive;
    a given ``text`` must equal ``data[source][start:end]``."""

    type = "spans"
    default_source = "text"
    allow_overlap: bool = True

    @classmethod
    def _read_options(cls, r: Reader) -> dict[str, Any]:
        return {"labels": read_labels(r), "allow_overlap": r.boolean("allow_overlap", True)}

    def _options_dict(self) -> dict[str, Any]:
        out = super()._options_dict()
        if not self.allow_overlap:
            out["allow_overlap"] = False
        return out

    def check_data(self, data: dict[str, Any]) -> None:
        super().check_data(data)
        value = data[self.source_field()]
        if not isinstance(value, str):
            fail(
                self.source,
                f"must be a string (read by control {self.name!r}), got {json_type(value)}",
            )

    def prepare(self, data: Any) -> str:
        text = data.get(self.source) if type(data) is dict else None
        if type(text) is not str:
            fail(
                f"data.{self.source}",
                f"must be a string for control {self.name!r}, got {show(text)}",
            )
        return text

    def compile(self) -> Validator:
        # The generic region loop with the offset checks inlined: spans are the
        # commonest region on the submit path.
        key, source = self.name, self.source
        allowed = frozenset({"id", "label", "attributes", "start", "end", "text"})
        needed = frozenset({"id", "label", "start", "end"})
        by_label = {label.name: compile_attributes(label) for label in self.labels}
        label_list = ", ".join(by_label)
        check_overlap = None if self.allow_overlap else _refuse_overlap

        def check(value: Any, data: Any, result: dict[str, Any]) -> None:
            if type(value) is not list:
                fail(key, f"must be a list, got {json_type(value)} {show(value)}")
            text = data.get(source) if type(data) is dict else None
            if type(text) is not str:
                fail(f"data.{source}", f"must be a string for control {key!r}, got {show(text)}")
            length = len(text)
            seen = set()
            for i, span in enumerate(value):
                if type(span) is not dict:
                    fail(f"{key}[{i}]", f"must be an object, got {json_type(span)} {show(span)}")
                try:
                    sid, label, start, end = span["id"], span["label"], span["start"], span["end"]
                except KeyError:
                    key_problem(f"{key}[{i}]", span, allowed, needed)
                # With the four needed keys present, this count leaves no room for an
                # unknown key; cheaper than a set comparison of the keys.
                if len(span) != 4 + ("text" in span) + ("attributes" in span):
                    key_problem(f"{key}[{i}]", span, allowed, needed)
                if type(sid) is not str or not sid:
                    fail(f"{key}[{i}].id", f"must be a non-empty string, got {show(sid)}")
                if sid in seen:
                    fail(f"{key}[{i}].id", f"duplicate id {sid!r}")
                seen.add(sid)
                entry = by_label.get(label) if type(label) is str else None
                if entry is None:
                    fail(f"{key}[{i}].label", f"{show(label)} is not one of {label_list}")
                if type(start) is not int or type(end) is not int or not 0 <= start < end <= length:
                    _offset_problem(key, i, start, end, length)
                quoted = span.get("text")
                if quoted is not None and quoted != text[start:end]:
                    fail(
                        f"{key}[{i}].text",
                        f"{show(quoted)} does not match the text at [{start}, {end}): "
                        f"{show(text[start:end])} (offsets count Unicode code points)",
                    )
                attributes = span.get("attributes")
                if attributes is not None or entry[1]:
                    entry[0](attributes, key, i)
            if check_overlap is not None:
                check_overlap(key, value)

        return check


def _offset_problem(key: str, i: int, start: Any, end: Any, length: int) -> None:
    """Say which offset of a span is wrong (called only on failure)."""
    if type(start) is not int:
        fail(f"{key}[{i}].start", f"must be an integer, got {json_type(start)} {show(start)}")
    if type(end) is not int:
        fail(f"{key}[{i}].end", f"must be an integer, got {json_type(end)} {show(end)}")
    if start < 0:
        fail(f"{key}[{i}].start", f"{start} is negative")
    if end <= start:
        fail(f"{key}[{i}].end", f"{end} is not after start {start}")
    fail(f"{key}[{i}].end", f"{end} is past the end of the text (length {length})")


def _refuse_overlap(key: str, spans: list[Any]) -> None:
    order = sorted(range(len(spans)), key=lambda j: (spans[j]["start"], spans[j]["end"]))
    for a, b in zip(order, order[1:], strict=False):
        if spans[b]["start"] < spans[a]["end"]:
            fail(f"{key}[{b}]", f"overlaps {key}[{a}] (this control does not allow overlap)")


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class Relations(Control):
    """Labeled links between spans of the control named ``spans``:
    ``{"from": span_id, "to": span_id, "label"}``."""

    type = "relations"
    reads_other_controls = True
    spans: str = ""
    labels: tuple[Label, ...] = ()

    @classmethod
    def _read_options(cls, r: Reader) -> dict[str, Any]:
        return {"spans": r.string("spans"), "labels": read_labels(r)}

    def _options_dict(self) -> dict[str, Any]:
        return drop_none(
            [("spans", self.spans), ("labels", [label.to_dict() for label in self.labels])]
        )

    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]

    def link(self, ontology: Ontology, path: str) -> None:
        target = ontology._by_name.get(self.spans)
        if target is None or target.type != "spans":
            fail(f"{path}.spans", f"{self.spans!r} is not a spans control of this ontology")

    def compile(self) -> Validator:
        key, spans_key = self.name, self.spans
        allowed = frozenset({"from", "to", "label", "attributes"})
        needed = frozenset({"from", "to", "label"})
        by_label = {label.name: compile_attributes(label) for label in self.labels}
        label_list = ", ".join(by_label)

        def check(value: Any, data: Any, result: dict[str, Any]) -> None:
            if type(value) is not list:
                fail(key, f"must be a list, got {json_type(value)} {show(value)}")
            spans = result.get(spans_key)
            ids = (
                {s.get("id") for s in spans if type(s) is dict and type(s.get("id")) is str}
                if type(spans) is list
                else set()
            )
            seen = set()
            for i, rel in enumerate(value):
                if type(rel) is not dict:
                    fail(f"{key}[{i}]", f"must be an object, got {json_type(rel)} {show(rel)}")
                keys = rel.keys()
                if not (keys <= allowed and needed <= keys):
                    key_problem(f"{key}[{i}]", rel, allowed, needed)
                for end in ("from", "to"):
                    span_id = rel[end]
                    if type(span_id) is not str or span_id not in ids:
                        fail(
                            f"{key}[{i}].{end}",
                            f"{show(span_id)} is not a span id of {spans_key!r}",
                        )
                label = rel["label"]
                entry = by_label.get(label) if type(label) is str else None
                if entry is None:
                    fail(f"{key}[{i}].label", f"{show(label)} is not one of {label_list}")
                attributes = rel.get("attributes")
                if attributes is not None or entry[1]:
                    entry[0](attributes, key, i)
                triple = (rel["from"], rel["to"], label)
                if triple in seen:
                    fail(f"{key}[{i}]", f"duplicate relation {triple[0]} -{label}-> {triple[1]}")
                seen.add(triple)

        return check
