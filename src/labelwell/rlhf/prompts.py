"""Prompt collection: import prompts with tags, and a diversity report.

Prompts come from JSONL (``{"id"?, "prompt" | "messages", "tags"?, <tag>?}``),
CSV (a ``prompt`` column plus tag columns) or OpenAI message lists. The tags a
project can set are :data:`TAGS`; other keys are kept as free tags. The report
counts prompts by tag value, finds near-duplicates by cosine similarity of
sentence embeddings (Reimers and Gurevych 2019, Sentence-BERT, sec. 3), and
lists the gaps between the observed and the target share of each tag value.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput
from labelwell.rlhf.records import PromptItem, as_messages, prompt_text

TAGS: tuple[str, ...] = (
    "topic",
    "difficulty",
    "language",
    "culture",
    "safety_test",
    "red_teaming",
)


def _item(key: str, rec: Mapping[str, Any], where: str, line: int | None) -> PromptItem:
    prompt = rec.get("messages", rec.get("prompt"))
    if not isinstance(prompt, str | list) or not prompt:
        raise InvalidInput(f"{where}: needs a 'prompt' string or 'messages' list", line=line)
    try:
        messages = as_messages(prompt)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.message}", line=line, field=exc.field) from exc
    if messages[-1]["role"] == "assistant":
        raise InvalidInput(f"{where}: a prompt must not end with an assistant turn", line=line)
    tags = dict(rec.get("tags") or {})
    for t in TAGS:
        if rec.get(t) not in (None, ""):
            tags[t] = rec[t]
    return PromptItem(str(rec.get("id", key)), messages, [], tags)


def read_prompts(path: str | Path) -> list[PromptItem]:
    """Prompts from ``.jsonl``, ``.json`` (a list) or ``.csv``."""
    p = Path(path)
    items: list[PromptItem] = []
    if p.suffix.lower() == ".csv":
        with p.open(encoding="utf-8", newline="") as f:
            for line, row in enumerate(csv.DictReader(f), start=2):
                items.append(_item(f"{line - 1}", row, f"line {line}", line))
    elif p.suffix.lower() == ".json":
        data = json.loads(p.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise InvalidInput(f"{p.name}: expected a JSON list of prompts")
        for i, rec in enumerate(data):
            rec = {"messages": rec} if isinstance(rec, list) else rec
            items.append(_item(str(i), rec, f"record {i}", None))
    else:
        with p.open(encoding="utf-8") as f:
            for line, raw in enumerate(f, start=1):
                if not raw.strip():
                    continue
                try:
                    rec = json.loads(raw)
                except json.JSONDecodeError as exc:
                    raise InvalidInput(f"line {line}: not valid JSON", line=line) from exc
                rec = {"messages": rec} if isinstance(rec, list) else rec
                if not isinstance(rec, Mapping):
                    raise InvalidInput(f"line {line}: expected an object or a list", line=line)
                items.append(_item(str(line), rec, f"line {line}", line))
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise InvalidInput(f"{p.name}: prompt ids repeat", field="id")
    return items


@dataclass(frozen=True, slots=True)
class DiversityReport:
    """``counts``: ``tag, value, count, share``; ``duplicates``: ``id_a, id_b,
    cosine`` pairs at or above the threshold; ``gaps``: ``tag, value, target,
    share, gap`` (``gap = target - share``, largest first)."""

    n_prompts: int
    counts: pd.DataFrame
    duplicates: pd.DataFrame
    gaps: pd.DataFrame


def near_duplicates(
    ids: Sequence[str], embeddings: np.ndarray, threshold: float = 0.9, block: int = 2048
) -> pd.DataFrame:
    """Pairs of prompts whose embeddings have cosine similarity >= ``threshold``."""
    e = np.asarray(embeddings, dtype=np.float32)
    e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    rows: list[tuple[str, str, float]] = []
    for start in range(0, len(e), block):
        sims = e[start : start + block] @ e.T
        i, j = np.nonzero(sims >= threshold)
        keep = j > i + start
        for a, b in zip(i[keep], j[keep], strict=True):
            rows.append((ids[a + start], ids[b], float(sims[a, b])))
    out = pd.DataFrame(rows, columns=["id_a", "id_b", "cosine"])
    return out.sort_values("cosine", ascending=False, kind="stable").reset_index(drop=True)


def diversity_report(
    items: Sequence[PromptItem],
    *,
    targets: Mapping[str, Mapping[str, float]] | None = None,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    threshold: float = 0.9,
) -> DiversityReport:
    """Counts by tag, near-duplicates (when ``embed`` is given, e.g.
    ``SentenceEncoder().encode``) and gaps against ``targets`` (``{tag: {value:
    share}}``; a prompt without the tag counts as ``"(none)"``)."""
    n = len(items)
    tag_rows = [(t, str(v)) for it in items for t, v in it.tags.items()]
    counts = pd.DataFrame(tag_rows, columns=["tag", "value"])
    counts = counts.value_counts().rename("count").reset_index()
    counts["share"] = counts["count"] / max(n, 1)
    counts = counts.sort_values(["tag", "count", "value"], ascending=[True, False, True])
    counts = counts.reset_index(drop=True)
    gaps: list[tuple[str, str, float, float, float]] = []
    for tag, shares in (targets or {}).items():
        observed = pd.Series([str(it.tags.get(tag, "(none)")) for it in items]).value_counts()
        for value, target in shares.items():
            share = float(observed.get(str(value), 0)) / max(n, 1)
            gaps.append((tag, str(value), float(target), share, float(target) - share))
    gap_frame = pd.DataFrame(gaps, columns=["tag", "value", "target", "share", "gap"])
    gap_frame = gap_frame.sort_values("gap", ascending=False, kind="stable").reset_index(drop=True)
    if embed is not None and n > 1:
        texts = [prompt_text(it.prompt) for it in items]
        dups = near_duplicates([it.id for it in items], embed(texts), threshold)
    else:
        dups = pd.DataFrame(columns=["id_a", "id_b", "cosine"])
    return DiversityReport(n, counts, dups, gap_frame)


def prompts_from_messages(conversations: Iterable[Sequence[Mapping[str, Any]]]) -> list[PromptItem]:
    """OpenAI message lists as prompts (ids are positions)."""
    return [
        _item(str(i), {"messages": list(c)}, f"conversation {i}", None)
        for i, c in enumerate(conversations)
    ]
