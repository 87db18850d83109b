from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formats.fmt_samples import EN, NER, label, ner_records, record, span, triples
from labelwell.errors import InvalidInput
from labelwell.formats._tokens import from_utf16, to_utf16
from labelwell.formats.conll import ConllExporter, ConllImporter
from labelwell.formats.registry import EXPORTERS, IMPORTERS

DATA = Path(__file__).parent / "data"


def _export(records, **kw) -> str:
    buf = io.BytesIO()
    ConllExporter(**kw).write(records, buf, NER)
    return buf.getvalue().decode()


def test_matches_hand_made_reference():
    assert "conll" in EXPORTERS and "conll" in IMPORTERS
    assert _export(ner_records()) == (DATA / "reference.conll").read_text(encoding="utf-8")


def test_reference_imports_with_entities(tmp_path):
    rows = list(ConllImporter(NER).read(DATA / "reference.conll"))
    assert len(rows) == 2
    texts = [r.data["text"] for r in rows]
    assert texts[1] == "김민수 씨는 서울 에서 삼성전자 에 다닌다 ."
    ents = [[s["text"] for s in r.annotations[0]["result"]["entities"]] for r in rows]
    assert ents == [["Angela Merkel", "New York", "U . N ."], ["김민수", "서울", "삼성전자"]]


def test_round_trip_with_comments_is_exact(tmp_path):
    records = ner_records()
    path = tmp_path / "out.conll"
    path.write_text(_export(records, comments=True, labels="raw"), encoding="utf-8")
    rows = list(ConllImporter(NER).read(path))
    assert [r.external_id for r in rows] == ["en-1", "ko-1"]
    for rec, row in zip(records, rows, strict=False):
        assert row.data["text"] == rec.data["text"]
        (ann,) = row.annotations
        assert ann["annotator"] == rec.annotations[0].provenance.agent
        assert triples(ann["result"]["entities"]) == triples(rec.annotations[0].result["entities"])
    # import -> export -> import
    again = [
        record(i, r.data, [label(r.annotations[0]["result"])], external_id=r.external_id)
        for i, r in enumerate(rows)
    ]
    path2 = tmp_path / "again.conll"
    path2.write_text(_export(again, comments=True), encoding="utf-8")
    rows2 = list(ConllImporter(NER).read(path2))
    assert [r.annotations[0]["result"] for r in rows2] == [r.annotations[0]["result"] for r in rows]


def test_bilou_scheme():
    text = _export(ner_records()[:1], scheme="BILOU")
    assert "Angela _ _ B-PER\nMerkel _ _ L-PER" in text
    assert "U _ _ B-ORG" in text and ". _ _ L-ORG" in text


def test_entity_inside_a_word_is_not_lost():
    text = "xNYCx"
    rec = record(1, {"text": text}, [label({"entities": [span(text, "NYC", "LOC", 1)]})])
    assert "NYC _ _ B-LOC" in _export([rec])


def test_overlapping_spans_raise_or_drop():
    spans = [span(EN, "New York", "LOC", 1), span(EN, "York", "LOC", 2)]
    rec = record(1, {"text": EN}, [label({"entities": spans})])
    with pytest.raises(InvalidInput, match="overlaps"):
        _export([rec])
    assert "York _ _ I-LOC" in _export([rec], overlaps="drop")


def test_importer_errors(tmp_path):
    bad = tmp_path / "bad.conll"
    bad.write_text("-DOCSTART- -X- -X- O\n\nParis _ _ B-CITY\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        list(ConllImporter(NER).read(bad))
    assert err.value.line == 3 and "CITY" in err.value.message
    bad.write_text("Paris\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        list(ConllImporter(NER).read(bad))
    assert err.value.line == 1 and err.value.field == "tag"
    bad.write_text("Paris _ _ X-LOC\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        list(ConllImporter(NER).read(bad))


def test_file_without_docstart_gives_one_item_per_sentence(tmp_path):
    p = tmp_path / "plain.conll"
    p.write_text("EU B-ORG\nrejects O\n\nPeter B-PER\nBlackburn I-PER\n", encoding="utf-8")
    rows = list(ConllImporter(NER).read(p))
    assert [r.data["text"] for r in rows] == ["EU rejects", "Peter Blackburn"]
    assert [triples(r.annotations[0]["result"]["entities"]) for r in rows] == [
        [(0, 2, "ORG")],
        [(0, 15, "PER")],
    ]


def test_utf16_offsets():
    text = "a😀b 서울"
    assert to_utf16(text, 2) == 3 and from_utf16(text, 3) == 2
    assert from_utf16(text, to_utf16(text, 5)) == 5


WORDS = st.sampled_from(["서울", "Paris", "U.S.", "x-ray", "😀", "삼성전자에", "a", "don't", "42"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(WORDS, st.sampled_from([" ", "  ", "\n", ""]), st.booleans()),
        min_size=1,
        max_size=8,
    )
)
def test_any_entities_survive_round_trip(tmp_path_factory, parts):
    text, spans = "", []
    for i, (word, gap, is_ent) in enumerate(parts):
        if is_ent:
            spans.append(
                {"id": str(i), "start": len(text), "end": len(text) + len(word), "label": "LOC"}
            )
        text += word + gap
    if not text.strip():
        return
    rec = record(1, {"text": text}, [label({"entities": spans})])
    # adjacent entities with no gap would merge in BIO only if tags were I-; B- keeps them apart
    path = tmp_path_factory.mktemp("h") / "h.conll"
    path.write_text(_export([rec], comments=True), encoding="utf-8")
    (row,) = ConllImporter(NER).read(path)
    assert row.data["text"] == text
    assert triples(row.annotations[0]["result"]["entities"]) == triples(spans)


def test_label_studio_conll2003_export_is_one_item_per_task():
    fixture = Path(__file__).parent / "fixtures" / "ls" / "conll2003.conll"
    rows = list(ConllImporter(NER).read(fixture))
    assert [r.data["text"] for r in rows] == [
        "Angela Merkel visited New York .",
        "No entities here",
        "김민수 씨는 서울 에서 일한다 .",
    ]
    assert [r.line for r in rows] == [2, 9, 13]
    ents = [[s["text"] for s in r.annotations[0]["result"]["entities"]] for r in rows]
    assert ents == [["Angela Merkel", "New York"], [], ["김민수", "서울"]]


def test_flags_and_emoji_sequences_stay_one_token(tmp_path):
    from labelwell.formats._tokens import tokenize

    text = "Kim 🇰🇷 met 👩‍💻 and 👍🏽 in 서울"
    words = [text[s:e] for s, e in tokenize(text)]
    assert words == ["Kim", "🇰🇷", "met", "👩‍💻", "and", "👍🏽", "in", "서울"]
    seoul = text.index("서울")
    res = {"entities": [{"id": "s", "start": seoul, "end": seoul + 2, "label": "LOC"}]}
    conll = _export([record(1, {"text": text}, [label(res)])], comments=True)
    assert "🇰🇷 _ _ O" in conll.splitlines()
    p = tmp_path / "f.conll"
    p.write_text(conll, encoding="utf-8")
    (row,) = ConllImporter(NER).read(p)
    assert row.data["text"] == text
    assert triples(row.annotations[0]["result"]["entities"]) == [(seoul, seoul + 2, "LOC")]
