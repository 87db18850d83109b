"""The project import hands its ontology to every importer that maps labels
onto controls (``work.items.importer_for``), so labels land in the project's
own control whatever it is called, not in a control named after the format."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from formats.fmt_samples import label, record
from formats.test_coco_panoptic import PANOPTIC
from formats.test_coco_panoptic import _records as panoptic_records
from labelwell.formats.registry import EXPORTERS
from labelwell.schema import Ontology
from labelwell.work.items import importer_for

BOXES = {
    "name": "boxes",
    "controls": [
        {"name": "objects", "type": "bbox", "source": "image", "labels": ["cat", "dog"]},
    ],
}
TEXT = {
    "name": "text",
    "controls": [
        {"name": "ner", "type": "spans", "source": "body", "labels": ["PER", "LOC"]},
        {"name": "verdict", "type": "choice", "source": "body", "options": ["keep", "drop"]},
    ],
}
BODY = "Alice flew to Paris"
SPANS = [
    {"id": "s1", "start": 0, "end": 5, "label": "PER", "text": "Alice"},
    {"id": "s2", "start": 14, "end": 19, "label": "LOC", "text": "Paris"},
]


def _boxes():
    box = {"id": "b1", "label": "dog", "x": 2.0, "y": 3.0, "width": 10.0, "height": 8.0}
    data = {"image": "a.jpg", "width": 40, "height": 30}
    return [record(1, data, [label({"objects": [box]}, "ann@x.org")], external_id="a")]


def _text():
    res = {"ner": SPANS, "verdict": "keep"}
    return [record(1, {"body": BODY}, [label(res, "ann@x.org")], external_id="t1")]


CASES = {
    "voc": (BOXES, _boxes, "objects"),
    "conll": (TEXT, _text, "ner"),
    "spacy": (TEXT, _text, "ner"),
    "crowdkit": (TEXT, _text, "verdict"),
    "hf_parquet": (TEXT, _text, "ner"),
    "hf_datasets": (TEXT, _text, "ner"),
    "coco_panoptic": (PANOPTIC, lambda: panoptic_records()[0], "scene"),
}


@pytest.mark.parametrize("fmt", sorted(CASES))
def test_importers_receive_the_projects_ontology(tmp_path, fmt):
    ontology, records, control = CASES[fmt]
    exporter = EXPORTERS[fmt]()
    if hasattr(exporter, "control"):
        exporter.control = control
    out: Path = tmp_path / "out"
    if fmt in ("voc", "coco_panoptic", "hf_datasets"):
        exporter.export_dir(records(), out, ontology)
    else:
        buf = io.BytesIO()
        exporter.write(records(), buf, ontology)
        out.write_bytes(buf.getvalue())
    importer = importer_for(out, fmt, Ontology.from_dict(ontology))
    rows = list(importer.read(out))
    results = [a["result"] for r in rows for a in r.annotations] + [r.gold for r in rows if r.gold]
    assert results and all(control in res for res in results), results
