"""NER items shared by the CoNLL, spaCy and Hugging Face tests."""

from __future__ import annotations

from conftest import label, record

EN = "Angela Merkel visited New York.\nShe met U.N. staff"
KO = "김민수 씨는 서울에서 삼성전자에 다닌다."


def span(text: str, part: str, tag: str, i: int, nth: int = 0) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = text.index(part, start + 1)
    return {"id": f"s{i}", "start": start, "end": start + len(part), "label": tag, "text": part}


def ner_records():
    en = {
        "entities": [
            span(EN, "Angela Merkel", "PER", 1),
            span(EN, "New York", "LOC", 2),
            span(EN, "U.N.", "ORG", 3),
        ],
        "topic": "news",
    }
    ko = {
        "entities": [
            span(KO, "김민수", "PER", 1),
            span(KO, "서울", "LOC", 2),
            span(KO, "삼성전자", "ORG", 3),
        ],
        "topic": "sport",
    }
    return [
        record(1, {"text": EN}, [label(en, "alice")], external_id="en-1"),
        record(2, {"text": KO}, [label(ko, "bob")], external_id="ko-1"),
        record(3, {"text": "No label here"}),
    ]


def triples(spans):
    return sorted((s["start"], s["end"], s["label"]) for s in spans)
