"""Preference data as training sets in the column layouts TRL expects.

Layouts follow TRL's dataset formats guide ("Dataset formats and types"):

* ``dpo`` — preference with explicit prompt: ``prompt, chosen, rejected``;
* ``reward`` — preference with implicit prompt: ``chosen, rejected`` each holding
  the whole exchange, optional ``margin`` (Llama 2, Touvron et al. 2023, eq. 2);
* ``kto`` — unpaired preference: ``prompt, completion, label``;
* ``sft`` — prompt-completion from corrected responses.

Each has a *standard* (text) and a *conversational* (message list) form. Rows
are written as JSONL, Parquet, or a Hugging Face ``datasets`` folder
(``Dataset.save_to_disk``; needs the optional ``datasets`` package).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from labelwell.errors import InvalidInput
from labelwell.rlhf.records import (
    Correction,
    LabelledCompletion,
    Message,
    PreferencePair,
    prompt_text,
)

Row = dict[str, Any]


def _assistant(text: str) -> list[Message]:
    return [{"role": "assistant", "content": text}]


def dpo_rows(
    pairs: Iterable[PreferencePair], *, conversational: bool = False, ties: bool = False
) -> list[Row]:
    """``prompt, chosen, rejected`` rows (explicit prompt); with ``ties`` a boolean
    ``tie`` column marks pairs judged equally good."""
    rows: list[Row] = []
    for p in pairs:
        if conversational:
            row: Row = {
                "prompt": p.prompt,
                "chosen": _assistant(p.chosen),
                "rejected": _assistant(p.rejected),
            }
        else:
            row = {"prompt": prompt_text(p.prompt), "chosen": p.chosen, "rejected": p.rejected}
        if ties:
            row["tie"] = bool(p.tie)
        rows.append(row)
    return rows


def reward_rows(
    pairs: Iterable[PreferencePair],
    *,
    conversational: bool = False,
    margin: bool = False,
    ties: bool = False,
) -> list[Row]:
    """``chosen, rejected`` rows with the prompt inside each (implicit prompt), plus
    ``margin`` when asked (a pair without a margin, and a tie, gets 0.0) and a
    boolean ``tie`` column with ``ties``."""
    rows: list[Row] = []
    for p in pairs:
        if conversational:
            row: Row = {
                "chosen": p.prompt + _assistant(p.chosen),
                "rejected": p.prompt + _assistant(p.rejected),
            }
        else:
            text = prompt_text(p.prompt)
            row = {"chosen": f"{text}\n\n{p.chosen}", "rejected": f"{text}\n\n{p.rejected}"}
        if margin:
            row["margin"] = float(p.margin) if p.margin is not None and not p.tie else 0.0
        if ties:
            row["tie"] = bool(p.tie)
        rows.append(row)
    return rows


def kto_rows(
    completions: Iterable[LabelledCompletion], *, conversational: bool = False
) -> list[Row]:
    """``prompt, completion, label`` rows."""
    if conversational:
        return [
            {"prompt": c.prompt, "completion": _assistant(c.completion), "label": bool(c.label)}
            for c in completions
        ]
    return [
        {"prompt": prompt_text(c.prompt), "completion": c.completion, "label": bool(c.label)}
        for c in completions
    ]


def unpair(pairs: Iterable[PreferencePair]) -> list[LabelledCompletion]:
    """Each pair as a desirable and an undesirable completion (for KTO)."""
    out: list[LabelledCompletion] = []
    for p in pairs:
        out.append(LabelledCompletion(p.prompt, p.chosen, True, p.item_id))
        out.append(LabelledCompletion(p.prompt, p.rejected, False, p.item_id))
    return out


def sft_rows(corrections: Iterable[Correction], *, conversational: bool = False) -> list[Row]:
    """Prompt-completion rows from corrections (the corrected text is the target)."""
    if conversational:
        return [{"prompt": c.prompt, "completion": _assistant(c.text)} for c in corrections]
    return [{"prompt": prompt_text(c.prompt), "completion": c.text} for c in corrections]


def write_jsonl(rows: Iterable[Row], path: str | Path) -> int:
    n = 0
    with Path(path).open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def write_parquet(rows: list[Row], path: str | Path) -> int:
    if not rows:
        raise InvalidInput("nothing to write: no rows")
    pq.write_table(pa.Table.from_pylist(rows), str(path))
    return len(rows)


def save_dataset(rows: list[Row], path: str | Path) -> int:
    """A Hugging Face ``datasets`` folder (load it with ``datasets.load_from_disk``)."""
    try:
        from datasets import Dataset
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InvalidInput("writing a datasets folder needs `pip install datasets`") from exc
    if not rows:
        raise InvalidInput("nothing to write: no rows")
    Dataset.from_list(rows).save_to_disk(str(path))
    return len(rows)


#: Writers by name, so the CLI and API list them from one place.
WRITERS: dict[str, Callable[..., int]] = {
    "jsonl": write_jsonl,
    "parquet": write_parquet,
    "hf": save_dataset,
}

#: Row builders by training layout.
LAYOUTS: dict[str, Callable[..., list[Row]]] = {
    "dpo": dpo_rows,
    "reward": reward_rows,
    "kto": kto_rows,
    "sft": sft_rows,
}


def write_rows(rows: list[Row], path: str | Path, fmt: str = "jsonl") -> int:
    """Write rows with the writer named ``fmt`` (``jsonl``, ``parquet``, ``hf``)."""
    if fmt not in WRITERS:
        raise InvalidInput(f"unknown format {fmt!r}; one of {sorted(WRITERS)}", field="format")
    return WRITERS[fmt](rows, path)
