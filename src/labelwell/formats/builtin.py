"""Importing this module registers every built-in format."""

from __future__ import annotations

import importlib

from labelwell.formats import jsonl, tabular  # noqa: F401

#: Optional format modules: registered when their module is present.
_MORE = ("coco", "yolo", "voc", "conll", "spacy_docbin", "hf_datasets", "label_studio", "crowdkit")

for _name in _MORE:
    try:
        importlib.import_module(f"labelwell.formats.{_name}")
    except ModuleNotFoundError as exc:  # pragma: no cover - a format not built yet
        if exc.name != f"labelwell.formats.{_name}":
            raise
