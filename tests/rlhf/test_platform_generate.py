"""Generation into a comparison project against a real chat-completions server,
and the leaderboard of the project's own judgments."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from labelwell.errors import InvalidInput
from labelwell.rlhf.bradley_terry import BradleyTerry
from labelwell.rlhf.generate import GeneratedResponse, OpenAIChatGenerator, Sampling
from labelwell.rlhf.records import PromptItem, as_messages
from labelwell.server import create_app
from labelwell.store.tables import Item
from labelwell.work import projects, queue
from labelwell.work import rlhf as service
from rlhf.test_generate import FakeServer
from world import build_world

PROMPTS_ONTOLOGY = {
    "name": "prompts",
    "controls": [{"name": "keep", "type": "choice", "source": "prompt", "options": ["yes", "no"]}],
}
PAIRWISE = {"name": "duel", "controls": [{"name": "pref", "type": "pairwise"}]}
RANKING = {"name": "rank", "controls": [{"name": "rank", "type": "ranking"}]}


@pytest.fixture
def world(db):
    w = build_world(db, n_items=0, n_annotators=2, ontology=PROMPTS_ONTOLOGY)
    with db.session() as s:
        prompts = [
            PromptItem(f"p{i}", as_messages(f"prompt {i}"), [], {"topic": "t"}) for i in range(4)
        ]
        service.import_prompts(s, w.manager, w.project_id, prompts)
        for name, onto in (("duel", PAIRWISE), ("rank", RANKING)):
            p = projects.create_project(s, w.manager, name, onto, overlap=2, gold_ratio=0.0)
            for a in w.annotators:
                projects.set_member(s, w.manager, p.id, a.id, "annotator")
            setattr(w, name, p.id)
    return w


def generate(db, world, target, server, models, n=2):
    with db.session() as s:
        plan = service.plan_generation(s, world.manager, world.project_id, target, n_responses=n)
    samplings = [Sampling(temperature=0.5 + i, top_p=0.9, model=m) for i, m in enumerate(models)]
    gen = OpenAIChatGenerator(server.url, models[0], n_responses=n, samplings=samplings)
    responses = gen.generate(plan.requests)
    with db.session() as s:
        record = service.store_comparisons(s, world.manager, plan, responses, seed=1)
    return plan, record


def items_of(db, world, project_id):
    from labelwell.work.items import list_items

    with db.session() as s:
        return [(i.external_id, i.data) for i in list_items(s, world.manager, project_id)]


def test_generation_writes_comparisons_with_provenance_and_resumes(db, world):
    with FakeServer() as server:
        plan, record = generate(db, world, world.duel, server, ["big", "small"])
        assert (len(plan.prompts), plan.n_done, record.n_items) == (4, 0, 4)
        assert len(server.calls) == 8
        with db.session() as s:
            again = service.plan_generation(s, world.manager, world.project_id, world.duel)
        assert (again.prompts, again.n_done) == ([], 4)
    stored = items_of(db, world, world.duel)
    assert [e for e, _ in stored] == ["p0", "p1", "p2", "p3"]
    firsts = set()
    for external_id, data in stored:
        assert data["prompt"] == f"prompt {external_id[1:]}" and data["tags"] == {"topic": "t"}
        assert data["prompt_id"] == external_id
        by_id = {r["id"]: r for r in data["responses"]}
        assert set(by_id) == {"r1", "r2"}
        assert "model" not in by_id["r1"]  # blind: the workspace shows no model names
        assert by_id["r1"]["provenance"]["model"] == "big"
        assert by_id["r2"]["provenance"]["model"] == "small"
        prov = by_id["r2"]["provenance"]
        assert (prov["temperature"], prov["top_p"], prov["sample"]) == (1.5, 0.9, 1)
        assert prov["base_url"] == server.url and prov["finish_reason"] == "stop"
        assert by_id["r1"]["text"].startswith(f"big|t=0.5|p=0.9|{data['prompt'][::-1]}")
        firsts.add(data["responses"][0]["id"])
    assert firsts == {"r1", "r2"}  # the order shown to annotators is shuffled


def test_ranking_project_takes_three_responses(db, world):
    with FakeServer() as server:
        _, record = generate(db, world, world.rank, server, ["a", "b", "c"], n=3)
    assert record.n_items == 4
    assert all(len(d["responses"]) == 3 for _, d in items_of(db, world, world.rank))


def test_pairwise_project_with_three_responses_gets_one_item_per_pair(db, world):
    with FakeServer() as server:
        plan, record = generate(db, world, world.duel, server, ["a", "b", "c"], n=3)
        assert plan.split_pairs and record.n_items == 12
        with db.session() as s:
            again = service.plan_generation(
                s, world.manager, world.project_id, world.duel, n_responses=3
            )
        assert (again.prompts, again.n_done) == ([], 4)
    stored = items_of(db, world, world.duel)
    assert [e for e, _ in stored[:3]] == ["p0/r1-r2", "p0/r1-r3", "p0/r2-r3"]
    for external_id, data in stored:
        ids = sorted(r["id"] for r in data["responses"])
        assert external_id == f"{data['prompt_id']}/{ids[0]}-{ids[1]}"


def test_model_names_are_shown_only_on_request(db, world):
    with db.session() as s:
        plan = service.plan_generation(s, world.manager, world.project_id, world.duel)
    responses = [
        GeneratedResponse(p.id, k, f"{p.id} {k}", {"model": f"m{k}", "temperature": 1.0})
        for p in plan.prompts
        for k in range(2)
    ]
    shown = service.comparison_rows(plan.prompts, responses, show_models=True, shuffle=False)
    assert [r["model"] for r in shown[0].data["responses"]] == ["m0", "m1"]
    blind = service.comparison_rows(plan.prompts, responses, shuffle=False)
    assert all("model" not in r for row in blind for r in row.data["responses"])
    assert service.response_model(blind[0].data["responses"][1]) == "m1"
    assert service.response_model(shown[0].data["responses"][1]) == "m1"
    with pytest.raises(InvalidInput, match="has 1 responses"):
        service.comparison_rows(plan.prompts, responses[1:])


def test_targets_are_checked(db, world):
    with db.session() as s:
        args = (s, world.manager, world.project_id)
        with pytest.raises(InvalidInput, match="at least 2 responses"):
            service.plan_generation(*args, world.rank, n_responses=1)
        with pytest.raises(InvalidInput, match="pairwise or ranking"):
            service.plan_generation(s, world.manager, world.duel, world.project_id)
        with pytest.raises(InvalidInput, match="two different projects"):
            service.plan_generation(*args, world.project_id)
        with pytest.raises(Exception, match="does not allow manage"):
            service.plan_generation(s, world.annotators[0], world.project_id, world.duel)


def judge(db, world, project_id, decide):
    for actor in world.annotators:
        while True:
            with db.session() as s:
                task = queue.next_task(s, actor, project_id)
                if task is None:
                    break
                # annotators judge blind; the oracle reads the stored provenance
                assert all("provenance" not in r for r in task.data["responses"])
                stored = s.get(Item, task.item_id).data
                queue.submit(s, actor, task.assignment_id, decide(actor, stored))


def test_leaderboard_counts_every_judgment_as_a_battle(db, world, settings):
    with FakeServer() as server:
        generate(db, world, world.duel, server, ["big", "small"])

    def prefer(actor, data):
        first = data["responses"][0]["provenance"]["model"]
        if data["prompt_id"] == "p3" and actor.email.startswith("ann1"):
            return {"pref": {"choice": "tie"}}
        return {"pref": {"choice": "a" if first == "big" else "b"}}

    judge(db, world, world.duel, prefer)
    with db.session() as s:
        battles = service.project_battles(s, world.manager, world.duel)
        board = service.project_leaderboard(s, world.manager, world.duel, bootstrap=30, l2=0.5)
    assert len(battles) == 8
    wins = battles.apply(
        lambda b: {"a": b.model_a, "b": b.model_b}.get(b.winner, "tie"), axis=1
    ).value_counts()
    assert wins.to_dict() == {"big": 7, "tie": 1}
    reference = BradleyTerry(n_bootstrap=30, random_state=0, l2=0.5).fit(battles)
    assert [r.model for r in board.rows] == ["big", "small"]
    assert board.n_battles == 8
    assert board.rows[0].rating == pytest.approx(reference.ratings_["big"])
    assert board.rows[0].ci_low == pytest.approx(reference.ci_low_["big"])

    with TestClient(create_app(settings, database=db, migrate=False)) as api:
        url = f"/api/v1/projects/{world.duel}/leaderboard"

        def get(actor, **params):
            return api.get(
                url, params=params, headers={"Authorization": f"Bearer {world.token(actor)}"}
            )

        r = get(world.manager, bootstrap=0, l2=0.5)
        assert r.status_code == 200
        body = r.json()
        assert body["count"] == 2 and body["n_battles"] == 8
        assert body["data"][0]["model"] == "big" and body["data"][0]["ci_low"] is None
        assert get(world.annotators[0]).status_code == 403
        assert get(world.outsider).status_code == 404
        empty = api.get(
            f"/api/v1/projects/{world.rank}/leaderboard",
            headers={"Authorization": f"Bearer {world.token(world.manager)}"},
        )
        assert empty.status_code == 422 and "no judgments" in empty.text


def test_leaderboard_from_rankings(db, world):
    with FakeServer() as server:
        generate(db, world, world.rank, server, ["a", "b", "c"], n=3)

    def rank(actor, data):
        order = {"a": 0, "b": 1, "c": 2}
        ids = sorted(data["responses"], key=lambda r: order[r["provenance"]["model"]])
        return {"rank": [[r["id"]] for r in ids]}

    judge(db, world, world.rank, rank)
    with db.session() as s:
        battles = service.project_battles(s, world.manager, world.rank)
        board = service.project_leaderboard(s, world.manager, world.rank, bootstrap=0, l2=1.0)
    assert len(battles) == 4 * 2 * 3  # items x annotators x pairs of a ranking of three
    assert isinstance(battles, pd.DataFrame)
    assert [r.model for r in board.rows] == ["a", "b", "c"]
