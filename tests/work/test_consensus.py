"""Consensus decided inside submit: accept / review / escalate, gold correctness,
non-categorical controls, adjudication, and migration 0002 on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from labelwell.errors import Conflict, Forbidden, InvalidInput
from labelwell.store.db import Database
from labelwell.store.migrate import alembic_config, current_revision, upgrade
from labelwell.store.tables import Annotation, AuditEntry, Item
from labelwell.work import consensus, queue
from labelwell.work.review_queue import review_queue
from world import NER, build_world

TEXTS = ["all agree", "two agree", "all differ"]
VOTES = {  # per item text, the answer of annotator 0, 1, 2
    "all agree": ["positive", "positive", "positive"],
    "two agree": ["positive", "negative", "positive"],
    "all differ": ["positive", "negative", "neutral"],
}


def label_everything(db, world, answer_of):
    """Each annotator takes tasks until none is left and answers ``answer_of(i, data)``."""
    for i, actor in enumerate(world.annotators):
        while True:
            with db.session() as s:
                task = queue.next_task(s, actor, world.project_id)
                if task is None:
                    break
                queue.submit(s, actor, task.assignment_id, answer_of(i, task.data))


def by_text(db, project_id):
    with db.session() as s:
        items = {
            i.data["text"]: i for i in s.scalars(select(Item).where(Item.project_id == project_id))
        }
        anns = list(s.scalars(select(Annotation).order_by(Annotation.id)))
    return items, anns


@pytest.fixture
def three_way(db):
    world = build_world(db, n_annotators=3, texts=TEXTS, overlap=3)
    label_everything(db, world, lambda i, data: {"sentiment": VOTES[data["text"]][i]})
    return world


def test_overlap_three_accept_review_escalate(db, three_way):
    items, anns = by_text(db, three_way.project_id)
    assert {t: items[t].review_state for t in TEXTS} == {
        "all agree": None,
        "two agree": "review",
        "all differ": "escalated",
    }
    consensus_of = {a.item_id: a for a in anns if a.source == "consensus"}
    assert set(consensus_of) == {items["all agree"].id, items["two agree"].id}

    agreed = consensus_of[items["all agree"].id]
    assert agreed.agent == "consensus:majority" and agreed.status == "accepted"
    assert agreed.result == {"sentiment": "positive"} and agreed.user_id is None
    assert agreed.details["method"] == "majority"
    assert agreed.details["parameters"]["overlap"] == 3
    assert agreed.details["outcome"] == "accept"
    assert agreed.details["controls"]["sentiment"]["votes"] == {"positive": 3}

    majority = consensus_of[items["two agree"].id]
    assert majority.result == {"sentiment": "positive"}
    assert majority.details["outcome"] == "review"
    assert majority.details["controls"]["sentiment"]["votes"] == {"positive": 2, "negative": 1}
    assert majority.details["dissenters"] == ["ann1@example.org"]

    status = {(a.item_id, a.agent): a.status for a in anns if a.source == "human"}
    for who in range(3):
        email = f"ann{who}@example.org"
        assert status[(items["all agree"].id, email)] == "accepted"
        assert status[(items["two agree"].id, email)] == ("submitted" if who == 1 else "accepted")
        assert status[(items["all differ"].id, email)] == "submitted"

    with db.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions.count("consensus.review") == 1 and actions.count("consensus.escalate") == 1


def test_decision_waits_for_the_overlap(db):
    world = build_world(db, n_annotators=2, texts=["one"], overlap=3)
    label_everything(db, world, lambda i, data: {"sentiment": "positive"})
    items, anns = by_text(db, world.project_id)
    assert items["one"].review_state is None and items["one"].status != "done"
    assert [a.source for a in anns] == ["human", "human"]
    assert {a.status for a in anns} == {"submitted"}


def test_overlap_one_has_no_consensus(db):
    world = build_world(db, n_annotators=1, texts=["a", "b"], overlap=1)
    label_everything(db, world, lambda i, data: {"sentiment": "neutral"})
    _, anns = by_text(db, world.project_id)
    assert [a.source for a in anns] == ["human", "human"]


def test_gold_checks_record_whether_they_matched(db):
    world = build_world(
        db,
        n_annotators=2,
        texts=["gold one", "plain"],
        overlap=2,
        gold={0: {"sentiment": "negative"}},
        gold_ratio=1.0,
    )
    label_everything(db, world, lambda i, data: {"sentiment": ["negative", "positive"][i]})
    _, anns = by_text(db, world.project_id)
    checks = {a.agent: a for a in anns if a.is_gold_check}
    assert set(checks) == {"ann0@example.org", "ann1@example.org"}
    assert checks["ann0@example.org"].details == {
        "gold_correct": True,
        "gold_controls": {"sentiment": True},
    }
    assert checks["ann1@example.org"].details["gold_correct"] is False
    # The gold item never gets a consensus; the plain item (1 vs 1) is escalated.
    assert [a.item_id for a in anns if a.source == "consensus"] == []


def span(label, start, end):
    return {"entities": [{"id": "s1", "label": label, "start": start, "end": end}]}


def test_non_categorical_controls_compare_for_equality(db):
    world = build_world(
        db, n_annotators=2, texts=["Ada Lovelace", "Alan Turing"], ontology=NER, overlap=2
    )
    answers = {
        "Ada Lovelace": [span("PER", 0, 12), span("PER", 0, 12)],
        "Alan Turing": [span("PER", 0, 11), span("ORG", 0, 11)],
    }
    label_everything(db, world, lambda i, data: answers[data["text"]][i])
    items, anns = by_text(db, world.project_id)
    assert items["Ada Lovelace"].review_state is None
    assert items["Alan Turing"].review_state == "review"
    (agreed,) = [a for a in anns if a.source == "consensus"]
    assert agreed.item_id == items["Ada Lovelace"].id
    assert agreed.result == span("PER", 0, 12)
    assert agreed.details["controls"]["entities"] == {
        "type": "spans",
        "outcome": "accept",
        "distinct_answers": 1,
    }
    disputed = [a for a in anns if a.item_id == items["Alan Turing"].id]
    assert {a.status for a in disputed} == {"submitted"}


def test_decide_item_takes_the_most_severe_control():
    onto_dict = {
        "name": "two",
        "controls": [
            {
                "name": "sentiment",
                "type": "choice",
                "source": "text",
                "options": ["positive", "negative", "neutral"],
            },
            {"name": "note", "type": "text", "source": "text"},
        ],
    }
    from labelwell.schema.ontology import Ontology

    onto = Ontology.from_dict(onto_dict)
    rows = [
        Annotation(id=i, agent=f"a{i}", result=r)
        for i, r in enumerate(
            [
                {"sentiment": "positive", "note": "x"},
                {"sentiment": "positive", "note": "x"},
                {"sentiment": "negative", "note": "y"},
            ]
        )
    ]
    decision = consensus.decide_item(onto, rows, 3)
    assert decision.outcome == "review"
    assert decision.result == {"sentiment": "positive"}
    assert decision.accepted_ids == () and decision.dissenters == ("a0", "a1", "a2")
    rows[2].result = {"sentiment": "positive", "note": "x"}
    decision = consensus.decide_item(onto, rows, 3)
    assert decision.outcome == "accept" and decision.accepted_ids == (0, 1, 2)
    assert decision.result == {"sentiment": "positive", "note": "x"}


def test_adjudication_by_role_and_state(db, three_way):
    items, _ = by_text(db, three_way.project_id)
    review_id, escalated_id = items["two agree"].id, items["all differ"].id
    with db.session() as s:
        queue_ = review_queue(s, three_way.reviewer, three_way.project_id, "escalated").entries
        assert [e.item.id for e in queue_] == [escalated_id]
        assert [a.result["sentiment"] for a in queue_[0].annotations] == [
            "positive",
            "negative",
            "neutral",
        ]
    with db.session() as s, pytest.raises(Forbidden):
        consensus.adjudicate(s, three_way.reviewer, escalated_id, {"sentiment": "neutral"})
    with db.session() as s, pytest.raises(InvalidInput):
        consensus.adjudicate(s, three_way.reviewer, review_id, {"sentiment": "maybe"})
    with db.session() as s:
        made = consensus.adjudicate(
            s, three_way.reviewer, review_id, {"sentiment": "negative"}, note="sarcasm"
        )
        assert made.agent == "adjudicated:reviewer@example.org"
        assert made.details["note"] == "sarcasm" and made.revision == 2
    with db.session() as s:
        consensus.adjudicate(s, three_way.manager, escalated_id, {"sentiment": "neutral"})
    with db.session() as s, pytest.raises(Conflict):
        consensus.adjudicate(s, three_way.manager, escalated_id, {"sentiment": "neutral"})
    items, anns = by_text(db, three_way.project_id)
    assert items["two agree"].review_state == items["all differ"].review_state == "resolved"
    current = {a.item_id: a for a in anns if a.source == "consensus" and a.is_current}
    assert current[review_id].result == {"sentiment": "negative"}
    assert current[escalated_id].result == {"sentiment": "neutral"}
    statuses = {(a.item_id, a.agent): a.status for a in anns if a.source == "human"}
    assert statuses[(review_id, "ann1@example.org")] == "accepted"  # the dissenter was right
    assert statuses[(escalated_id, "ann2@example.org")] == "accepted"
    assert statuses[(escalated_id, "ann0@example.org")] == "submitted"


def test_migration_0002_upgrades_from_0001_and_back(backend, tmp_path):
    from alembic import command

    from conftest import POSTGRES_URL, PgSchema

    pg = None
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    else:
        import uuid

        pg = PgSchema(POSTGRES_URL, f"m_{uuid.uuid4().hex[:12]}")
        pg.create()
        db = Database(pg.scoped_url)
    try:
        upgrade(db, "0001")
        assert current_revision(db) == "0001"
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO projects (id, name, description, ontology, overlap, gold_ratio, "
                    "lease_seconds, blind, ordering, required_skills, show_predictions, settings, "
                    "created_at) VALUES (1, 'p', '', '{}', 3, 0, 60, true, 'fifo', '[]', true, "
                    "'{}', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO items (id, project_id, data, media, status, priority, is_gold, "
                    "n_active, n_done, created_at) VALUES (7, 1, '{\"text\": \"kept\"}', '[]', "
                    "'done', 0, false, 3, 3, CURRENT_TIMESTAMP)"
                )
            )
        assert "review_state" not in {c["name"] for c in inspect(db.engine).get_columns("items")}
        upgrade(db, "0002")
        assert current_revision(db) == "0002"
        columns = {c["name"] for c in inspect(db.engine).get_columns("items")}
        assert "review_state" in columns
        assert "ix_items_review" in {i["name"] for i in inspect(db.engine).get_indexes("items")}
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, review_state FROM items")).all() == [(7, None)]
        cfg = alembic_config(db.url)
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
        assert current_revision(db) == "0001"
        assert "review_state" not in {c["name"] for c in inspect(db.engine).get_columns("items")}
    finally:
        db.dispose()
        if pg is not None:
            pg.drop()


def test_the_deciding_submit_reads_its_votes_and_hooks_in_its_own_call(db, monkeypatch):
    """PostgreSQL's submit function returns the votes consensus reads and the
    events the hooks take (migration 0027): they equal what the two reads
    return, and the deciding submit sends neither read. SQLite reads them."""
    from labelwell.work import webhooks

    seen = []
    decide, completed = consensus.on_submitted, webhooks.item_completed

    def spy_decide(raw, project, item_id, n_done, votes=None):
        asked = [[r[0], r[1], r[2], consensus.loads(r[3])] for r in
                 raw.all(consensus._VOTES, (item_id, True, False))]
        seen.append(("votes", votes, asked))
        return decide(raw, project, item_id, n_done, votes)

    def spy_completed(raw, project_id, item_id, wanted=None):
        seen.append(("hooks", wanted, webhooks.subscribed(raw, project_id)))
        return completed(raw, project_id, item_id, wanted)

    monkeypatch.setattr(consensus, "on_submitted", spy_decide)
    monkeypatch.setattr(webhooks, "item_completed", spy_completed)
    world = build_world(db, n_annotators=3, texts=TEXTS, overlap=3)
    label_everything(db, world, lambda i, data: {"sentiment": VOTES[data["text"]][i]})
    assert [kind for kind, _, _ in seen] == ["votes", "hooks"] * 3
    for kind, passed, read in seen:
        if db.dialect == "postgresql":
            assert passed == read, kind
            assert passed is not None
        else:
            assert passed is None
    votes = [read for kind, _, read in seen if kind == "votes"]
    assert all(len(rows) == 3 and [r[1] for r in rows] == ["human"] * 3 for rows in votes)
