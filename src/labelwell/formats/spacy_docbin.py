"""spaCy ``DocBin`` (``.spacy``) training files: entities from a ``spans``
control, ``doc.cats`` from ``choice``/``multi_choice`` controls.

Format: https://spacy.io/api/docbin. Docs are built from labelwell's own
tokens (:mod:`labelwell.formats._tokens`), cut at every entity boundary, with
the exact whitespace kept in ``Token.whitespace_`` and whitespace tokens, so
``doc.text`` is the item's text and every ``doc.char_span`` of an entity
exists, in Korean as in English. The vocabulary is ``spacy.blank(lang)``;
the default ``xx`` needs no language package (``spacy.blank("ko")`` needs
mecab-ko, and its tokenizer is not used anyway).

``write`` gives one ``.spacy`` file (a DocBin holds compact arrays, about a
hundred bytes a token); ``export_dir`` writes shards of ``shard_size`` docs,
which ``spacy train`` reads as one corpus, for constant memory. spaCy is
imported only when these are used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from labelwell.errors import InvalidInput
from labelwell.formats._ontology import Control, TakesOntology, check_label, pick_controls
from labelwell.formats._select import attach, check_mode, chosen_labels
from labelwell.formats._tokens import check_spans, tokenize
from labelwell.formats.conll import spans_control
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    register_exporter,
    register_importer,
)


def _spacy() -> Any:
    try:
        import spacy
    except ImportError as exc:
        raise InvalidInput(
            "the spaCy format needs spaCy: pip install 'labelwell[spacy]'", field="format"
        ) from exc
    return spacy


def _docbin(**kw: Any) -> Any:
    _spacy()
    from spacy.tokens import DocBin

    return DocBin(**kw)


def text_controls(ontology: Any, control: str | None) -> tuple[Control | None, list[Control]]:
    """The ``spans`` control for ``doc.ents`` (``None`` in a project with only
    choices) and the ``choice``/``multi_choice`` controls for ``doc.cats``."""
    cats = pick_controls(ontology, ("choice", "multi_choice"))
    if ontology is None or control is not None or pick_controls(ontology, ("spans",)):
        return spans_control(ontology, control), cats
    if not cats:
        raise InvalidInput(
            "the spaCy format needs a spans, choice or multi_choice control", field="format"
        )
    return None, cats


def words_and_spaces(text: str, tokens: list[tuple[int, int]]) -> tuple[list[str], list[bool]]:
    """spaCy's ``Doc(words, spaces)`` arguments whose text is exactly ``text``."""
    words: list[str] = []
    spaces: list[bool] = []
    pos = 0
    for s, e in tokens + [(len(text), len(text))]:
        gap = text[pos:s]
        if gap:
            if words and gap[0] == " " and not spaces[-1]:
                spaces[-1] = True
                gap = gap[1:]
            if gap:
                words.append(gap)
                spaces.append(False)
        if e > s:
            words.append(text[s:e])
            spaces.append(False)
        pos = e
    return words, spaces


def make_doc(vocab: Any, text: str, spans: list[dict[str, Any]], where: str, overlaps: str) -> Any:
    from spacy.tokens import Doc

    kept = check_spans(text, spans, where=where, overlaps=overlaps)
    tokens = tokenize(text, [int(s["start"]) for s in kept] + [int(s["end"]) for s in kept])
    words, spaces = words_and_spaces(text, tokens)
    doc = Doc(vocab, words=words, spaces=spaces)
    ents = []
    for sp in kept:
        ent = doc.char_span(int(sp["start"]), int(sp["end"]), label=sp["label"])
        if ent is None:  # pragma: no cover - tokenize cuts at every boundary
            raise InvalidInput(f"span [{sp['start']}, {sp['end']}) is not on tokens", field=where)
        ents.append(ent)
    doc.ents = ents
    return doc


