"""Whole-item answers: one choice, several choices, free text, a rating."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labelwell.schema._checks import Reader, drop_none, fail, is_int, json_type, show
from labelwell.schema.controls.base import (
    Control,
    FreeTextControl,
    Validator,
    check_text,
    register_control,
)


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class Choice(Control):
    """Single choice: the result is one of ``options``, e.g. ``"positive"``."""

    type = "choice"
    options: tuple[str, ...] = ()

    @classmethod
    def _read_options(cls, r: Reader) -> dict[str, Any]:
        return {"options": tuple(r.names("options"))}

    def _options_dict(self) -> dict[str, Any]:
        return {"options": list(self.options)}

    def label_names(self) -> list[str]:
        return list(self.options)

    def compile(self) -> Validator:
        key, options = self.name, frozenset(self.options)
        listed = ", ".join(self.options)

        def check(value: Any, data: Any, result: dict[str, Any]) -> None:
            if type(value) is not str or value not in options:
                fail(key, f"{show(value)} is not one of {listed}")

        return check


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class MultiChoice(Control):
    """Several choices: the result is a list of distinct ``options``, between
    ``min_selections`` and ``max_selections`` long."""

    type = "multi_choice"
    options: tuple[str, ...] = ()
    min_selections: int = 0
    max_selections: int | None = None

    @classmethod
    def _read_options(cls, r: Reader) -> dict[str, Any]:
        options = tuple(r.names("options"))
        lo = r.integer("min_selections", 0, minimum=0)
        hi = r.integer("max_selections", None, minimum=1)
        if hi is not None and lo > hi:
            fail(r.at("min_selections"), f"{lo} is greater than max_selections {hi}")
        if lo > len(options):
            fail(r.at("min_selections"), f"{lo} is more than the {len(options)} options")
        return {"options": options, "min_selections": lo, "max_selections": hi}

    def _options_dict(self) -> dict[str, Any]:
        return drop_none(
            [
                ("options", list(self.options)),
                ("min_selections", self.min_selections or None),
                ("max_selections", self.max_selections),
            ]
        )

    def label_names(self) -> list[str]:
        return list(self.options)

    def compile(self) -> Validator:
        key, options = self.name, frozenset(self.options)
        listed = ", ".join(self.options)
        lo = self.min_selections
        hi = self.max_selections if self.max_selections is not None else len(self.options)

        def check(value: Any, data: Any, result: dict[str, Any]) -> None:
            if type(value) is not list:
                fail(key, f"must be a list, got {json_type(value)} {show(value)}")
            for i, v in enumerate(value):
                if type(v) is not str or v not in options:
                    fail(f"{key}[{i}]", f"{show(v)} is not one of {listed}")
            if len(set(value)) != len(value):
                dup = next(v for i, v in enumerate(value) if v in value[:i])
                fail(
                    f"{key}[{value.index(dup, value.index(dup) + 1)}]", f"{dup!r} is selected twice"
                )
            if not lo <= len(value) <= hi:
                fail(key, f"{len(value)} selections, expected between {lo} and {hi}")

        return check


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class Text(FreeTextControl):
    """Free text (transcription, summary, correction of the source text)."""

    type = "text"

    def compile(self) -> Validator:
        key, max_length = self.name, self.max_length

        def check(value: Any, data: Any, result: dict[str, Any]) -> None:
            check_text(key, value, max_length)

        return check


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class Rating(Control):
    """An integer on ``scale`` [min, max]; with ``aspects`` the result is an
    object giving one rating per aspect, e.g. ``{"helpfulness": 4, ...}``."""

    type = "rating"
    scale: tuple[int, int] = (1, 5)
    aspects: tuple[str, ...] = ()

    @classmethod
    def _read_options(cls, r: Reader) -> dict[str, Any]:
        scale = r.raw("scale", [1, 5])
        if (
            not isinstance(scale, list)
            or len(scale) != 2
            or not all(is_int(v) for v in scale)
            or scale[0] >= scale[1]
        ):
            fail(r.at("scale"), f"must be [min, max] integers with min < max, got {show(scale)}")
        aspects = tuple(r.names("aspects", []))
        return {"scale": (scale[0], scale[1]), "aspects": aspects}

    def _options_dict(self) -> dict[str, Any]:
        return drop_none([("scale", list(self.scale)), ("aspects", list(self.aspects) or None)])

    def compile(self) -> Validator:
        key, (lo, hi) = self.name, self.scale
        aspects = self.aspects
        aspect_set = frozenset(aspects)

        def one(value: Any, field: str) -> None:
            if type(value) is not int or not lo <= value <= hi:
                fail(field, f"{show(value)} is not an integer rating in [{lo}, {hi}]")

        def check(value: Any, data: Any, result: dict[str, Any]) -> None:
            if not aspects:
                one(value, key)
                return
            if type(value) is not dict:
                fail(
                    key, f"must be an object rating each of {', '.join(aspects)}, got {show(value)}"
                )
            for aspect, rating in value.items():
                if aspect not in aspect_set:
                    fail(f"{key}.{aspect}", f"unknown aspect (declared: {', '.join(aspects)})")
                one(rating, f"{key}.{aspect}")
            if len(value) != len(aspects):
                missing = next(a for a in aspects if a not in value)
                fail(f"{key}.{missing}", "is missing")

        return check
