from __future__ import annotations

import json

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from labelwell.cli import app
from labelwell.rlhf.bradley_terry import BradleyTerry

runner = CliRunner()


def write_battles(path, n=400, seed=0):
    rng = np.random.default_rng(seed)
    models = np.array(["alpha", "beta", "gamma"])
    a = rng.integers(0, 3, n)
    b = (a + rng.integers(1, 3, n)) % 3
    winner = rng.choice(["model_a", "model_b", "tie", "tie (bothbad)"], n, p=[0.5, 0.3, 0.1, 0.1])
    df = pd.DataFrame({"model_a": models[a], "model_b": models[b], "winner": winner})
    path.write_text("".join(json.dumps(r) + "\n" for r in df.to_dict("records")))
    return df


def test_leaderboard_json_matches_library(tmp_path):
    df = write_battles(tmp_path / "b.jsonl")
    res = runner.invoke(
        app, ["rlhf", "leaderboard", str(tmp_path / "b.jsonl"), "--bootstrap", "10", "--json"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [set(r) for r in rows] == [
        {"model", "rating", "ci_low", "ci_high", "n_battles", "unstable", "warnings"}
    ] * 3
    ref = BradleyTerry(n_bootstrap=10, random_state=0).fit(df)
    for r in rows:
        assert r["rating"] == round(float(ref.ratings_[r["model"]]), 4)
        assert r["ci_low"] == round(float(ref.ci_low_[r["model"]]), 4)
    assert [r["rating"] for r in rows] == sorted((r["rating"] for r in rows), reverse=True)


def test_leaderboard_table_and_l2(tmp_path):
    write_battles(tmp_path / "b.jsonl")
    res = runner.invoke(
        app, ["rlhf", "leaderboard", str(tmp_path / "b.jsonl"), "--bootstrap", "0", "--l2", "1"]
    )
    assert res.exit_code == 0, res.output
    assert "400 battles, 3 models" in res.stdout


def test_leaderboard_bad_row_names_line_and_exits_2(tmp_path):
    p = tmp_path / "b.jsonl"
    p.write_text('{"model_a": "x", "model_b": "y", "winner": "model_a"}\n[1, 2]\n')
    res = runner.invoke(app, ["rlhf", "leaderboard", str(p)])
    assert res.exit_code == 2
    assert "line 2" in res.stderr


def test_convert_sharegpt_to_kto(tmp_path, rlhf_data):
    out = tmp_path / "kto.jsonl"
    res = runner.invoke(
        app,
        ["rlhf", "convert", str(rlhf_data / "dpo_en_demo.json"), str(out), "--layout", "kto"],
    )
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 600 and sum(r["label"] for r in rows) == 300


def test_leaderboard_from_three_battles_warns(tmp_path):
    path = tmp_path / "three.jsonl"
    rows = [("x", "y", "model_a"), ("x", "z", "model_a"), ("y", "z", "model_b")]
    path.write_text(
        "".join(json.dumps({"model_a": a, "model_b": b, "winner": w}) + "\n" for a, b, w in rows)
    )
    res = runner.invoke(app, ["rlhf", "leaderboard", str(path)])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].split()[-1] == "n" and all(line.endswith("2  unstable") for line in lines[1:4])
    assert (
        "warning: x: leaderboard rating from 2 battles of the model (fewer than 20)" in res.stderr
    )
    assert "the leaderboard rating interval is unstable" in res.stderr
    res = runner.invoke(app, ["rlhf", "leaderboard", str(path), "--json"])
    out = json.loads(res.stdout)
    assert all(r["unstable"] and r["n_battles"] == 2 and len(r["warnings"]) == 2 for r in out)
