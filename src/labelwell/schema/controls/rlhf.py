"""Preference-data answers over an item ``{"prompt", "responses": [{"id", "text"}, ...]}``:
a pairwise comparison, a ranking, a corrected response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labelwell.schema._checks import Reader, drop_none, fail, json_type, key_problem, show
from labelwell.schema.controls.base import (
    Control,
    FreeTextControl,
    Validator,
    check_text,
    register_control,
)

PAIRWISE_CHOICES = ("a", "b", "tie", "both_bad")


def response_ids(data: Any, source: str, prefix: str = "data.") -> list[str]:
    """The ids of ``data[source]``, a list of ``{"id": str, "text": str}`` objects."""
    responses = data.get(source) if type(data) is dict else None
    if type(responses) is not list:
        fail(f"{prefix}{source}", f"must be a list of responses, got {show(responses)}")
    ids = []
    for i, response in enumerate(responses):
        at = f"{prefix}{source}[{i}]"
        if type(response) is not dict:
            fail(at, f"must be an object {{id, text}}, got {json_type(response)}")
        rid = response.get("id")
        if type(rid) is not str or not rid:
            fail(f"{at}.id", f"must be a non-empty string, got {show(rid)}")
        if type(response.get("text")) is not str:
            fail(f"{at}.text", f"must be a string, got {show(response.get('text'))}")
        if rid in ids:
            fail(f"{at}.id", f"duplicate response id {rid!r}")
        ids.append(rid)
    return ids


class _ResponsesControl(Control):
    default_source = "responses"
    min_responses = 1

    def check_data(self, data: dict[str, Any]) -> None:
        super().check_data(data)
        ids = response_ids(data, self.source_field(), prefix="")
        if len(ids) < self.min_responses:
            fail(
                self.source,
                f"{self.type} needs at least {self.min_responses} responses, got {len(ids)}",
            )
        prompt = data.get("prompt")
        if prompt is not None and type(prompt) is not str:
            fail("prompt", f"must be a string, got {json_type(prompt)}")


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class Pairwise(_ResponsesControl):
    """Which of two responses is better: ``{"choice": "a"|"b"|"tie"|"both_bad",
    "reason"?: str}``; "a" and "b" are the first and second response of the item."""

    type = "pairwise"
    min_responses = 2
    require_reason: bool = False
    allow_tie: bool = True
    allow_both_bad: bool = True

    @classmethod
    def _read_options(cls, r: Reader) -> dict[str, Any]:
        return {
            "require_reason": r.boolean("require_reason", False),
            "allow_tie": r.boolean("allow_tie", True),
            "allow_both_bad": r.boolean("allow_both_bad", True),
        }

    def _options_dict(self) -> dict[str, Any]:
        return drop_none(
            [
                ("require_reason", True if self.require_reason else None),
                ("allow_tie", False if not self.allow_tie else None),
                ("allow_both_bad", False if not self.allow_both_bad else None),
            ]
        )

    def check_data(self, data: dict[str, Any]) -> None:
        super().check_data(data)
        n = len(data[self.source_field()])
        if n != 2:
            fail(
                self.source_field(),
                f"a pairwise comparison needs exactly 2 responses, got {n}",
            )

    def label_names(self) -> list[str]:
        banned = {"tie"} if not self.allow_tie else set()
        banned |= {"both_bad"} if not self.allow_both_bad else set()
        return [c for c in PAIRWISE_CHOICES if c not in banned]

    def compile(self) -> Validator:
        key, choices = self.name, frozenset(self.label_names())
        listed = ", ".join(self.label_names())
        require_reason = self.require_reason
        allowed, needed = frozenset({"choice", "reason"}), frozenset({"choice"})

        def check(value: Any, data: Any, result: dict[str, Any]) -> None:
            if type(value) is not dict:
                fail(
                    key,
                    f"must be an object {{choice, reason}}, got {json_type(value)} {show(value)}",
                )
            if not (value.keys() <= allowed and needed <= value.keys()):
                key_problem(key, value, allowed, needed)
            choice = value["choice"]
            if type(choice) is not str or choice not in choices:
                fail(f"{key}.choice", f"{show(choice)} is not one of {listed}")
            reason = value.get("reason")
            if reason is not None and type(reason) is not str:
                fail(f"{key}.reason", f"must be a string, got {json_type(reason)}")
            if require_reason and not (reason or "").strip():
                fail(f"{key}.reason", "a reason is required")

        return check


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class Ranking(_ResponsesControl):
    """Responses ranked best first: ``[["r2"], ["r1", "r3"]]``; a group of more than
    one id is a tie (only with ``allow_ties``). Every response appears exactly once."""

    type = "ranking"
    min_responses = 2
    allow_ties: bool = False

    @classmethod
    def _read_options(cls, r: Reader) -> dict[str, Any]:
        return {"allow_ties": r.boolean("allow_ties", False)}

    def _options_dict(self) -> dict[str, Any]:
        return {"allow_ties": True} if self.allow_ties else {}

    def compile(self) -> Validator:
        key, source, allow_ties = self.name, self.source_field(), self.allow_ties

        def check(value: Any, data: Any, result: dict[str, Any]) -> None:
            if type(value) is not list or not value:
                fail(key, f"must be a non-empty list of groups of response ids, got {show(value)}")
            ids = response_ids(data, source)
            remaining = set(ids)
            for i, group in enumerate(value):
                if type(group) is not list or not group:
                    fail(
                        f"{key}[{i}]",
                        f"must be a non-empty list of response ids, got {show(group)}",
                    )
                if len(group) > 1 and not allow_ties:
                    fail(f"{key}[{i}]", "ties are not allowed (one response per rank)")
                for j, rid in enumerate(group):
                    if type(rid) is not str or rid not in ids:
                        fail(f"{key}[{i}][{j}]", f"{show(rid)} is not a response id of this item")
                    if rid not in remaining:
                        fail(f"{key}[{i}][{j}]", f"{rid!r} is ranked twice")
                    remaining.remove(rid)
            if remaining:
                missing = ", ".join(r for r in ids if r in remaining)
                fail(key, f"does not rank every response (missing: {missing})")

        return check


@register_control
@dataclass(eq=False, frozen=True, kw_only=True)
class Correction(_ResponsesControl, FreeTextControl):
    """A rewritten response: ``{"response_id": str, "text": str}``."""

    type = "correction"

    def compile(self) -> Validator:
        key, source, max_length = self.name, self.source_field(), self.max_length
        keys = frozenset({"response_id", "text"})

        def check(value: Any, data: Any, result: dict[str, Any]) -> None:
            if type(value) is not dict:
                fail(
                    key,
                    f"must be an object {{response_id, text}}, got {show(value)}",
                )
            if value.keys() != keys:
                key_problem(key, value, keys, keys)
            rid, text = value["response_id"], value["text"]
            if type(rid) is not str or rid not in response_ids(data, source):
                fail(f"{key}.response_id", f"{show(rid)} is not a response id of this item")
            check_text(f"{key}.text", text, max_length)

        return check
