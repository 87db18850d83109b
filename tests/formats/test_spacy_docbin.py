from __future__ import annotations

import io
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from formats.fmt_samples import EN, KO, NER, label, ner_records, record, span, triples
from labelwell.errors import InvalidInput
from labelwell.formats.registry import EXPORTERS, IMPORTERS
from labelwell.formats.spacy_docbin import SpacyExporter, SpacyImporter, words_and_spaces


def _export(tmp_path, records, **kw):
    path = tmp_path / "train.spacy"
    with path.open("wb") as fh:
        n = SpacyExporter(**kw).write(records, fh, NER)
    return path, n


def test_docbin_loads_in_spacy_with_same_entities(tmp_path):
    assert "spacy" in EXPORTERS and "spacy" in IMPORTERS
    records = ner_records()
    path, n = _export(tmp_path, records)
    assert n == 2
    docs = list(DocBin().from_disk(path).get_docs(spacy.blank("xx").vocab))
    assert [d.text for d in docs] == [EN, KO]
    for rec, doc in zip(records, docs, strict=False):
        want = triples(rec.annotations[0].result["entities"])
        assert sorted((e.start_char, e.end_char, e.label_) for e in doc.ents) == want
    assert [e.text for e in docs[1].ents] == ["김민수", "서울", "삼성전자"]
    assert docs[0].cats == {"news": 1.0, "sport": 0.0}
    assert docs[1].user_data["external_id"] == "ko-1"


def test_blank_english_pipeline_reads_it_too(tmp_path):
    path, _ = _export(tmp_path, ner_records()[:1], lang="en")
    (doc,) = DocBin().from_disk(path).get_docs(spacy.blank("en").vocab)
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Angela Merkel", "PER"),
        ("New York", "LOC"),
        ("U.N.", "ORG"),
    ]


def test_whitespace_is_kept_exactly():
    text = "  two  spaces\n\nand\ttab "
    from labelwell.formats._tokens import tokenize

    words, spaces = words_and_spaces(text, tokenize(text))
    assert "".join(w + (" " if s else "") for w, s in zip(words, spaces, strict=True)) == text


def test_round_trip_and_shards(tmp_path):
    records = ner_records()
    path, _ = _export(tmp_path, records)
    rows = list(SpacyImporter(NER).read(path))
    assert [r.external_id for r in rows] == ["en-1", "ko-1"]
    for rec, row in zip(records, rows, strict=False):
        res = row.annotations[0]["result"]
        assert triples(res["entities"]) == triples(rec.annotations[0].result["entities"])
        assert res["topic"] == rec.annotations[0].result["topic"]
        assert row.annotations[0]["annotator"] == rec.annotations[0].provenance.agent
    many = [
        record(i, {"text": KO}, [label({"entities": [span(KO, "서울", "LOC", 1)]})])
        for i in range(25)
    ]
    n = SpacyExporter(shard_size=10).export_dir(many, tmp_path / "shards", NER)
    assert n == 25 and len(list((tmp_path / "shards").glob("*.spacy"))) == 3
    rows = list(SpacyImporter(NER).read(tmp_path / "shards"))
    assert len(rows) == 25 and all(
        r.annotations[0]["result"]["entities"][0]["text"] == "서울" for r in rows
    )


def test_bad_file_and_unknown_label(tmp_path):
    bad = tmp_path / "bad.spacy"
    bad.write_bytes(b"not a docbin")
    with pytest.raises(InvalidInput, match="bad.spacy"):
        list(SpacyImporter(NER).read(bad))
    rec = record(
        1, {"text": "Paris"}, [label({"entities": [{"start": 0, "end": 5, "label": "CITY"}]})]
    )
    path, _ = _export(tmp_path, [rec])
    with pytest.raises(InvalidInput, match="CITY"):
        list(SpacyImporter(NER).read(path))


def test_span_outside_text_is_rejected():
    rec = record(
        1, {"text": "Paris"}, [label({"entities": [{"start": 2, "end": 9, "label": "LOC"}]})]
    )
    with pytest.raises(InvalidInput, match="outside"):
        SpacyExporter().write([rec], io.BytesIO(), NER)


CHOICE_ONLY = {
    "name": "topics",
    "controls": [
        {"name": "topic", "type": "choice", "source": "body", "options": ["news", "sport"]},
        {"name": "tags", "type": "multi_choice", "source": "body", "options": ["a", "b", "c"]},
    ],
}


def test_choice_only_project_fills_doc_cats(tmp_path):
    from labelwell.formats.registry import fits

    assert fits("spacy", CHOICE_ONLY) == (True, "")
    rec = record(1, {"body": "Match report"}, [label({"topic": "sport", "tags": ["a", "c"]})])
    path = tmp_path / "cats.spacy"
    with path.open("wb") as fh:
        assert SpacyExporter().write([rec], fh, CHOICE_ONLY) == 1
    (doc,) = DocBin().from_disk(path).get_docs(spacy.blank("xx").vocab)
    assert doc.text == "Match report" and list(doc.ents) == []
    assert doc.cats == {"news": 0.0, "sport": 1.0, "a": 1.0, "b": 0.0, "c": 1.0}
    (row,) = SpacyImporter(CHOICE_ONLY).read(path)
    assert row.data == {"body": "Match report"}
    assert row.annotations[0]["result"] == {"topic": "sport", "tags": ["a", "c"]}


def test_without_spacy_installed_the_error_says_how_to_get_it(tmp_path):
    import subprocess
    import sys

    code = (
        "import io, sys\n"
        "sys.modules['spacy'] = None  # as if spaCy were not installed\n"
        "from formats.fmt_samples import NER, ner_records\n"
        "from labelwell.errors import InvalidInput\n"
        "from labelwell.formats.spacy_docbin import SpacyExporter, SpacyImporter\n"
        "for call in (lambda: SpacyExporter().write(ner_records(), io.BytesIO(), NER),\n"
        "             lambda: list(SpacyImporter(NER).read(sys.argv[1]))):\n"
        "    try:\n"
        "        call()\n"
        "    except InvalidInput as exc:\n"
        "        print(exc.message)\n"
    )
    tests = str(Path(__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "x.spacy")],
        capture_output=True,
        text=True,
        cwd=tests,
        env={"PYTHONPATH": tests, "PATH": ""},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("pip install 'labelwell[spacy]'") == 2, done.stdout