class SpacyExporter:
    name = "spacy"
    needs = ("spans", "choice", "multi_choice")
    extension = "spacy"
    media_type = "application/octet-stream"

    def __init__(
        self,
        labels: str = "consensus",
        control: str | None = None,
        lang: str = "xx",
        overlaps: str = "error",
        shard_size: int = 10_000,
    ) -> None:
        self.labels = check_mode(labels)
        self.control = control
        self.lang = lang
        self.overlaps = overlaps
        self.shard_size = shard_size

    def _docs(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[Any]:
        spacy = _spacy()
        vocab = spacy.blank(self.lang).vocab
        ents_ctrl, cat_ctrls = text_controls(ontology, self.control)
        first = ents_ctrl or cat_ctrls[0]
        source = first.source or "text"
        for rec in records:
            text = rec.data.get(source)
            if not isinstance(text, str):
                raise InvalidInput(f"item {rec.item_id} has no text in data.{source}", field=source)
            for picked in chosen_labels(rec, self.labels):
                where = f"item {rec.item_id} {first.name}"
                spans = (picked.result.get(ents_ctrl.name) or []) if ents_ctrl else []
                doc = make_doc(vocab, text, spans, where, self.overlaps)
                for ctrl in cat_ctrls:
                    value = picked.result.get(ctrl.name)
                    chosen = {value} if isinstance(value, str) else set(value or [])
                    for name in ctrl.labels:
                        doc.cats[name] = 1.0 if name in chosen else 0.0
                doc.user_data["item_id"] = rec.item_id
                doc.user_data["external_id"] = rec.external_id
                doc.user_data["annotator"] = picked.annotator
                yield doc

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        db = _docbin(store_user_data=True)
        for doc in self._docs(records, ontology):
            db.add(doc)
        out.write(db.to_bytes())
        return len(db)

    def export_dir(self, records: Iterable[ExportRecord], directory: Path, ontology: Any) -> int:
        db, shard, n = _docbin(store_user_data=True), 0, 0
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for doc in self._docs(records, ontology):
            db.add(doc)
            n += 1
            if len(db) >= self.shard_size:
                db.to_disk(directory / f"shard-{shard:05d}.spacy")
                db, shard = _docbin(store_user_data=True), shard + 1
        if len(db) or shard == 0:
            db.to_disk(directory / f"shard-{shard:05d}.spacy")
        return n


class SpacyImporter(TakesOntology):
    """Reads a ``.spacy`` file or a folder of them: entities and ``doc.cats``."""

    name = "spacy"

    def __init__(
        self,
        ontology: Any = None,
        control: str | None = None,
        target: str = "annotation",
        lang: str = "xx",
    ) -> None:
        self.control = control
        self.target = target
        self.lang = lang
        self.ontology = ontology

    def bind(self, ontology: Any) -> None:
        self.ctrl, self.cat_ctrls = text_controls(ontology, self.control)

    def read(self, path: Path) -> Iterator[ImportRow]:
        vocab = _spacy().blank(self.lang).vocab
        from spacy.tokens import DocBin

        path = Path(path)
        files = sorted(path.glob("*.spacy")) if path.is_dir() else [path]
        n = 0
        for f in files:
            try:
                db = DocBin().from_disk(f)
            except Exception as exc:  # spaCy raises several types for a bad file
                raise InvalidInput(f"{f.name}: not a spaCy DocBin: {exc}") from exc
            for doc in db.get_docs(vocab):
                n += 1
                yield self._row(doc, n, f.name)

    def _row(self, doc: Any, n: int, fname: str) -> ImportRow:
        spans = []
        for i, ent in enumerate(doc.ents):
            if self.ctrl is None:
                raise InvalidInput(
                    f"{fname}: doc {n} has entities but the project has no spans control",
                    line=n,
                    field=f"doc {n} ents[{i}]",
                )
            check_label(self.ctrl, ent.label_, line=n, field=f"doc {n} ents[{i}]", file=fname)
            spans.append(
                {
                    "id": f"e{i}",
                    "start": ent.start_char,
                    "end": ent.end_char,
                    "label": ent.label_,
                    "text": ent.text,
                }
            )
        result: dict[str, Any] = {self.ctrl.name: spans} if self.ctrl else {}
        for ctrl in self.cat_ctrls:
            on = [name for name in ctrl.labels if doc.cats.get(name, 0.0) >= 0.5]
            if ctrl.type == "multi_choice":
                result[ctrl.name] = on
            elif on:
                result[ctrl.name] = max(on, key=lambda name: doc.cats[name])
        ext = doc.user_data.get("external_id")
        source = (self.ctrl or self.cat_ctrls[0]).source or "text"
        row = ImportRow(line=n, data={source: doc.text}, external_id=ext)
        attach(row, result, target=self.target, annotator=doc.user_data.get("annotator"))
        return row


@register_exporter("spacy")
def _spacy_exporter() -> SpacyExporter:
    return SpacyExporter()


@register_importer("spacy")
def _spacy_importer() -> SpacyImporter:
    return SpacyImporter()
