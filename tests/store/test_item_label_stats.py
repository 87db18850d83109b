"""The label columns stored on each item (migration 0020; marked stale by
triggers and derived when read since 0023) against
the same values recomputed in Python from the item's annotations and
predictions, after every kind of write: submits through the queue (the Python
path on SQLite, PostgreSQL's functions), a new revision, a requeue, a
consensus answer, deleted answers and predictions."""

from __future__ import annotations

from collections import Counter

import orjson
from sqlalchemy import delete, select, update

from labelwell.store import derived
from labelwell.store.tables import Annotation, Item, Prediction
from labelwell.work import labels, queue
from labelwell.work.data_manager import actions
from labelwell.work.data_manager.query import derive_labels
from world import build_world

NEUTRAL = {"sentiment": "neutral"}


def _expected(s, item_id):
    answers = s.scalars(
        select(Annotation).where(Annotation.item_id == item_id).order_by(Annotation.id)
    ).all()
    human = [a for a in answers if a.source == "human"]
    current = [a for a in human if a.is_current]
    counts = Counter(orjson.dumps(a.result, option=orjson.OPT_SORT_KEYS) for a in current)
    consensus = [a for a in answers if a.source == "consensus" and a.is_current]
    predictions = s.scalars(
        select(Prediction).where(Prediction.item_id == item_id).order_by(Prediction.id)
    ).all()
    scores = [p.score for p in predictions if p.score is not None]
    spent = [a.time_spent_ms for a in human if a.time_spent_ms is not None]
    return {
        "answers": len(current),
        "agreement": max(counts.values()) / len(current) if len(current) >= 2 else None,
        "consensus": consensus[-1].result if consensus else None,
        "last": human[-1].agent if human else None,
        "spent": sum(spent) if spent else None,
        "model": predictions[-1].model_name if predictions else None,
        "score": max(scores) if scores else None,
        "uncertainty": 1 - max(scores) if scores else None,
    }


def _stored(item):
    return {
        "answers": item.label_answers,
        "agreement": item.label_agreement,
        "consensus": None if item.label_consensus is None else orjson.loads(item.label_consensus),
        "last": item.label_last_annotator,
        "spent": item.label_time_spent_ms,
        "model": item.prediction_model,
        "score": item.prediction_score,
        "uncertainty": item.prediction_uncertainty,
    }


def _check(db, project_id):
    derive_labels(db, project_id)
    with db.read_session() as s:
        assert not derived.has_stale(s, project_id)
        found = s.scalars(select(Item).where(Item.project_id == project_id)).all()
        assert found
        for item in found:
            want, got = _expected(s, item.id), _stored(item)
            for key in ("agreement", "score", "uncertainty"):
                if want[key] is not None and got[key] is not None:
                    assert abs(want[key] - got[key]) < 1e-9, (item.id, key, want, got)
                    want[key] = got[key]
            assert got == want, item.id


def test_stored_label_columns_follow_every_write(db):
    world = build_world(db, n_annotators=3, n_items=4, overlap=3)
    for i, actor in enumerate(world.annotators):
        while True:
            with db.session() as s:
                task = queue.next_task(s, actor, world.project_id)
                if task is None:
                    break
                answer = "positive" if i < 2 or task.data["text"].endswith("0") else "negative"
                queue.submit(
                    s, actor, task.assignment_id, {"sentiment": answer}, time_spent_ms=500 * (i + 1)
                )
    _check(db, world.project_id)
    with db.session() as s:
        ids = list(s.scalars(select(Item.id).where(Item.project_id == world.project_id)))
        labels.add_predictions(
            s,
            world.manager,
            world.project_id,
            [
                {"item_id": ids[0], "model_name": "m1", "result": NEUTRAL, "score": 0.4},
                {"item_id": ids[0], "model_name": "m2", "result": NEUTRAL, "score": 0.8},
                {"item_id": ids[1], "model_name": "m1", "result": NEUTRAL, "score": None},
            ],
        )
    _check(db, world.project_id)
    with db.session() as s:
        # a consensus answer, an answer made history, a prediction and an answer deleted
        first = s.scalars(select(Annotation).where(Annotation.item_id == ids[2])).first()
        assert first is not None
        s.add(
            Annotation(
                item_id=ids[2],
                project_id=world.project_id,
                source="consensus",
                agent="consensus",
                result={"sentiment": "positive"},
            )
        )
        s.execute(update(Annotation).where(Annotation.id == first.id).values(is_current=False))
        s.execute(delete(Prediction).where(Prediction.model_name == "m2"))
        s.execute(
            delete(Annotation).where(
                Annotation.item_id == ids[3], Annotation.user_id == world.annotators[0].id
            )
        )
    _check(db, world.project_id)
    with db.session() as s:
        actions.requeue(s, world.manager, world.project_id, actions.Selection(item_ids=(ids[1],)))
    _check(db, world.project_id)
    with db.read_session() as s:
        requeued = s.get(Item, ids[1])
        assert requeued is not None and requeued.label_answers == 0
        assert requeued.label_agreement is None and requeued.label_last_annotator is not None


def test_an_import_derives_its_chunks_values_and_search_finds_them_at_once(db):
    """An import's items are found by search and filters at once: a staged
    import derives each chunk's label columns and search text itself and
    clears the marks its answers left (migrations 0022, 0023)."""
    from labelwell.formats.registry import ImportRow
    from labelwell.work import data_manager as dm
    from labelwell.work import items

    world = build_world(db, n_annotators=1, n_items=1, overlap=2)
    rows = [
        ImportRow(
            line=i + 1,
            data={"text": f"imported walrus number {i}"},
            annotations=[
                {"result": {"sentiment": s}, "annotator": f"v{k}@x.org", "time_spent_ms": 100}
                for k, s in enumerate(["positive", "negative" if i % 2 else "positive"][: i % 3])
            ],
            predictions=[{"model": "m", "result": NEUTRAL, "score": i / 10}] if i % 2 else [],
        )
        for i in range(7)
    ]
    with db.session() as s:
        items.import_rows(s, world.manager, world.project_id, rows, batch_size=3)
    _check(db, world.project_id)
    with db.read_session() as s:
        found = dm.count(s, world.manager, world.project_id, dm.TableQuery(search="walrus"))
        assert found == 7
        scored = dm.count(
            s,
            world.manager,
            world.project_id,
            dm.TableQuery(filters=(dm.Filter("score", "gt", 0.2),)),
        )
        assert scored == 2  # items 3 and 5 (0.3, 0.5); item 1 has 0.1
