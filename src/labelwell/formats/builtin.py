"""Importing this module registers every built-in format."""

from __future__ import annotations

from labelwell.formats import (  # noqa: F401  (each module registers its formats)
    coco,
    conll,
    crowdkit,
    hf_datasets,
    jsonl,
    label_studio,
    label_studio_min,
    media_folder,
    spacy_docbin,
    tabular,
    trl,
    voc,
    yolo,
)
