"""The builder's starting ontologies: each compiles, its sample item fits it,
and between them they use every control type the ontology registers."""

from __future__ import annotations

import pytest

from labelwell.schema import CONTROL_TYPES
from labelwell.schema.templates import SAMPLE_DATA, TEMPLATES, template


@pytest.mark.parametrize("tpl", TEMPLATES, ids=lambda t: t.key)
def test_each_template_compiles_and_its_sample_fits(tpl):
    onto = tpl.compiled()
    onto.validate_data(tpl.sample())  # raises on a field a control needs and lacks
    assert onto.to_dict()["controls"]


def test_templates_cover_every_control_type():
    used = {c["type"] for t in TEMPLATES for c in t.ontology["controls"]}
    assert used == set(CONTROL_TYPES)


def test_keys_are_unique_and_looked_up():
    keys = [t.key for t in TEMPLATES]
    assert len(keys) == len(set(keys))
    assert template("ner").ontology["controls"][0]["type"] == "spans"
    with pytest.raises(KeyError):
        template("nope")


def test_a_templates_data_goes_over_the_shared_sample():
    pair = template("rlhf_pairwise").sample()
    assert len(pair["responses"]) == 2
    assert pair["width"] == SAMPLE_DATA["width"]
