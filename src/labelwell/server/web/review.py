"""The reviewer's queue: annotations grouped by item, disagreements first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from labelwell.store.tables import Annotation


@dataclass(slots=True)
class ReviewEntry:
    item_id: int
    annotations: list[dict[str, Any]] = field(default_factory=list)
    disagree: bool = False
    pending: int = 0
    data: dict[str, Any] = field(default_factory=dict)


def _key(result: dict[str, Any]) -> bytes:
    """Result identity ignoring region ids (two annotators never share them)."""

    def strip(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k != "id"}
        if isinstance(v, list):
            return sorted(
                (strip(x) for x in v), key=lambda x: orjson.dumps(x, option=orjson.OPT_SORT_KEYS)
            )
        return v

    return orjson.dumps(strip(result), option=orjson.OPT_SORT_KEYS)


def review_queue(annotations: list[Annotation], *, show_gold: bool) -> list[ReviewEntry]:
    """Items with work awaiting review (status ``submitted``), items whose
    annotators disagree first, then by item id. Without ``show_gold`` (anyone but
    a manager: :class:`labelwell.work.policies.Audience`) gold checks are left out
    and no annotation carries the gold flag."""
    by_item: dict[int, ReviewEntry] = {}
    for a in annotations:
        if a.is_gold_check and not show_gold:
            continue
        entry = by_item.setdefault(a.item_id, ReviewEntry(a.item_id))
        shown = {
            "id": a.id,
            "agent": a.agent,
            "status": a.status,
            "result": a.result,
            "time_spent_ms": a.time_spent_ms,
        }
        if show_gold:
            shown["is_gold_check"] = a.is_gold_check
        entry.annotations.append(shown)
        entry.pending += a.status == "submitted"
    for entry in by_item.values():
        entry.disagree = len({_key(x["result"]) for x in entry.annotations}) > 1
    queue = [e for e in by_item.values() if e.pending]
    queue.sort(key=lambda e: (not e.disagree, e.item_id))
    return queue
