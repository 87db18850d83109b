"""The SQL of :mod:`labelwell.store.derived` is the SQL the migrations' triggers
run: an import derives its chunks' values exactly as the triggers derive
everyone else's."""

from __future__ import annotations

import importlib

from labelwell.store import derived


def _revision(name):
    return importlib.import_module(f"labelwell.store.migrations.versions.{name}")


def test_the_search_text_is_the_full_text_triggers():
    assert derived.FTS_BODY == _revision("0010_data_manager")._SQLITE_TEXT


def test_the_label_columns_are_the_label_triggers():
    stats = _revision("0020_item_label_stats")
    assert tuple((name, value) for name, _, value in stats._COLUMNS) == derived.LABEL_COLUMNS
    assert (
        tuple((name, value) for name, _, value in stats._PREDICTION_COLUMNS)
        == derived.PREDICTION_COLUMNS
    )
