"""Span offsets on text with characters outside the Basic Multilingual Plane
(a flag, an emoji with a skin tone, a ZWJ family) and Korean: every exporter
that writes offsets or tokens cuts exactly the annotated text, in Python's
code points."""

from __future__ import annotations

import io
import json

import datasets
import pyarrow.parquet as pq
import spacy
from spacy.tokens import DocBin

from formats.fmt_samples import NER, label, record, span
from labelwell.formats.conll import ConllExporter, ConllImporter
from labelwell.formats.hf_datasets import HFDatasetExporter, HFParquetExporter
from labelwell.formats.jsonl import JsonlExporter
from labelwell.formats.spacy_docbin import SpacyExporter

FLAG, THUMB, FAMILY = "🇰🇷", "👍🏽", "👨\u200d👩\u200d👧"
#: Entities sit after every kind of astral character, and two of them are emoji.
TEXT = f"{FLAG} 팀 응원! {THUMB} 김철수와 {FAMILY} 가족이 서울에서 만났다 {FLAG}{THUMB}"
SPANS = [
    span(TEXT, FLAG, "LOC", 1),
    span(TEXT, "팀", "ORG", 2),
    span(TEXT, "김철수", "PER", 3),
    span(TEXT, FAMILY, "PER", 4),
    span(TEXT, "서울", "LOC", 5),
    span(TEXT, THUMB, "ORG", 6, nth=1),
]


def _records():
    result = {"entities": SPANS, "topic": "news"}
    return [
        record(
            1,
            {"text": TEXT},
            [label(result, "alice")],
            consensus=label(result, "mv", "consensus"),
            external_id="astral-1",
        )
    ]


def _want() -> list[tuple[int, int, str, str]]:
    return sorted((s["start"], s["end"], s["label"], s["text"]) for s in SPANS)


def test_the_sample_is_what_it_claims():
    # Code points, not UTF-16 units: the family is 5 code points, 8 UTF-16 units.
    assert len(FLAG) == 2 and len(THUMB) == 2 and len(FAMILY) == 5
    assert all(TEXT[s["start"] : s["end"]] == s["text"] for s in SPANS)
    assert SPANS[-1]["start"] == len(TEXT) - 2


def test_jsonl_offsets_slice_the_text():
    buf = io.BytesIO()
    JsonlExporter().write(_records(), buf, NER)
    (line,) = buf.getvalue().decode("utf-8").splitlines()
    row = json.loads(line)
    text = row["data"]["text"]
    assert text == TEXT
    for block in (row["annotations"][0], row["consensus"]):
        got = sorted(
            (s["start"], s["end"], s["label"], text[s["start"] : s["end"]])
            for s in block["result"]["entities"]
        )
        assert got == _want()
    # Written as UTF-8, not as surrogate escapes that other readers might count.
    assert FAMILY.encode() in buf.getvalue() and b"\\ud83c" not in buf.getvalue().lower()


def _conll_entities(doc: str) -> list[tuple[str, str]]:
    """(entity text with its tokens joined, label) read from BIO lines."""
    out: list[list[str]] = []
    for line in doc.splitlines():
        cols = line.split(" ")
        if len(cols) < 2 or line.startswith(("-DOCSTART-", "#")):
            continue
        word, tag = cols[0], cols[-1]
        if tag.startswith("B-"):
            out.append([word, tag[2:]])
        elif tag.startswith("I-"):
            out[-1][0] += word
    return [(w, t) for w, t in out]


def test_conll_tokens_and_tags_give_back_the_entities(tmp_path):
    buf = io.BytesIO()
    ConllExporter(comments=True).write(_records(), buf, NER)
    doc = buf.getvalue().decode("utf-8")
    # Every token line's word is a piece of the text, in order, covering all of it
    # but the whitespace; the entities' tokens join to exactly their text.
    words = [
        line.split(" ")[0]
        for line in doc.splitlines()
        if line and not line.startswith(("-DOCSTART-", "#"))
    ]
    assert "".join(words) == "".join(TEXT.split())
    assert _conll_entities(doc) == [(s["text"], s["label"]) for s in SPANS]
    # ... and read back (the text from its comment), the offsets are the same code points.
    path = tmp_path / "astral.conll"
    path.write_bytes(buf.getvalue())
    (row,) = list(ConllImporter(NER).read(path))
    assert row.data["text"] == TEXT
    spans = row.annotations[0]["result"]["entities"]
    got = sorted((s["start"], s["end"], s["label"], TEXT[s["start"] : s["end"]]) for s in spans)
    assert got == _want()


def test_spacy_entities_are_the_annotated_text(tmp_path):
    path = tmp_path / "astral.spacy"
    with path.open("wb") as fh:
        assert SpacyExporter().write(_records(), fh, NER) == 1
    (doc,) = DocBin().from_disk(path).get_docs(spacy.blank("xx").vocab)
    assert doc.text == TEXT
    assert sorted((e.start_char, e.end_char, e.label_, e.text) for e in doc.ents) == _want()


def _check_hf_row(row: dict, features) -> None:
    assert row["text"] == TEXT
    names = features["entities"].feature["label"].names
    spans = row["entities"]
    got = sorted(
        (
            s["start"],
            s["end"],
            names[s["label"]] if isinstance(s["label"], int) else s["label"],
            TEXT[s["start"] : s["end"]],
        )
        for s in spans
    )
    assert got == _want()
    tag_names = features["entities_tags"].feature.names
    tags = [tag_names[t] for t in row["entities_tags"]]
    found: list[list[str]] = []
    for word, tag in zip(row["entities_tokens"], tags, strict=True):
        if tag.startswith("B-"):
            found.append([word, tag[2:]])
        elif tag.startswith("I-"):
            found[-1][0] += word
    assert [tuple(f) for f in found] == [(s["text"], s["label"]) for s in SPANS]
    assert "".join(row["entities_tokens"]) == "".join(TEXT.split())


def test_hf_datasets_offsets_and_tokens(tmp_path):
    out = tmp_path / "ds"
    assert HFDatasetExporter().export_dir(_records(), out, NER) == 1
    ds = datasets.load_from_disk(str(out))
    _check_hf_row(ds[0], ds.features)


def test_hf_parquet_offsets_and_tokens(tmp_path):
    path = tmp_path / "astral.parquet"
    with path.open("wb") as fh:
        HFParquetExporter().write(_records(), fh, NER)
    ds = datasets.Dataset.from_parquet(str(path))
    _check_hf_row(ds[0], ds.features)
    # The file alone, read by pyarrow, holds the same text and offsets.
    table = pq.read_table(path).to_pylist()[0]
    assert table["text"] == TEXT
    assert sorted(TEXT[s["start"] : s["end"]] for s in table["entities"]) == sorted(
        s["text"] for s in SPANS
    )
