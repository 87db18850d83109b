"""The typed project settings (work/project_settings.py): defaults, checks, reading."""

from __future__ import annotations

import logging

import pytest

from labelwell.errors import InvalidInput
from labelwell.store.tables import Project
from labelwell.work import project_settings, projects
from labelwell.work.project_settings import ProjectSettings, checked, merged, parsed, read
from world import SENTIMENT, build_world


def test_defaults_are_the_models_and_only_set_keys_are_stored():
    settings = checked({"flywheel": True, "qualification": {"items": 3}})
    assert settings.flywheel is True and settings.retrain_every == 50
    assert settings.qualification.items == 3 and settings.qualification.pass_mark == 0.85
    assert settings.gold_threshold == 0.8 and settings.assist_model == "minilm-logreg"
    assert settings.to_column() == {"flywheel": True, "qualification": {"items": 3}}
    assert checked({}).to_column() == {} and checked(None) == ProjectSettings()
    # an empty qualification has always meant none
    assert checked({"qualification": {}}).qualification is None


def test_every_refusal_names_the_setting():
    with pytest.raises(InvalidInput) as refused:
        checked({"gold_threshold": "high", "flywheel": "yes"})
    assert refused.value.field == "settings.gold_threshold"
    assert "settings.flywheel: input should be a valid boolean" in refused.value.message
    with pytest.raises(InvalidInput, match=r"settings\.qualification\.pass_mark") as refused:
        checked({"qualification": {"items": 2, "pass_mark": 0}})
    with pytest.raises(InvalidInput, match="not a project setting") as refused:
        merged({}, {"assist_state": None})
    assert refused.value.field == "settings.assist_state"
    with pytest.raises(InvalidInput, match="must be an object") as refused:
        checked([("flywheel", True)])


def test_merged_keeps_other_keys_and_none_goes_back_to_the_default():
    current = {"gold_threshold": 0.9, "flywheel": True}
    changed = merged(current, {"flywheel": None, "al_batch": 10})
    assert changed.to_column() == {"gold_threshold": 0.9, "al_batch": 10}
    assert changed.flywheel is False


def test_reading_leaves_out_stale_values_with_a_warning(caplog):
    """A column written before settings were checked still serves the queue:
    what the model refuses is left out (and dropped at the next write)."""
    stale = {"gold_feedback": True, "assist_state": {"lease": None}, "retrain_every": "often",
             "assist_model": "a-plugin-not-installed-here"}
    with caplog.at_level(logging.WARNING, logger="labelwell.work.project_settings"):
        settings = read(stale)
    assert settings.gold_feedback is True and settings.retrain_every == 50
    assert settings.assist_model == "a-plugin-not-installed-here"  # names checked on write
    assert "assist_state, retrain_every" in caplog.text
    assert merged(stale, {"al_batch": 5}).to_column() == {
        "gold_feedback": True, "assist_model": "a-plugin-not-installed-here", "al_batch": 5}


def test_the_queue_parses_each_distinct_text_once():
    text = '{"gold_feedback": true}'
    assert parsed(text) is parsed(text) and parsed(text).gold_feedback is True
    assert parsed(None) == ProjectSettings()


def test_create_and_update_check_and_normalise_the_settings_column(db):
    world = build_world(db, n_annotators=1, settings={"gold_threshold": 0.7})
    with db.session() as s:
        with pytest.raises(InvalidInput, match=r"settings\.colour"):
            projects.update_project(s, world.manager, world.project_id,
                                    {"settings": {"colour": "blue"}})
        projects.update_project(s, world.manager, world.project_id,
                                {"settings": {"qualification": {"items": 2}}})
    with db.read_session() as s:
        project = s.get(Project, world.project_id)
        assert project.settings == {"qualification": {"items": 2}}
        assert project_settings.settings_of(project).qualification.pass_mark == 0.85
    with db.session() as s, pytest.raises(InvalidInput, match=r"settings\.flywheel"):
        projects.create_project(s, world.manager, "p2", SENTIMENT, settings={"flywheel": "on"})
