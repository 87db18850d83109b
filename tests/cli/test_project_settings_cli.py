"""`labelwell project settings`: show, change, refuse a bad key or value naming it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from labelwell.cli import app
from labelwell.store.tables import Project

runner = CliRunner()


@pytest.fixture
def env(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABELWELL_USER", raising=False)
    config = tmp_path / "onto.yaml"
    config.write_text("name: r\ncontrols:\n  - {name: s, type: choice, options: [a, b]}\n")
    for args in (["init"], ["project", "create", "reviews", "--config", str(config)]):
        assert runner.invoke(app, args).exit_code == 0
    return tmp_path


def settings_of(db):
    with db.read_session() as s:
        return s.query(Project).filter_by(name="reviews").one().settings


def test_show_and_change_settings(env, db):
    shown = runner.invoke(app, ["project", "settings", "reviews"])
    assert shown.exit_code == 0, shown.output
    assert "gold_feedback\tfalse\t(default)" in shown.output
    assert "retrain_every\t50\t(default)" in shown.output
    changed = runner.invoke(app, [
        "project", "settings", "reviews", "gold_feedback=true", "assist_model=minilm-logreg",
        'qualification={"items": 4, "pass_mark": 0.75}',
    ])
    assert changed.exit_code == 0, changed.output
    assert "gold_feedback\ttrue\n" in changed.output
    assert 'qualification\t{"items":4,"pass_mark":0.75}\n' in changed.output
    assert settings_of(db) == {
        "gold_feedback": True,
        "assist_model": "minilm-logreg",
        "qualification": {"items": 4, "pass_mark": 0.75},
    }
    reset = runner.invoke(app, ["project", "settings", "reviews", "gold_feedback=null"])
    assert "gold_feedback\tfalse\t(default)" in reset.output
    assert "gold_feedback" not in settings_of(db)


@pytest.mark.parametrize(("change", "named"), [
    ("gold_threshold=1.5", "settings.gold_threshold: input should be less than or equal to 1"),
    ("flywheel=yes", "settings.flywheel: input should be a valid boolean"),
    ('qualification={"items": 0}', "settings.qualification.items"),
    ("colour=blue", "settings.colour: not a project setting"),
    ("al_strategy=nope", "settings.al_strategy: unknown selection strategy 'nope'"),
    ("gold_threshold", "write a setting as KEY=VALUE"),
])
def test_a_bad_setting_is_refused_naming_it(env, db, change, named):
    result = runner.invoke(app, ["project", "settings", "reviews", "gold_feedback=true", change])
    assert result.exit_code == 2
    assert named in result.output
    assert settings_of(db) == {}  # nothing changed, not even the good key
