"""The review queues (``labelwell.work.review_queue``): the ``submitted`` queue's
order (disagreements first, region ids ignored), who sees what in it, and paging
by position through any number of items."""

from __future__ import annotations

from typing import Any

import pytest

from labelwell.errors import Forbidden, InvalidInput, NotFound
from labelwell.formats.registry import ImportRow
from labelwell.work import items, review_queue
from labelwell.work.review_queue import QueuePosition, answer_key
from world import NER, build_world


def _import(db, world, answers: list[list[dict[str, Any]]], *, name: str = "more.jsonl") -> None:
    """One item per entry of ``answers``, with those results as imported
    (``submitted``) annotations by vendors ``v0``, ``v1``..."""
    rows = [
        ImportRow(
            line=i + 1,
            data={"text": f"imported {i}"},
            annotations=[{"result": r, "annotator": f"v{k}"} for k, r in enumerate(results)],
        )
        for i, results in enumerate(answers)
    ]
    with db.session() as s:
        items.import_rows(s, world.manager, world.project_id, rows, filename=name)


def _walk(db, actor, project_id: int, limit: int) -> list[tuple[int, bool]]:
    """Every entry of the ``submitted`` queue, page by page."""
    seen: list[tuple[int, bool]] = []
    position: QueuePosition | None = QueuePosition()
    while position is not None:
        with db.read_session() as s:
            page = review_queue.review_queue(
                s, actor, project_id, "submitted", position=position, limit=limit
            )
        seen += [(e.item.id, e.disagree) for e in page.entries]
        position = page.next
    return seen


def _ids(db, world) -> dict[str, int]:
    with db.read_session() as s:
        rows = items.list_items(s, world.manager, world.project_id, limit=1000)
        return {i.data["text"]: i.id for i in rows}


def test_disagreements_come_first_and_region_ids_do_not_count(db):
    world = build_world(db, n_items=0, ontology=NER, texts=["unused"])
    span = {"start": 0, "end": 2, "label": "PER"}
    _import(
        db,
        world,
        [
            [{"entities": [{"id": "a", **span}]}, {"entities": [{"id": "b", **span}]}],
            [{"entities": [{"id": "a", **span}]}, {"entities": [{"id": "a", **span, "end": 3}]}],
            [{"entities": []}],
        ],
    )
    ids = _ids(db, world)
    order = _walk(db, world.reviewer, world.project_id, limit=50)
    assert order == [
        (ids["imported 1"], True),
        (ids["imported 0"], False),
        (ids["imported 2"], False),
    ]
    assert answer_key({"e": [{"id": "x", "s": 1}, {"id": "y", "s": 0}]}) == answer_key(
        {"e": [{"s": 0}, {"s": 1, "id": "z"}]}
    )


def test_reviewers_never_get_gold_checks_managers_do(db):
    world = build_world(
        db,
        n_annotators=2,
        n_items=2,
        overlap=2,
        gold_ratio=1.0,
        blind=False,
        gold={0: {"sentiment": "negative"}},
    )
    from labelwell.work import queue

    for actor, value in zip(world.annotators, ("positive", "negative"), strict=True):
        with db.session() as s:
            task = queue.next_task(s, actor, world.project_id)  # the gold item first
            queue.submit(s, actor, task.assignment_id, {"sentiment": value})
    gold_item = _ids(db, world)["text number 0"]
    with db.read_session() as s:
        mine = review_queue.review_queue(s, world.reviewer, world.project_id, "submitted")
        managed = review_queue.review_queue(s, world.manager, world.project_id, "submitted")
    assert gold_item not in {e.item.id for e in mine.entries}
    assert [(e.item.id, e.disagree) for e in managed.entries] == [(gold_item, True)]
    assert all(a.is_gold_check for a in managed.entries[0].annotations)


@pytest.mark.parametrize("scan", [1, 3, 2000])
def test_paging_lists_every_item_once_in_order_whatever_a_request_may_scan(db, monkeypatch, scan):
    """A request looks at ``SCAN_LIMIT`` items at most and may answer a short page;
    walking the pages gives the same queue as one long page."""
    world = build_world(db, n_items=0, texts=["unused"])
    pos, neg = {"sentiment": "positive"}, {"sentiment": "negative"}
    answers = [[pos, neg] if i % 4 == 3 else [pos, pos] if i % 3 else [neg] for i in range(23)]
    _import(db, world, answers)
    ids = _ids(db, world)
    want = [ids[f"imported {i}"] for i in range(23) if i % 4 == 3]
    want += [ids[f"imported {i}"] for i in range(23) if i % 4 != 3]
    with db.read_session() as s:
        whole = review_queue.review_queue(
            s, world.manager, world.project_id, "submitted", limit=500
        )
    assert [e.item.id for e in whole.entries] == want and whole.next is None
    monkeypatch.setattr(review_queue, "SCAN_LIMIT", scan)
    for limit in (1, 2, 5):
        assert [i for i, _ in _walk(db, world.manager, world.project_id, limit)] == want


def test_the_queue_is_for_reviewers_and_managers_and_names_bad_states(db):
    world = build_world(db, n_items=1)
    with db.read_session() as s:
        with pytest.raises(Forbidden):
            review_queue.review_queue(s, world.annotators[0], world.project_id, "submitted")
        with pytest.raises(NotFound):
            review_queue.review_queue(s, world.outsider, world.project_id, "submitted")
        with pytest.raises(InvalidInput) as bad:
            review_queue.review_queue(s, world.reviewer, world.project_id, "pending")
    assert bad.value.field == "state" and "submitted" in bad.value.message
