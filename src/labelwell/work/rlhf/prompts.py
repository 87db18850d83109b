"""Prompt items of a preference project: ``{"prompt": str, "messages": [...],
"tags": {...}}`` with the prompt id as external id; ``prompt`` is the flattened
text the web workspace shows, ``messages`` keeps a multi-turn prompt whole."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ImportRow
from labelwell.rlhf.imports import SHAREGPT_ROLES
from labelwell.rlhf.prompts import TAGS, DiversityReport, diversity_report, read_prompts
from labelwell.rlhf.records import PromptItem, as_messages, prompt_text
from labelwell.store.tables import Import, Item
from labelwell.work import items
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize
from labelwell.work.project_settings import settings_of


def _sharegpt_records(path: Path) -> list[Any] | None:
    """The records of a ShareGPT file (``{"conversations": [{"from", "value"}]}``),
    or ``None`` when the file is not ShareGPT."""
    if path.suffix.lower() == ".csv":
        return None
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
        records = data if isinstance(data, list) else [data]
    except json.JSONDecodeError:
        try:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            return None
    first = records[0] if records else None
    return records if isinstance(first, dict) and "conversations" in first else None


def _sharegpt_prompt(i: int, rec: Any) -> PromptItem:
    where = f"record {i}"
    turns = rec.get("conversations") if isinstance(rec, dict) else None
    if not isinstance(turns, list) or not turns:
        raise InvalidInput(f"{where}: 'conversations' must be a non-empty list", line=i + 1)
    messages = []
    for j, t in enumerate(turns):
        role = SHAREGPT_ROLES.get(str(t.get("from"))) if isinstance(t, dict) else None
        if role is None or not isinstance(t.get("value"), str):
            raise InvalidInput(
                f"{where}: turn {j} needs 'from' (human, gpt, system) and a string 'value'",
                line=i + 1,
                field=f"conversations[{j}]",
            )
        messages.append({"role": role, "content": t["value"]})
    while messages and messages[-1]["role"] == "assistant":
        messages.pop()  # the prompt is the conversation up to the last user turn
    if not messages:
        raise InvalidInput(f"{where}: no user turn", line=i + 1)
    tags = dict(rec.get("tags") or {})
    tags.update({t: rec[t] for t in TAGS if rec.get(t) not in (None, "")})
    return PromptItem(str(rec.get("id", i)), as_messages(messages), [], tags)


def read_prompt_file(path: str | Path) -> list[PromptItem]:
    """Prompts from JSONL, JSON, CSV (:func:`labelwell.rlhf.prompts.read_prompts`)
    or ShareGPT conversations (the turns before the last answer are the prompt)."""
    p = Path(path)
    records = _sharegpt_records(p)
    if records is None:
        return read_prompts(p)
    prompts = [_sharegpt_prompt(i, rec) for i, rec in enumerate(records)]
    if len({q.id for q in prompts}) != len(prompts):
        raise InvalidInput(f"{p.name}: prompt ids repeat", field="id")
    return prompts


def prompt_data(prompt: PromptItem) -> dict[str, Any]:
    """The item data of a prompt."""
    tags = {
        k: v if isinstance(v, str | int | float | bool) else str(v) for k, v in prompt.tags.items()
    }
    return {"prompt": prompt_text(prompt.prompt), "messages": prompt.prompt, "tags": tags}


def import_prompts(
    session: Session,
    actor: Actor,
    project_id: int,
    prompts: Sequence[PromptItem],
    *,
    filename: str = "",
) -> Import:
    """Store prompts as items (the prompt id as external id) in one import."""
    rows = [
        ImportRow(line=i + 1, data=prompt_data(p), external_id=p.id) for i, p in enumerate(prompts)
    ]
    return items.import_rows(session, actor, project_id, rows, filename=filename, fmt="prompts")


def project_prompts(session: Session, actor: Actor, project_id: int) -> list[PromptItem]:
    """A project's items as prompts (``messages`` or ``prompt`` of the data), in id order."""
    authorize(session, actor, project_id, Permission.manage)
    rows = session.execute(
        select(Item.id, Item.external_id, Item.data)
        .where(Item.project_id == project_id)
        .order_by(Item.id)
    )
    out = []
    for item_id, external_id, data in rows:
        prompt = data.get("messages") or data.get("prompt")
        if not isinstance(prompt, str | list) or not prompt:
            raise InvalidInput(f"item {item_id} has no 'prompt' or 'messages'", field="prompt")
        tags = data.get("tags") if isinstance(data.get("tags"), dict) else {}
        out.append(PromptItem(external_id or str(item_id), as_messages(prompt), [], dict(tags)))
    return out


def prompts_report(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    targets: Mapping[str, Mapping[str, float]] | None = None,
    embed: Any = None,
    threshold: float = 0.9,
) -> DiversityReport:
    """The diversity report of a project's prompts; ``targets`` default to the
    project's ``prompt_targets`` setting (``{tag: {value: share}}``)."""
    project = authorize(session, actor, project_id, Permission.manage)
    if targets is None:
        targets = settings_of(project).prompt_targets
    prompts = project_prompts(session, actor, project_id)
    return diversity_report(prompts, targets=targets, embed=embed, threshold=threshold)
