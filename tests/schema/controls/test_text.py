from __future__ import annotations

import pytest

from labelwell.errors import InvalidInput
from labelwell.schema import Ontology

from ..support import one

NER = Ontology.from_dict(
    {
        "name": "ner",
        "controls": [
            {
                "name": "entities",
                "type": "spans",
                "source": "text",
                "labels": [
                    "PER",
                    {"name": "ORG", "attributes": [{"name": "listed", "type": "boolean"}]},
                    "LOC",
                    "EMOJI",
                ],
            },
            {
                "name": "relations",
                "type": "relations",
                "spans": "entities",
                "labels": ["works_for", "lives_in"],
            },
        ],
    }
)
TEXT = {"text": "Ann works for Acme in Paris."}  # length 28


def span(i: int, start: int, end: int, label: str, **extra) -> dict:
    return {"id": f"s{i}", "start": start, "end": end, "label": label, **extra}


def test_valid_spans_and_relations() -> None:
    result = {
        "entities": [
            span(0, 0, 3, "PER", text="Ann"),
            span(1, 14, 18, "ORG", text="Acme", attributes={"listed": False}),
            span(2, 22, 27, "LOC"),
        ],
        "relations": [
            {"from": "s0", "to": "s1", "label": "works_for"},
            {"from": "s0", "to": "s2", "label": "lives_in"},
        ],
    }
    NER.validate(result, TEXT)


def test_span_offsets(refuse) -> None:
    bad = [span(0, 0, 3, "PER"), span(1, 14, 18, "ORG"), span(2, 22, 57, "LOC")]
    refuse(
        NER,
        {"entities": bad},
        TEXT,
        "entities[2].end",
        "57 is past the end of the text (length 28)",
    )
    refuse(NER, {"entities": [span(0, -1, 3, "PER")]}, TEXT, "entities[0].start", "negative")
    refuse(NER, {"entities": [span(0, 3, 3, "PER")]}, TEXT, "entities[0].end", "not after start 3")
    refuse(NER, {"entities": [span(0, 0, 3.0, "PER")]}, TEXT, "entities[0].end", "integer")
    refuse(NER, {"entities": [span(0, True, 3, "PER")]}, TEXT, "entities[0].start", "integer")


def test_span_text_must_match_the_source(refuse) -> None:
    refuse(
        NER,
        {"entities": [span(0, 0, 3, "PER", text="Anne")]},
        TEXT,
        "entities[0].text",
        "does not match the text at [0, 3)",
    )


def test_span_shape(refuse) -> None:
    refuse(NER, {"entities": {"id": "s0"}}, TEXT, "entities", "must be a list")
    refuse(NER, {"entities": ["Ann"]}, TEXT, "entities[0]", "must be an object")
    refuse(
        NER,
        {"entities": [{"id": "s0", "start": 0, "end": 3}]},
        TEXT,
        "entities[0].label",
        "missing",
    )
    refuse(
        NER,
        {"entities": [span(0, 0, 3, "PER", score=0.9)]},
        TEXT,
        "entities[0].score",
        "unknown key",
    )
    refuse(
        NER,
        {"entities": [span(0, 0, 3, "GPE")]},
        TEXT,
        "entities[0].label",
        "'GPE' is not one of PER",
    )
    refuse(
        NER,
        {"entities": [span(0, 0, 3, "PER"), span(0, 4, 9, "PER")]},
        TEXT,
        "entities[1].id",
        "duplicate id 's0'",
    )
    refuse(NER, {"entities": [{**span(0, 0, 3, "PER"), "id": 7}]}, TEXT, "entities[0].id", "string")


def test_span_attributes(refuse) -> None:
    refuse(
        NER,
        {"entities": [span(0, 14, 18, "ORG", attributes={"listed": "yes"})]},
        TEXT,
        "entities[0].attributes.listed",
        "true or false",
    )
    refuse(
        NER,
        {"entities": [span(0, 0, 3, "PER", attributes={"listed": True})]},
        TEXT,
        "entities[0].attributes.listed",
        "unknown attribute for label 'PER'",
    )


def test_the_text_must_be_in_the_data(refuse) -> None:
    refuse(NER, {"entities": [span(0, 0, 3, "PER")]}, {}, "data.text", "must be a string")
    refuse(NER, {"entities": []}, {"text": 5}, "data.text", "must be a string")


