import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from labelwell.cli import app
from labelwell.quality.registry import AGGREGATORS
from quality.crowd_data import CROWD

runner = CliRunner()

ANSWERS = (
    "task,worker,label\n"
    "t1,w1,a\nt1,w2,a\nt1,w3,b\nt2,w1,b\nt2,w2,b\nt2,w3,b\nt3,w1,a\nt3,w2,b\nt3,w3,a\n"
)


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text(ANSWERS)
    return path


def test_aggregate_writes_labels_and_reports_accuracy(answers: Path, tmp_path: Path):
    truth = tmp_path / "truth.csv"
    truth.write_text("task,label\nt1,a\nt2,b\nt3,b\n")
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app,
        [
            "aggregate",
            str(answers),
            "--method",
            "mv",
            "--truth",
            str(truth),
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["method"] == "mv" and report["tasks"] == 3
    assert report["accuracy"] == pytest.approx(2 / 3)
    assert report["seconds"] >= 0
    written = pd.read_csv(out)
    assert list(written.columns) == ["task", "label", "confidence"]
    assert written.set_index("task")["label"].to_dict() == {"t1": "a", "t2": "b", "t3": "a"}
    assert written.set_index("task").loc["t2", "confidence"] == 1.0


@pytest.mark.parametrize("method", AGGREGATORS.names())
def test_every_registered_method_runs(answers: Path, method: str):
    result = runner.invoke(app, ["aggregate", str(answers), "--method", method])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "task,label,confidence" and len(lines) == 4


def test_gold_is_clamped_and_left_out_of_accuracy(answers: Path, tmp_path: Path):
    gold = tmp_path / "gold.csv"
    gold.write_text("task,label\nt3,b\n")
    truth = tmp_path / "truth.csv"
    truth.write_text("task,label\nt1,a\nt3,b\n")
    result = runner.invoke(
        app,
        [
            "aggregate",
            str(answers),
            "--method",
            "ds",
            "--gold",
            str(gold),
            "--truth",
            str(truth),
            "--json",
        ],
    )
    report = json.loads(result.stdout)
    assert report["evaluated"] == 1 and report["accuracy"] == 1.0


def test_aggregate_on_real_data_matches_library():
    if not (CROWD / "rte").is_dir():
        pytest.skip(f"dataset folder {CROWD / 'rte'} is missing")
    result = runner.invoke(
        app,
        [
            "aggregate",
            str(CROWD / "rte" / "answers.csv"),
            "--method",
            "ds",
            "--truth",
            str(CROWD / "rte" / "truth.csv"),
            "--json",
        ],
    )
    report = json.loads(result.stdout)
    assert report["tasks"] == 800 and report["accuracy"] >= 0.92


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("task,worker,label\nt1,w1,a\nt2,w2\n", "line 3, column 'label': empty value"),
        ("task,worker,label\nt1,w1,a\nt2,w2,b,c\n", "line 3: expected 3 fields, found 4"),
        ("task,annotator,label\nt1,w1,a\n", "line 1: missing column 'worker'"),
        ("", "the file is empty"),
        ("task,worker,label\n", "no rows after the header"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path: Path, content: str, expected: str):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    for command in (["aggregate", str(path)], ["agreement", str(path)]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2
        assert expected in result.stderr
        assert "Traceback" not in result.output


def test_missing_file(tmp_path: Path):
    result = runner.invoke(app, ["aggregate", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_agreement_metrics_match_library(answers: Path):
    from labelwell.quality.agreement import fleiss_kappa, interpret, krippendorff_alpha

    frame = pd.read_csv(answers, dtype=str)
    result = runner.invoke(app, ["agreement", str(answers), "--metric", "fleiss", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["metric"] == "fleiss"
    assert report["value"] == pytest.approx(fleiss_kappa(frame))
    assert report["interpretation"] == interpret(fleiss_kappa(frame))
    result = runner.invoke(app, ["agreement", str(answers), "--json"])
    assert json.loads(result.stdout)["value"] == pytest.approx(krippendorff_alpha(frame))
    result = runner.invoke(app, ["agreement", str(answers), "--metric", "percent"])
    assert result.exit_code == 0 and result.stdout.startswith("percent: ")


def test_agreement_numeric_levels_and_weights(tmp_path: Path):
    path = tmp_path / "ratings.csv"
    path.write_text("task,worker,label\n1,a,1\n1,b,2\n2,a,3\n2,b,3\n3,a,5\n3,b,4\n")
    for args in (["--level", "interval"], ["--level", "ordinal"]):
        result = runner.invoke(
            app, ["agreement", str(path), "--metric", "krippendorff", *args, "--json"]
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["value"] > 0.5
    result = runner.invoke(
        app, ["agreement", str(path), "--metric", "cohen", "--weights", "quadratic", "--json"]
    )
    assert result.exit_code == 0, result.output
    from sklearn.metrics import cohen_kappa_score

    expected = cohen_kappa_score([1, 3, 5], [2, 3, 4], weights="quadratic")
    assert json.loads(result.stdout)["value"] == pytest.approx(expected)
    path.write_text("task,worker,label\n1,a,low\n1,b,2\n")
    result = runner.invoke(app, ["agreement", str(path), "--level", "ratio"])
    assert result.exit_code == 2 and "line 2, column 'label'" in result.stderr


def test_aggregate_reports_a_collapsed_fit_and_falls_back(tmp_path: Path):
    from labelwell.quality.simulate import simulate_crowd

    answers, _ = simulate_crowd(
        300, 20, 3, 2, class_balance=[0.9, 0.1], per_class=True, accuracy=(0.3, 0.9), seed=0
    )
    path = tmp_path / "answers.csv"
    answers.to_csv(path, index=False)
    result = runner.invoke(app, ["aggregate", str(path), "--method", "onecoin", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["method"] == "onecoin" and report["method_used"] == "mv"
    (warning,) = [w for w in report["warnings"] if w["kind"] == "collapsed_class"]
    assert warning["fallback"] and warning["evidence"]["label"] == "1"
    assert warning["message_ko"].startswith("라벨 '1': 다수결은")
    plain = runner.invoke(
        app, ["aggregate", str(path), "--method", "onecoin", "--out", str(tmp_path / "x.csv")]
    )
    assert "warning: label '1'" in plain.output and "fell back to mv" in plain.output
    healthy = runner.invoke(app, ["aggregate", str(path), "--method", "mv", "--json"])
    assert json.loads(healthy.output)["warnings"] == []
