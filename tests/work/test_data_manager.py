"""The data manager's table (``labelwell.work.data_manager``): keyset pages that
list every item once in any sort, filters on every column, full-text search
kept in step with the items, and who may see it."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from labelwell.errors import Forbidden, InvalidInput, NotFound
from labelwell.formats.registry import ImportRow
from labelwell.store.tables import Item
from labelwell.work import data_manager as dm
from labelwell.work import items, labels, queue
from labelwell.work.data_manager import COLUMNS, Filter, TableQuery
from labelwell.work.data_manager import query as dm_query
from world import build_world

TEXTS = [
    "the cat sat on the mat",
    "a dog barked at the moon",
    "고양이가 매트 위에 앉았다",
    "catalogue of moons and dogs",
    "nothing to see here",
]


def _labelled(db):
    """Five items, overlap 2, two annotators: items 0-1 agree, 2 splits (review),
    3-4 unlabelled; predictions on 0 (0.9) and 1 (0.55); item 4 gold-free."""
    world = build_world(db, n_annotators=2, texts=TEXTS, overlap=2)
    answers = {0: "positive", 1: "negative", 2: "neutral", 3: "positive"}
    for i, actor in enumerate(world.annotators):
        for _ in range(3):
            with db.session() as s:
                task = queue.next_task(s, actor, world.project_id)
                assert task is not None
                label = (
                    "negative"
                    if (i == 1 and task.data["text"] == TEXTS[2])
                    else answers[TEXTS.index(task.data["text"])]
                )
                queue.submit(
                    s, actor, task.assignment_id, {"sentiment": label}, time_spent_ms=1000 * (i + 1)
                )
    ids = _ids(db, world)
    with db.session() as s:
        labels.add_predictions(
            s,
            world.manager,
            world.project_id,
            [
                {
                    "item_id": ids[TEXTS[0]],
                    "model_name": "m1",
                    "result": {"sentiment": "positive"},
                    "score": 0.9,
                },
                {
                    "item_id": ids[TEXTS[1]],
                    "model_name": "m1",
                    "result": {"sentiment": "negative"},
                    "score": 0.55,
                },
            ],
        )
    # what the API does before every read of the table (the writes only marked the items)
    dm_query.derive_labels(db, world.project_id)
    return world, ids


def _ids(db, world):
    with db.read_session() as s:
        return {i.data["text"]: i.id for i in items.list_items(s, world.manager, world.project_id)}


def _walk(db, world, query, limit=2):
    seen, cursor = [], None
    while True:
        with db.read_session() as s:
            table = dm.page(s, world.manager, world.project_id, query, cursor=cursor, limit=limit)
        seen += table.rows
        cursor = table.next_cursor
        if cursor is None:
            return seen


def _value(row, column):
    return {
        "id": row.id,
        "status": row.status,
        "annotations": row.annotations,
        "agreement": row.agreement,
        "consensus": row.consensus,
        "gold": row.gold,
        "model": row.predictions[-1][0] if row.predictions else None,
        "score": max((s for _, s in row.predictions if s is not None), default=None),
        "uncertainty": None if not row.predictions else 1 - max(s for _, s in row.predictions),
        "review_state": row.review_state,
        "last_annotator": row.last_annotator,
        "time_spent": row.time_spent_ms,
        "created": row.created_at,
    }[column]


@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_pages_through_every_item_once_in_order(db, descending):
    world, ids = _labelled(db)
    for key, column in COLUMNS.items():
        if not column.sortable:
            continue
        rows = _walk(db, world, TableQuery(sort=key, descending=descending))
        assert sorted(r.id for r in rows) == sorted(ids.values()), key
        values = [_value(r, key) for r in rows]
        low = {float: -1e300, int: -1e300, str: ""}
        keys = [(v if v is not None else None) for v in values]
        present = [v for v in keys if v is not None]
        if key in ("uncertainty",):
            present = [round(v, 9) for v in present]
        assert present == sorted(present, reverse=descending), (key, values)
        # empty values sort as the lowest: first ascending, last descending
        empties = [i for i, v in enumerate(keys) if v is None]
        if empties and key != "review_state":
            want = (
                list(range(len(empties)))
                if not descending
                else list(range(len(keys) - len(empties), len(keys)))
            )
            assert empties == want, (key, values)
        del low


def test_rows_show_labels_agreement_consensus_predictions(db):
    world, ids = _labelled(db)
    with db.read_session() as s:
        rows = {r.id: r for r in dm.page(s, world.manager, world.project_id, TableQuery()).rows}
    agreed, split, fresh = rows[ids[TEXTS[0]]], rows[ids[TEXTS[2]]], rows[ids[TEXTS[4]]]
    assert agreed.annotations == 2 and agreed.agreement == 1.0
    assert agreed.consensus == "sentiment: positive"
    assert agreed.predictions == [("m1", 0.9)]
    assert agreed.time_spent_ms == 3000 and agreed.last_annotator == "ann1@example.org"
    assert split.agreement == 0.5 and split.consensus is None
    assert split.review_state == "escalated"
    assert fresh.annotations == 0 and fresh.agreement is None and fresh.predictions == []
    assert fresh.preview == TEXTS[4]


def test_filters_combine_on_every_column(db):
    world, ids = _labelled(db)

    def found(*filters, search=""):
        with db.read_session() as s:
            q = TableQuery(filters=tuple(Filter(*f) for f in filters), search=search)
            rows = dm.page(s, world.manager, world.project_id, q, limit=100).rows
            assert dm.count(s, world.manager, world.project_id, q) == len(rows)
        return {next(t for t, i in ids.items() if i == r.id) for r in rows}

    assert found(("status", "eq", "done")) == set(TEXTS[:3])
    assert found(("annotations", "lt", 1)) == set(TEXTS[3:])
    assert found(("agreement", "ge", 1)) == {TEXTS[0], TEXTS[1]}
    assert found(("agreement", "empty")) == set(TEXTS[3:])
    assert found(("consensus", "contains", "negat")) == {TEXTS[1]}
    assert found(("model", "eq", "m1"), ("score", "lt", 0.6)) == {TEXTS[1]}
    assert found(("uncertainty", "gt", 0.4)) == {TEXTS[1]}
    assert found(("review_state", "eq", "escalated")) == {TEXTS[2]}
    assert found(("review_state", "eq", "none"), ("status", "ne", "done")) == set(TEXTS[3:])
    assert found(("last_annotator", "eq", "ann1@example.org")) == set(TEXTS[:3])
    assert found(("time_spent", "gt", 2500)) == set(TEXTS[:3])
    assert found(("gold", "eq", "false")) == set(TEXTS)
    assert found(("created", "gt", "2000-01-01")) == set(TEXTS)
    assert found(("id", "eq", ids[TEXTS[4]])) == {TEXTS[4]}
    # full-text: every word, each as a prefix; Korean words as written
    assert found(search="cat") == {TEXTS[0], TEXTS[3]}
    assert found(search="moon dog") == {TEXTS[1], TEXTS[3]}
    assert found(search="고양이가") == {TEXTS[2]}
    assert found(("data", "matches", "dogs"), ("status", "eq", "done")) == set()
    # FTS syntax is not interpreted: quotes and operators are no words, NOT and OR are words
    assert found(search='"*) - ( ^') == set(TEXTS)
    assert found(search="cat OR dog") == set()
    assert found(search="NOT dog") == set()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"filters": [{"column": "nope", "op": "eq", "value": 1}]}, "filters[0].column"),
        ({"filters": [{"column": "status", "op": "lt", "value": "a"}]}, "filters[0].op"),
        ({"filters": [{"column": "status", "op": "eq", "value": "gone"}]}, "filters[0].value"),
        ({"filters": [{"column": "score", "op": "gt", "value": "high"}]}, "filters[0].value"),
        (
            {"filters": [{"column": "created", "op": "gt", "value": "yesterday"}]},
            "filters[0].value",
        ),
        ({"sort": "data"}, "sort"),
    ],
)
def test_bad_queries_name_the_field(query, field):
    with pytest.raises(InvalidInput) as exc:
        TableQuery.of(query)
    assert exc.value.field == field


def test_a_cursor_from_elsewhere_is_refused(db):
    world = build_world(db, n_items=3)
    with db.read_session() as s, pytest.raises(InvalidInput) as exc:
        dm.page(s, world.manager, world.project_id, TableQuery(), cursor="bm9wZQ")
    assert exc.value.field == "cursor"


def test_full_text_follows_inserts_updates_and_deletes(db):
    world = build_world(db, texts=["alpha beta", "gamma"])
    ids = _ids(db, world)

    def search(words):
        with db.read_session() as s:
            q = TableQuery(search=words)
            return {r.id for r in dm.page(s, world.manager, world.project_id, q).rows}

    with db.session() as s:
        items.import_rows(
            s,
            world.manager,
            world.project_id,
            [ImportRow(line=1, data={"text": "delta beta", "meta": {"k": "epsilon"}})],
        )
    with db.session() as s:
        s.execute(update(Item).where(Item.id == ids["gamma"]).values(data={"text": "zeta"}))
        s.execute(delete(Item).where(Item.id == ids["alpha beta"]))
    assert len(search("beta")) == 1 and search("epsilon") == search("delta")
    assert search("gamma") == set() and search("zeta") == {ids["gamma"]}
    assert search("text") == set()  # keys are not indexed


def test_only_managers_see_the_table(db):
    world = build_world(db, n_items=2)
    with db.read_session() as s:
        for actor in (world.reviewer, world.annotators[0]):
            with pytest.raises(Forbidden):
                dm.page(s, actor, world.project_id, TableQuery())
        with pytest.raises(NotFound):
            dm.page(s, world.outsider, world.project_id, TableQuery())
        assert len(dm.page(s, world.admin, world.project_id, TableQuery()).rows) == 2


def test_items_of_an_import_being_written_stay_out(db):
    from labelwell.store.tables import Import

    world = build_world(db, n_items=2)
    with db.session() as s:
        writing = Import(
            project_id=world.project_id, filename="big.jsonl", format="jsonl", state="writing"
        )
        s.add(writing)
        s.flush()
        s.add(
            Item(
                project_id=world.project_id,
                data={"text": "not yet"},
                import_id=writing.id,
                status="staged",
            )
        )
    with db.read_session() as s:
        rows = dm.page(s, world.manager, world.project_id, TableQuery(), limit=10).rows
        assert [r.preview for r in rows] == ["text number 0", "text number 1"]
        assert dm.count(s, world.manager, world.project_id, TableQuery(search="yet")) == 0


@pytest.mark.parametrize("descending", [False, True])
def test_a_search_pages_alike_read_in_the_sort_order_or_found_by_its_index(
    db, monkeypatch, descending
):
    """On PostgreSQL a search's page is first looked for among the first rows
    of the sort, checked one by one, then by the full-text index: both give the
    same pages, in every sort."""
    world, _ = _labelled(db)
    for key, column in COLUMNS.items():
        if not column.sortable:
            continue
        query = TableQuery(sort=key, descending=descending, search="the")
        checked = _walk(db, world, query, limit=1)
        monkeypatch.setattr(dm_query, "SEARCH_WINDOW", 0)
        indexed = _walk(db, world, query, limit=1)
        monkeypatch.undo()
        assert [r.id for r in checked] == [r.id for r in indexed], key
        assert len(checked) == 2, key  # the cat ..., a dog ... the moon
