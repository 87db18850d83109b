"""CoNLL-2003 named-entity files with IOB2 (``BIO``) or ``BILOU`` tags.

Format: Tjong Kim Sang and De Meulder, "Introduction to the CoNLL-2003 Shared
Task", CoNLL 2003: one token a line, ``WORD POS CHUNK NER`` (POS and chunk are
written as ``_``), a blank line between sentences, ``-DOCSTART- -X- -X- O``
before each document. Each newline in the text ends a sentence. Tokens come
from :mod:`labelwell.formats._tokens`, cut at every entity boundary, so every
entity survives whatever the script.

CoNLL cannot hold the exact whitespace of a text. With ``comments=True`` each
document starts with ``# id = ...``, ``# annotator = ...`` and
``# text = "..."`` (the text as a JSON string), and the importer gives back
the exact text and offsets; without them it rebuilds the text with one space
between tokens and one newline between sentences.

``labels="consensus"`` (the default) writes one document per item; ``"raw"``
writes one document per annotation, as NER training sets do for several
annotators. Items without any label are left out (they are not "all O").
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from labelwell.errors import InvalidInput
from labelwell.formats._ontology import Control, TakesOntology, check_label, first_control
from labelwell.formats._select import attach, check_mode, chosen_labels
from labelwell.formats._tokens import align, bio_tags, check_spans, spans_from_tags, tokenize
from labelwell.formats.registry import (
    ExportRecord,
    ImportRow,
    register_exporter,
    register_importer,
)

DOCSTART = "-DOCSTART- -X- -X- O"


#: The header of Label Studio's CONLL2003 export (three columns; this module
#: writes four, ``-DOCSTART- -X- -X- O``, before each document).
LABEL_STUDIO_DOCSTART = ["-DOCSTART-", "-X-", "O"]


def spans_control(ontology: Any, name: str | None) -> Control:
    if ontology is None:
        return Control(name=name or "entities", type="spans", source="text", labels=())
    return first_control(ontology, ("spans",), name)


def tagged_tokens(
    text: str,
    spans: list[dict[str, Any]],
    *,
    where: str,
    scheme: str = "BIO",
    overlaps: str = "error",
) -> tuple[list[tuple[int, int]], list[str]]:
    kept = check_spans(text, spans, where=where, overlaps=overlaps)
    cuts = [int(s["start"]) for s in kept] + [int(s["end"]) for s in kept]
    tokens = tokenize(text, cuts)
    return tokens, bio_tags(tokens, kept, scheme)


class ConllExporter:
    name = "conll"
    needs = ("spans",)
    extension = "conll"
    media_type = "text/plain"

    def __init__(
        self,
        labels: str = "consensus",
        control: str | None = None,
        scheme: str = "BIO",
        comments: bool = False,
        overlaps: str = "error",
    ) -> None:
        self.labels = check_mode(labels)
        self.control = control
        if scheme not in ("BIO", "BILOU"):
            raise InvalidInput("scheme must be BIO or BILOU", field="scheme")
        self.scheme = scheme
        self.comments = comments
        self.overlaps = overlaps

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        ctrl = spans_control(ontology, self.control)
        source = ctrl.source or "text"
        n = 0
        for rec in records:
            text = rec.data.get(source)
            if not isinstance(text, str):
                raise InvalidInput(f"item {rec.item_id} has no text in data.{source}", field=source)
            picks = chosen_labels(rec, self.labels)
            for picked in picks:
                where = f"item {rec.item_id} {ctrl.name}"
                tokens, tags = tagged_tokens(
                    text,
                    picked.result.get(ctrl.name) or [],
                    where=where,
                    scheme=self.scheme,
                    overlaps=self.overlaps,
                )
                out.write(self._document(rec, picked.annotator, text, tokens, tags).encode())
            n += bool(picks)
        return n

    def _document(
        self,
        rec: ExportRecord,
        annotator: str | None,
        text: str,
        tokens: list[tuple[int, int]],
        tags: list[str],
    ) -> str:
        lines = [DOCSTART, ""]
        if self.comments:
            lines.append(f"# id = {rec.external_id or rec.item_id}")
            if annotator:
                lines.append(f"# annotator = {annotator}")
            lines.append("# text = " + json.dumps(text, ensure_ascii=False))
        body = [f"{text[s:e]} _ _ {tag}" for (s, e), tag in zip(tokens, tags, strict=True)]
        if "\n" in text and tokens:
            # a blank line before the first token after each newline
            starts = [s for s, _ in tokens]
            breaks = set()
            pos = text.find("\n", tokens[0][1])
            while pos != -1:
                i = bisect_left(starts, pos)
                if i < len(tokens):
                    breaks.add(i)
                pos = text.find("\n", pos + 1)
            for i in sorted(breaks, reverse=True):
                body.insert(i, "")
        lines.extend(body)
        lines.append("")
        return "\n".join(lines) + "\n"


class ConllImporter(TakesOntology):
    """Reads CoNLL-2003 (any number of columns: the first is the word, the last
    the tag); a file without ``-DOCSTART-``, or with only Label Studio's
    ``-DOCSTART- -X- O`` header, gives one item per sentence."""

    name = "conll"

    def __init__(
        self, ontology: Any = None, control: str | None = None, target: str = "annotation"
    ):
        self.control = control
        self.target = target
        self.ontology = ontology

    def bind(self, ontology: Any) -> None:
        self.ctrl = spans_control(ontology, self.control)

    def read(self, path: Path) -> Iterator[ImportRow]:
        path = Path(path)
        doc: dict[str, Any] = self._new(1)
        has_docstart = False
        with path.open(encoding="utf-8") as fh:
            for lineno, raw in enumerate(fh, start=1):
                line = raw.rstrip("\n").rstrip("\r")
                if line.split() == LABEL_STUDIO_DOCSTART:
                    # Label Studio's CONLL2003 export: one -DOCSTART- for the file,
                    # one task per blank-line-separated block.
                    doc = self._new(lineno + 1)
                elif line.startswith("-DOCSTART-"):
                    has_docstart = True
                    if doc["sents"] or doc["text"] is not None:
                        yield self._row(doc, path)
                    doc = self._new(lineno)
                elif line.startswith("# ") and " = " in line:
                    key, _, value = line[2:].partition(" = ")
                    if key == "text":
                        try:
                            doc["text"] = json.loads(value)
                        except json.JSONDecodeError as exc:
                            msg = f"{path.name}: # text is not a JSON string"
                            raise InvalidInput(msg, line=lineno, field="text") from exc
                    else:
                        doc["meta"][key] = value
                elif not line.strip():
                    if doc["sents"] and doc["sents"][-1]:
                        doc["sents"].append([])
                        if not has_docstart:
                            yield self._row(doc, path)
                            doc = self._new(lineno + 1)
                else:
                    cols = line.split()
                    if len(cols) < 2:
                        raise InvalidInput(
                            f"{path.name}: a token line needs a word and a tag",
                            line=lineno,
                            field="tag",
                        )
                    if not doc["sents"]:
                        doc["sents"].append([])
                    doc["sents"][-1].append((cols[0], cols[-1], lineno))
        if any(doc["sents"]) or doc["text"] is not None:
            yield self._row(doc, path)

    @staticmethod
    def _new(line: int) -> dict[str, Any]:
        return {"line": line, "sents": [], "text": None, "meta": {}}

    def _row(self, doc: dict[str, Any], path: Path) -> ImportRow:
        entries = [t for sent in doc["sents"] for t in sent]
        words = [w for w, _, _ in entries]
        text = doc["text"]
        if text is None:
            text = "\n".join(" ".join(w for w, _, _ in sent) for sent in doc["sents"] if sent)
        try:
            offsets = align(text, words, line=doc["line"])
        except InvalidInput as exc:
            raise InvalidInput(
                f"{path.name}: {exc.message}", line=doc["line"], field="text"
            ) from exc
        spans = []
        first_line = entries[0][2] if entries else doc["line"]
        found = spans_from_tags(offsets, [t for _, t, _ in entries], line=first_line)
        for i, (s, e, label) in enumerate(found):
            check_label(self.ctrl, label, line=first_line, field="tag", file=path.name)
            spans.append({"id": f"t{i}", "start": s, "end": e, "label": label, "text": text[s:e]})
        row = ImportRow(line=doc["line"], data={self.ctrl.source or "text": text})
        row.external_id = doc["meta"].get("id")
        attach(
            row, {self.ctrl.name: spans}, target=self.target, annotator=doc["meta"].get("annotator")
        )
        return row


@register_exporter("conll")
def _conll_exporter() -> ConllExporter:
    return ConllExporter()


@register_importer("conll")
def _conll_importer() -> ConllImporter:
    return ConllImporter()
