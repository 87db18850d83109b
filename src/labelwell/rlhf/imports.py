"""Readers for existing preference data: Arena battles, ShareGPT-style pairs
(LLaMA-Factory's ``dpo_en_demo.json``), KTO rows and Label Studio pairwise
exports. Bad input raises :class:`~labelwell.errors.InvalidInput` naming the line
(JSONL) or the record index (JSON) and the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from labelwell.errors import InvalidInput
from labelwell.rlhf.bradley_terry import WINNER_SCORES
from labelwell.rlhf.records import (
    Comparison,
    LabelledCompletion,
    Message,
    Outcome,
    PreferencePair,
    PromptItem,
    Response,
    as_messages,
)

SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant"}
SHAREGPT_ROLES["system"] = "system"


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """``(line number, parsed value)`` for every non-blank line of a JSONL file."""
    with Path(path).open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(
                    f"line {lineno}: not valid JSON ({exc.msg})", line=lineno
                ) from exc


def _records(path: str | Path) -> Iterator[tuple[int, Any, str]]:
    """Records of a JSON array file or a JSONL file, with where each came from."""
    p = Path(path)
    with p.open(encoding="utf-8") as f:
        head = f.read(1024).lstrip()
    if head.startswith("["):
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{p.name}: not valid JSON ({exc.msg})", line=exc.lineno) from exc
        for i, rec in enumerate(data):
            yield i, rec, f"record {i}"
    else:
        for lineno, rec in iter_jsonl(p):
            yield lineno, rec, f"line {lineno}"


def read_arena_battles(path: str | Path) -> pd.DataFrame:
    """Arena battle rows (``model_a``, ``model_b``, ``winner`` in ``model_a`` /
    ``model_b`` / ``tie`` / ``tie (bothbad)``) from JSONL as a frame."""
    rows: list[tuple[str, str, str]] = []
    for lineno, rec in iter_jsonl(path):
        if not isinstance(rec, Mapping):
            raise InvalidInput(f"line {lineno}: a battle must be a JSON object", line=lineno)
        for key in ("model_a", "model_b"):
            if not isinstance(rec.get(key), str) or not rec[key]:
                raise InvalidInput(
                    f"line {lineno}: {key} must be a non-empty string", line=lineno, field=key
                )
        if rec.get("winner") not in WINNER_SCORES:
            raise InvalidInput(
                f"line {lineno}: winner must be model_a, model_b, tie or 'tie (bothbad)', "
                f"got {rec.get('winner')!r}",
                line=lineno,
                field="winner",
            )
        if rec["model_a"] == rec["model_b"]:
            raise InvalidInput(f"line {lineno}: a model cannot battle itself", line=lineno)
        rows.append((rec["model_a"], rec["model_b"], rec["winner"]))
    if not rows:
        raise InvalidInput(f"{Path(path).name}: no battles")
    return pd.DataFrame(rows, columns=["model_a", "model_b", "winner"])


def _sharegpt_message(m: Any, where: str) -> Message:
    if not isinstance(m, Mapping) or m.get("from") not in SHAREGPT_ROLES:
        raise InvalidInput(f"{where}: message needs 'from' in {sorted(SHAREGPT_ROLES)}")
    if not isinstance(m.get("value"), str):
        raise InvalidInput(f"{where}: message needs a string 'value'")
    return {"role": SHAREGPT_ROLES[m["from"]], "content": m["value"]}


def read_sharegpt_pairs(path: str | Path) -> list[PreferencePair]:
    """ShareGPT-style pairs: ``{"conversations": [{"from", "value"}...], "chosen":
    {"from": "gpt", "value"}, "rejected": {...}}`` (JSON array or JSONL)."""
    pairs: list[PreferencePair] = []
    for key, rec, where in _records(path):
        if not isinstance(rec, Mapping) or not isinstance(rec.get("conversations"), list):
            raise InvalidInput(f"{where}: needs a 'conversations' list", line=key)
        prompt = [_sharegpt_message(m, where) for m in rec["conversations"]]
        if not prompt or prompt[-1]["role"] != "user":
            raise InvalidInput(f"{where}: the conversation must end with a human turn", line=key)
        chosen = _sharegpt_message(rec.get("chosen"), f"{where} chosen")
        rejected = _sharegpt_message(rec.get("rejected"), f"{where} rejected")
        pairs.append(
            PreferencePair(prompt, chosen["content"], rejected["content"], item_id=str(key))
        )
    return pairs


def read_kto_rows(path: str | Path) -> list[LabelledCompletion]:
    """KTO rows ``{"messages": [{"role", "content"}...], "label": bool}``; the last
    message is the judged assistant completion, the ones before it the prompt."""
    out: list[LabelledCompletion] = []
    for key, rec, where in _records(path):
        if not isinstance(rec, Mapping) or not isinstance(rec.get("label"), bool):
            raise InvalidInput(f"{where}: needs a boolean 'label'", line=key, field="label")
        try:
            messages = as_messages(rec.get("messages") or [])
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc.message}", line=key, field="messages") from exc
        if len(messages) < 2 or messages[-1]["role"] != "assistant":
            raise InvalidInput(f"{where}: last message must be the assistant's", line=key)
        out.append(
            LabelledCompletion(messages[:-1], messages[-1]["content"], rec["label"], str(key))
        )
    return out


_LS_CHOICES: dict[str, Outcome] = {"answer1": "a", "answer2": "b"}


def _ls_choice(result: list[Any]) -> Outcome | None:
    """``a``/``b`` from a Label Studio result list (Pairwise or Choices tag)."""
    for r in result:
        value = r.get("value", {}) if isinstance(r, Mapping) else {}
        if r.get("type") == "pairwise" and value.get("selected") in ("left", "right"):
            return "a" if value["selected"] == "left" else "b"
        if r.get("type") == "choices" and value.get("choices"):
            return _LS_CHOICES.get(value["choices"][0])
    return None


def read_label_studio_pairwise(
    path: str | Path,
    *,
    prompt_field: str = "prompt",
    fields: tuple[str, str] = ("answer1", "answer2"),
) -> tuple[list[PromptItem], list[Comparison]]:
    """A Label Studio JSON export of pairwise tasks (the ``Pairwise`` tag with
    ``selected: left|right``, or the RLHF template's ``Choices`` of
    ``answer1``/``answer2``). Cancelled annotations are skipped."""
    items: list[PromptItem] = []
    comparisons: list[Comparison] = []
    for key, task, where in _records(path):
        data = task.get("data", {}) if isinstance(task, Mapping) else {}
        if not all(isinstance(data.get(f), str) for f in (prompt_field, *fields)):
            raise InvalidInput(f"{where}: data needs {prompt_field!r} and {list(fields)}", line=key)
        item_id = str(task.get("id", key))
        responses = [Response("a", data[fields[0]]), Response("b", data[fields[1]])]
        items.append(PromptItem(item_id, as_messages(data[prompt_field]), responses))
        for ann in task.get("annotations", []):
            if ann.get("was_cancelled"):
                continue
            choice = _ls_choice(ann.get("result", []))
            if choice is None:
                raise InvalidInput(f"{where}: annotation {ann.get('id')} has no choice", line=key)
            who = ann.get("completed_by")
            if isinstance(who, Mapping):  # some exports expand the user
                who = who.get("email") or who.get("id")
            annotator = None if who is None else str(who)
            comparisons.append(Comparison(item_id, "a", "b", choice, annotator))
    return items, comparisons
