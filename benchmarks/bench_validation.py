"""Ontology validation on the submit path: validations per second of labelwell's
precompiled validators, side by side with an equivalent pydantic v2 model of the
same result (the obvious alternative), in one run, as a ratio.

    benchmarks/.venv-peers/bin/python benchmarks/bench_validation.py [--json out.json]

Figures depend on the machine; compare the ratio column, measured in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import sys
import time
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from labelwell.errors import InvalidInput
from labelwell.schema import Attribute, Label, OntologyBuilder

TEXT = (
    "Acme Corp hired Bob Smith in Paris last year, said the report from Reuters. "
    "김철수는 서울에 산다 😀 and Ann Lee moved from Berlin to Tokyo with Globex."
)


def spans_in(text: str, words: list[tuple[str, str]]) -> list[dict[str, Any]]:
    spans = []
    for i, (word, label) in enumerate(words):
        start = text.index(word)
        span = {"id": f"e{i}", "start": start, "end": start + len(word), "label": label}
        span["text"] = word
        if label == "ORG":
            span["attributes"] = {"listed": i % 2 == 0}
        spans.append(span)
    return spans


ENTITIES = [
    ("Acme Corp", "ORG"), ("Bob Smith", "PER"), ("Paris", "LOC"), ("Reuters", "ORG"),
    ("김철수", "PER"), ("서울", "LOC"), ("Ann Lee", "PER"), ("Berlin", "LOC"),
    ("Tokyo", "LOC"), ("Globex", "ORG"),
]  # fmt: skip


# -- labelwell ---------------------------------------------------------------------------

ONTOLOGY = (
    OntologyBuilder("reviews")
    .choice("sentiment", ["positive", "negative", "neutral"], source="text", required=True)
    .spans("entities", [Label("PER"), Label("ORG", [Attribute.boolean("listed")]), "LOC"])
    .bbox("objects", [Label("car", [Attribute.boolean("occluded")]), "person"])
    .build()
)


# -- the same contract as a pydantic v2 model --------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class OrgAttributes(_Strict):
    listed: bool | None = None


class Span(_Strict):
    id: str = Field(min_length=1)
    start: int = Field(ge=0)
    end: int
    label: Literal["PER", "ORG", "LOC"]
    text: str | None = None
    attributes: OrgAttributes | None = None

    @model_validator(mode="after")
    def within_text(self, info: ValidationInfo) -> Span:
        source = info.context["text"]
        if self.end <= self.start or self.end > len(source):
            raise ValueError("bad offsets")
        if self.text is not None and self.text != source[self.start : self.end]:
            raise ValueError("text does not match")
        if self.attributes is not None and self.label != "ORG":
            raise ValueError("attributes only on ORG")
        return self


class Box(_Strict):
    id: str = Field(min_length=1)
    label: Literal["car", "person"]
    x: float = Field(ge=0)
    y: float = Field(ge=0)
    width: float = Field(gt=0)
    height: float = Field(gt=0)
    attributes: dict[str, bool] | None = None

    @model_validator(mode="after")
    def inside(self, info: ValidationInfo) -> Box:
        data = info.context
        if "width" in data and self.x + self.width > data["width"]:
            raise ValueError("past the right edge")
        if "height" in data and self.y + self.height > data["height"]:
            raise ValueError("past the bottom edge")
        return self


class Result(_Strict):
    sentiment: Literal["positive", "negative", "neutral"]
    entities: list[Span] | None = None
    objects: list[Box] | None = None

    @field_validator("entities")
    @classmethod
    def unique_ids(cls, spans: list[Span] | None) -> list[Span] | None:
        if spans is not None and len({s.id for s in spans}) != len(spans):
            raise ValueError("duplicate span id")
        return spans


def pydantic_validate(result: dict, data: dict) -> None:
    Result.model_validate(result, context=data)


def labelwell_validate(result: dict, data: dict) -> None:
    ONTOLOGY.validate(result, data)


# -- workloads ---------------------------------------------------------------------------


def workloads() -> list[tuple[str, dict, dict, bool]]:
    data = {"text": TEXT}
    boxes = [
        {"id": f"b{i}", "label": "car" if i % 2 else "person", "x": 10.0 * i, "y": 5.0 * i,
         "width": 40.0, "height": 30.0} | ({"attributes": {"occluded": False}} if i % 2 else {})
        for i in range(10)
    ]  # fmt: skip
    bad = spans_in(TEXT, ENTITIES[:3])
    bad[2] = bad[2] | {"end": 500}
    return [
        (
            "choice + 3 spans",
            {"sentiment": "positive", "entities": spans_in(TEXT, ENTITIES[:3])},
            data,
            True,
        ),
        (
            "choice + 10 spans",
            {"sentiment": "neutral", "entities": spans_in(TEXT, ENTITIES)},
            data,
            True,
        ),
        ("choice only", {"sentiment": "negative"}, data, True),
        (
            "choice + 10 boxes",
            {"sentiment": "neutral", "objects": boxes},
            {"width": 640, "height": 480},
            True,
        ),
        ("invalid span (refused)", {"sentiment": "positive", "entities": bad}, data, False),
    ]


def rates(
    fns: list[Callable[[dict, dict], None]], result: dict, data: dict, seconds: float
) -> list[float]:
    """Best-of-7 validations per second of each function. Rounds alternate between
    the functions so that both see the same (shared, loaded) machine."""
    errors = (InvalidInput, ValueError)

    def batch(fn: Callable[[dict, dict], None], n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            with contextlib.suppress(*errors):
                fn(result, data)
        return time.perf_counter() - start

    sizes = []
    for fn in fns:  # size each batch to about seconds / 7
        n = 1
        while batch(fn, n) < seconds / 7 and n < 10**7:
            n *= 2
        sizes.append(n)
    best = [0.0] * len(fns)
    for _ in range(7):
        for k, fn in enumerate(fns):
            best[k] = max(best[k], sizes[k] / batch(fn, sizes[k]))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    rows = []
    for name, result, data, valid in workloads():
        for fn in (labelwell_validate, pydantic_validate):  # both must agree on the verdict
            try:
                fn(result, data)
                ok = True
            except (InvalidInput, ValueError):
                ok = False
            assert ok is valid, (name, fn.__name__)
        ours, theirs = rates([labelwell_validate, pydantic_validate], result, data, args.seconds)
        rows.append(
            {
                "workload": name,
                "labelwell_per_s": ours,
                "pydantic_per_s": theirs,
                "ratio": ours / theirs,
            }
        )

    print(
        f"python {platform.python_version()}: labelwell Ontology.validate "
        "vs pydantic v2 model_validate(context=data)"
    )
    print(f"{'workload':<24} {'labelwell/s':>12} {'pydantic/s':>12} {'ratio':>7}")
    for row in rows:
        print(
            f"{row['workload']:<24} {row['labelwell_per_s']:>12,.0f} "
            f"{row['pydantic_per_s']:>12,.0f} {row['ratio']:>6.2f}x"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"python": sys.version, "rows": rows}, out, indent=2)


if __name__ == "__main__":
    main()
