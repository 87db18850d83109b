"""Label Studio ``pairwise`` and ``ranker`` regions.

Pairwise: "a" and "b" are Label Studio's ``{"selected": "left" | "right"}`` (its
``Pairwise`` tag, ``from_name`` = ``to_name`` = the control's name). Label Studio
has no tie or "both bad": those are written as a companion ``choices`` region
named ``<control>_choice`` (``{"choices": ["tie"]}``), and a reason as a
``textarea`` region named ``<control>_reason``; both read back. Tasks of Label
Studio's RLHF template (``prompt``, ``answer1``, ``answer2``) get the pairwise
control's responses ``[{"id": "answer1", "text": ...}, {"id": "answer2", ...}]``.

Ranking: Label Studio's ``Ranker`` tag (1.9+). A ranking without ties is
``{"ranker": {<control>: [ids best first]}}``; with ties, each rank is a bucket
``rank_1``, ``rank_2``, ... holding the tied ids. On import, other bucket names
need their order given (``ranker_buckets``, best first)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from labelwell.errors import InvalidInput
from labelwell.formats._ontology import Control

PAIRWISE_CHOICES = ("a", "b", "tie", "both_bad")
SIDES = {"a": "left", "b": "right"}
RLHF_FIELDS = ("answer1", "answer2")
_RANK = re.compile(r"^rank_(\d+)$")


def pairwise_regions(
    c: Control, value: dict[str, Any], to_name: str | None = None
) -> list[dict[str, Any]]:
    """``to_name``: what the ``pairwise`` region points at (the control's own
    name by default; ``"answer1,answer2"`` in the comparison template, whose
    companion regions then point at its ``prompt`` text)."""
    src = "prompt" if to_name else (c.source or "responses")
    choice = value["choice"]
    if choice in SIDES:
        out = [
            {
                "id": c.name,
                "from_name": c.name,
                "to_name": to_name or c.name,
                "type": "pairwise",
                "value": {"selected": SIDES[choice]},
            }
        ]
    else:
        name = f"{c.name}_choice"
        v = {"choices": [choice]}
        out = [{"id": name, "from_name": name, "to_name": src, "type": "choices", "value": v}]
    if value.get("reason") is not None:
        name = f"{c.name}_reason"
        v2 = {"text": [value["reason"]]}
        out.append({"id": name, "from_name": name, "to_name": src, "type": "textarea", "value": v2})
    return out


PAIRWISE_LAYOUTS = ("labelwell", "comparison")


def comparison_data(
    ctrls: Sequence[Control], data: dict[str, Any], where: str, fields: Sequence[str] = RLHF_FIELDS
) -> dict[str, Any]:
    """``data`` with the two responses of its pairwise control as the text fields
    of Label Studio's comparison template (``answer1``, ``answer2``)."""
    pairwise = [c for c in ctrls if c.type == "pairwise"]
    if not pairwise:
        return data
    src = pairwise[0].source or "responses"
    responses = data.get(src)
    if not isinstance(responses, list) or len(responses) != 2:
        raise InvalidInput(
            f"{where}: Label Studio's comparison template needs exactly two responses "
            f"in data.{src}",
            field=src,
        )
    out = dict(data)
    for name, response in zip(fields, responses, strict=True):
        out[name] = response.get("text") if isinstance(response, dict) else response
    return out


def fill_responses(
    ctrls: dict[str, Control], data: dict[str, Any], fields: Sequence[str] = RLHF_FIELDS
) -> None:
    """Give each pairwise control without responses in ``data`` the two text
    fields ``fields`` of a Label Studio task as its responses."""
    for c in ctrls.values():
        src = c.source or "responses"
        two = len(fields) == 2 and all(isinstance(data.get(f), str) for f in fields)
        if c.type == "pairwise" and src not in data and two:
            data[src] = [{"id": f, "text": data[f]} for f in fields]
        elif c.type == "ranking" and isinstance(data.get(src), list):
            # a Label Studio <List> item is {id, title, body}: its text is the body
            data[src] = [_with_text(item) for item in data[src]]


def _with_text(item: Any) -> Any:
    if not isinstance(item, dict) or isinstance(item.get("text"), str):
        return item
    text = next((item[k] for k in ("body", "title", "html") if isinstance(item.get(k), str)), None)
    return item if text is None else {**item, "text": text}