KOREAN = "김철수는 서울에 산다 😀"


def test_offsets_count_code_points_in_korean_and_emoji() -> None:
    assert len(KOREAN) == 13
    result = {
        "entities": [
            span(0, 0, 3, "PER", text="김철수"),
            span(1, 5, 7, "LOC", text="서울"),
            span(2, 12, 13, "EMOJI", text="😀"),
        ],
        "relations": [{"from": "s0", "to": "s1", "label": "lives_in"}],
    }
    NER.validate(result, {"text": KOREAN})


def test_utf16_and_utf8_offsets_are_caught(refuse) -> None:
    # A tool counting UTF-16 units puts the emoji at [12, 14).
    refuse(
        NER,
        {"entities": [span(0, 12, 14, "EMOJI", text="😀")]},
        {"text": KOREAN},
        "entities[0].end",
        "14 is past the end of the text (length 13)",
    )
    # A tool counting UTF-8 bytes puts 서울 at [13, 19).
    start = len(KOREAN[:5].encode())
    refuse(
        NER,
        {"entities": [span(0, start, start + 6, "LOC", text="서울")]},
        {"text": KOREAN + " " * 10},
        "entities[0].text",
        "does not match",
    )


def test_overlap_is_allowed_by_default_and_can_be_refused(refuse) -> None:
    overlapping = {"e": [span(0, 0, 5, "A"), span(1, 10, 12, "A"), span(2, 3, 8, "A")]}
    data = {"text": "x" * 20}
    one({"name": "e", "type": "spans", "labels": ["A"]}).validate(overlapping, data)
    strict = one({"name": "e", "type": "spans", "labels": ["A"], "allow_overlap": False})
    refuse(strict, overlapping, data, "e[2]", "overlaps e[0]")
    strict.validate({"e": [span(0, 0, 5, "A"), span(1, 5, 8, "A")]}, data)  # touching is fine


def test_relations_refer_to_existing_spans(refuse) -> None:
    entities = [span(0, 0, 3, "PER"), span(1, 14, 18, "ORG")]
    refuse(
        NER,
        {"entities": entities, "relations": [{"from": "s0", "to": "s9", "label": "works_for"}]},
        TEXT,
        "relations[0].to",
        "'s9' is not a span id of 'entities'",
    )
    refuse(
        NER,
        {"relations": [{"from": "s0", "to": "s1", "label": "works_for"}]},
        TEXT,
        "relations[0].from",
        "not a span id",
    )
    refuse(
        NER,
        {"entities": entities, "relations": [{"from": "s0", "to": "s1", "label": "born_in"}]},
        TEXT,
        "relations[0].label",
        "'born_in' is not one of works_for, lives_in",
    )
    rel = {"from": "s0", "to": "s1", "label": "works_for"}
    refuse(NER, {"entities": entities, "relations": [rel, rel]}, TEXT, "relations[1]", "duplicate")
    refuse(
        NER,
        {"entities": entities, "relations": [{"from": "s0", "to": "s1"}]},
        TEXT,
        "relations[0].label",
        "is missing",
    )


def test_relations_are_checked_after_spans_whatever_the_key_order(refuse) -> None:
    result = {
        "relations": [{"from": "s0", "to": "s1", "label": "works_for"}],
        "entities": [span(0, 0, 3, "PER"), span(1, 14, 99, "ORG")],
    }
    refuse(NER, result, TEXT, "entities[1].end", "past the end")


def test_relations_need_a_spans_control() -> None:
    with pytest.raises(InvalidInput) as info:
        Ontology.from_dict(
            {
                "name": "x",
                "controls": [
                    {"name": "c", "type": "choice", "options": ["a"]},
                    {"name": "r", "type": "relations", "spans": "c", "labels": ["x"]},
                ],
            }
        )
    assert info.value.field == "controls[1].spans"


def test_validate_data_needs_the_text() -> None:
    NER.validate_data(TEXT)
    with pytest.raises(InvalidInput) as info:
        NER.validate_data({"body": "x"})
    assert info.value.field == "text"
    with pytest.raises(InvalidInput) as info:
        NER.validate_data({"text": ["x"]})
    assert info.value.field == "text"