class PairwiseParts:
    """Collects a pairwise answer from its ``pairwise`` region and companions."""

    def __init__(self, ctrls: dict[str, Control]) -> None:
        self.pairwise = {n for n, c in ctrls.items() if c.type == "pairwise"}
        self.ctrls = ctrls
        self.parts: dict[str, dict[str, Any]] = {}

    def _part(self, name: str, key: str, value: Any, field: str) -> None:
        part = self.parts.setdefault(name, {"field": field})
        if key in part and part[key] != value:
            raise InvalidInput(
                f"pairwise {name!r} is answered twice ({part[key]!r} and {value!r})", field=field
            )
        part[key] = value

    def take(self, reg: dict[str, Any], field: str) -> bool:
        """Take ``reg`` when it is a companion of a pairwise control."""
        from_name = reg.get("from_name")
        if not isinstance(from_name, str) or from_name in self.ctrls:
            return False
        base, _, role = from_name.rpartition("_")
        if base not in self.pairwise:
            return False
        v = reg.get("value") or {}
        if role == "choice" and reg.get("type") == "choices":
            choices = v.get("choices")
            if not isinstance(choices, list) or len(choices) != 1:
                raise InvalidInput("needs one choice", field=f"{field}.value.choices")
            if choices[0] not in PAIRWISE_CHOICES:
                raise InvalidInput(
                    f"{choices[0]!r} is not one of {', '.join(PAIRWISE_CHOICES)}",
                    field=f"{field}.value.choices",
                )
            self._part(base, "choice", choices[0], field)
            return True
        if role == "reason" and reg.get("type") == "textarea":
            texts = v.get("text")
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                raise InvalidInput("must be a list of strings", field=f"{field}.value.text")
            self._part(base, "reason", "\n".join(texts), field)
            return True
        return False

    def add_selected(
        self, name: str, reg: dict[str, Any], data: dict[str, Any], field: str
    ) -> None:
        selected = (reg.get("value") or {}).get("selected")
        choice = {"left": "a", "right": "b"}.get(selected) if isinstance(selected, str) else None
        if choice is None:
            raise InvalidInput(
                f"selected must be 'left' or 'right', got {selected!r}",
                field=f"{field}.value.selected",
            )
        # ``to_name`` may name the two text tags ("answer1,answer2").
        fields = str(reg.get("to_name", "")).split(",")
        ctrl = self.ctrls.get(name)
        if ctrl is not None and len(fields) == 2:
            fill_responses({name: ctrl}, data, fields)
        self._part(name, "choice", choice, field)

    def results(self) -> dict[str, dict[str, Any]]:
        out = {}
        for name, part in self.parts.items():
            if "choice" not in part:
                raise InvalidInput(
                    f"pairwise {name!r} has a reason but no choice", field=part["field"]
                )
            out[name] = {"choice": part["choice"]}
            if "reason" in part:
                out[name]["reason"] = part["reason"]
        return out


def ranker_region(c: Control, value: list[list[str]]) -> dict[str, Any]:
    if all(len(group) == 1 for group in value):
        ranker = {c.name: [group[0] for group in value]}
    else:
        ranker = {f"rank_{i}": list(group) for i, group in enumerate(value, start=1)}
    return {
        "id": c.name,
        "from_name": c.name,
        "to_name": c.source or "responses",
        "type": "ranker",
        "value": {"ranker": ranker},
    }


def read_ranker(
    name: str,
    reg: dict[str, Any],
    data: dict[str, Any],
    ctrl: Control | None,
    buckets: Sequence[str],
    field: str,
) -> list[list[str]]:
    """Groups of response ids, best first, from a ``ranker`` region."""
    at = f"{field}.value.ranker"
    ranker = (reg.get("value") or {}).get("ranker")
    if not isinstance(ranker, dict) or not ranker:
        raise InvalidInput("must be an object of bucket name to ids", field=at)
    for key, ids in ranker.items():
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise InvalidInput("must be a list of response ids", field=f"{at}.{key}")
    keys = list(ranker)
    own = {name, reg.get("from_name"), reg.get("to_name")}
    if len(keys) == 1 and keys[0] in own:
        groups = [[rid] for rid in ranker[keys[0]]]
    elif all(_RANK.match(k) for k in keys):
        groups = [ranker[k] for k in sorted(keys, key=lambda k: int(k[5:])) if ranker[k]]
    elif buckets:
        for k in keys:
            if k not in buckets:
                raise InvalidInput(
                    f"bucket {k!r} is not in ranker_buckets ({', '.join(buckets)})",
                    field=f"{at}.{k}",
                )
        groups = [ranker[k] for k in buckets if ranker.get(k)]
    else:
        raise InvalidInput(
            f"buckets {', '.join(keys)} have no known order: name them rank_1, rank_2, ... "
            "or give ranker_buckets",
            field=at,
        )
    seen: set[str] = set()
    for rid in (rid for group in groups for rid in group):
        if rid in seen:
            raise InvalidInput(f"{rid!r} is ranked twice", field=at)
        seen.add(rid)
    if not seen:
        raise InvalidInput("ranks no response", field=at)
    return groups
