"""TRL training files from a preference project's export stream.

Four exporters, registered as ``dpo``, ``reward``, ``kto`` and ``sft``, read the
:class:`ExportRecord` of items with ``pairwise``, ``ranking`` or ``correction``
controls (item data ``{"prompt", "messages"?, "responses": [{"id", "text"}]}``)
and write JSONL rows in TRL's column layouts (see :mod:`labelwell.rlhf.exports`);
``dpo_conversational`` and the like write the message-list form:

* pairwise judgments are merged per pair by plurality (:func:`pairwise_majority`;
  a draw between the leading outcomes is a ``tie``); ``tie`` and ``both_bad``
  give no pair and are dropped, except that the KTO export can keep ``both_bad``
  as two undesirable completions;
* rankings from several annotators are merged by Tideman's ranked pairs and
  turned into pairs with a strategy of :data:`PAIR_STRATEGIES` (``all_pairs``
  by default, ``best_vs_rest``, ``best_vs_random_lower``);
* corrections become SFT prompt-completion rows, one per annotator.

Only human annotations that a reviewer did not reject count; a pair's margin
(``reward`` with ``margin=True``) is the winner's votes minus the loser's.
Records are taken in chunks so the majority is computed once per chunk while
memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import Any, BinaryIO

import numpy as np
import orjson

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ExportRecord, LabelRecord, register_exporter
from labelwell.rlhf import exports
from labelwell.rlhf.aggregate import merge_rankings, pairwise_majority
from labelwell.rlhf.pairs import PAIR_STRATEGIES, ranking_to_comparisons
from labelwell.rlhf.records import (
    Comparison,
    Correction,
    LabelledCompletion,
    PreferencePair,
    PromptItem,
    comparison_from_result,
)

PREFERENCE_TYPES = ("pairwise", "ranking")
CHUNK = 500


def controls_of(ontology: Any, kind: str) -> list[str]:
    """Names of the ontology's controls of type ``kind``."""
    return [c.name for c in ontology.controls if c.type == kind]


def prompt_item(record: ExportRecord) -> PromptItem:
    """The item as a prompt with responses; ``messages`` (a multi-turn prompt)
    wins over the flattened ``prompt`` string."""
    data = dict(record.data)
    data["prompt"] = data.get("messages") or data.get("prompt")
    return PromptItem.from_data(str(record.item_id), data)


def _judgments(record: ExportRecord) -> list[LabelRecord]:
    return [
        a for a in record.annotations if a.provenance.source == "human" and a.status != "rejected"
    ]


def record_comparisons(
    record: ExportRecord,
    ontology: Any,
    *,
    strategy: str = "all_pairs",
    rng: np.random.Generator | None = None,
) -> list[Comparison]:
    """Every annotator's judgments on one item as comparisons (no consensus):
    pairwise answers as they are, rankings turned into pairs with ``strategy``."""
    pairwise, ranking = controls_of(ontology, "pairwise"), controls_of(ontology, "ranking")
    if not (pairwise or ranking):
        return []
    item_id = str(record.item_id)
    ids = [str(r.get("id")) for r in record.data.get("responses", [])]
    out: list[Comparison] = []
    for a in _judgments(record):
        who = a.provenance.agent
        for name in pairwise:
            if name in a.result and len(ids) == 2:
                out.append(comparison_from_result(item_id, ids[0], ids[1], a.result[name], who))
        for name in ranking:
            if name in a.result:
                out += ranking_to_comparisons(
                    item_id, a.result[name], strategy=strategy, rng=rng, annotator=who
                )
    return out


@dataclass(frozen=True, slots=True)
class Decision:
    """The consensus on one pair of an item: ``outcome`` of ``first`` against
    ``second`` (``a`` means ``first`` is better) with the vote margin."""

    item: PromptItem
    first: str
    second: str
    outcome: str
    margin: float | None


def _pairwise_decisions(
    records: list[tuple[ExportRecord, PromptItem]], ontology: Any
) -> list[Decision]:
    names = controls_of(ontology, "pairwise")
    if not names:
        return []
    by_id = {str(r.item_id): item for r, item in records}
    votes: list[Comparison] = []
    for record, item in records:
        if len(item.responses) != 2:
            continue
        first, second = item.responses[0].id, item.responses[1].id
        for a in _judgments(record):
            for name in names:
                if name in a.result:
                    votes.append(
                        comparison_from_result(
                            item.id, first, second, a.result[name], a.provenance.agent
                        )
                    )
    if not votes:
        return []
    table = pairwise_majority(votes)
    position = {item_id: i for i, item_id in enumerate(by_id)}
    table = table.sort_values("item_id", key=lambda ids: ids.map(position), kind="stable")
    return [
        Decision(
            by_id[row.item_id],
            row.response_a,
            row.response_b,
            row.outcome,
            float(abs(row.n_a - row.n_b)),
        )
        for row in table.itertuples(index=False)
    ]


def _ranking_decisions(
    record: ExportRecord, item: PromptItem, ontology: Any, strategy: str, rng: np.random.Generator
) -> list[Decision]:
    out: list[Decision] = []
    for name in controls_of(ontology, "ranking"):
        rankings = {
            f"{a.provenance.agent}#{i}": a.result[name]
            for i, a in enumerate(_judgments(record))
            if name in a.result
        }
        if not rankings:
            continue
        merged = merge_rankings(rankings)
        for c in ranking_to_comparisons(item.id, merged, strategy=strategy, rng=rng):
            out.append(Decision(item, c.response_a, c.response_b, c.outcome, None))
    return out


def _chunks(records: Iterable[ExportRecord], size: int) -> Iterator[list[ExportRecord]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


def iter_decisions(
    records: Iterable[ExportRecord],
    ontology: Any,
    *,
    strategy: str = "all_pairs",
    seed: int | None = 0,
) -> Iterator[Decision]:
    """Consensus decisions of a project's pairwise and ranking items, in item order."""
    if strategy not in PAIR_STRATEGIES:
        raise InvalidInput(
            f"unknown pair strategy {strategy!r}; one of {sorted(PAIR_STRATEGIES)}",
            field="strategy",
        )
    rng = np.random.default_rng(seed)
    for chunk in _chunks(records, CHUNK):
        with_items = [(r, prompt_item(r)) for r in chunk if r.data.get("responses")]
        yield from _pairwise_decisions(with_items, ontology)
        for record, item in with_items:
            yield from _ranking_decisions(record, item, ontology, strategy, rng)


def decision_pair(d: Decision) -> PreferencePair | None:
    """The preference a decision carries, or ``None`` for ``tie`` and ``both_bad``."""
    if d.outcome not in ("a", "b"):
        return None
    win, lose = (d.first, d.second) if d.outcome == "a" else (d.second, d.first)
    return PreferencePair(
        d.item.prompt,
        d.item.response(win).text,
        d.item.response(lose).text,
        margin=d.margin,
        item_id=d.item.id,
        chosen_id=win,
        rejected_id=lose,
    )


def iter_corrections(records: Iterable[ExportRecord], ontology: Any) -> Iterator[Correction]:
    """One :class:`Correction` per annotator's corrected response."""
    names = controls_of(ontology, "correction")
    for record in records:
        if not names:
            return
        judged = [a for a in _judgments(record) if any(n in a.result for n in names)]
        if not judged:
            continue
        item = prompt_item(record)
        for a in judged:
            for name in names:
                value = a.result.get(name)
                if value:
                    original = item.response(value["response_id"]).text
                    yield Correction(
                        item.prompt, value["text"], original, item.id, value["response_id"]
                    )


class _TrlExporter:
    extension = ".jsonl"
    media_type = "application/x-ndjson"
    name = ""

    def __init__(
        self,
        *,
        conversational: bool = False,
        strategy: str = "all_pairs",
        seed: int | None = 0,
    ) -> None:
        self.conversational = conversational
        self.strategy = strategy
        self.seed = seed

    def rows(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        """Write JSONL rows; return the number of rows (training examples) written."""
        n = 0
        for row in self.rows(records, ontology):
            out.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))
            n += 1
        return n

    def _pairs(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[PreferencePair]:
        _need(ontology, PREFERENCE_TYPES, self.name)
        for d in iter_decisions(records, ontology, strategy=self.strategy, seed=self.seed):
            pair = decision_pair(d)
            if pair is not None:
                yield pair


def _need(ontology: Any, kinds: tuple[str, ...], fmt: str) -> None:
    if not any(controls_of(ontology, k) for k in kinds):
        raise InvalidInput(
            f"the {fmt} export needs a project with a {' or '.join(kinds)} control",
            field="format",
        )


class DpoExporter(_TrlExporter):
    """``prompt, chosen, rejected`` (explicit prompt)."""

    name = "dpo"

    def rows(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[dict[str, Any]]:
        for pair in self._pairs(records, ontology):
            yield from exports.dpo_rows([pair], conversational=self.conversational)


class RewardExporter(_TrlExporter):
    """``chosen, rejected`` with the prompt inside each (implicit prompt), and a
    ``margin`` column (vote difference; 0.0 for ranked pairs) when asked."""

    name = "reward"

    def __init__(self, *, margin: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.margin = margin

    def rows(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[dict[str, Any]]:
        for pair in self._pairs(records, ontology):
            yield from exports.reward_rows(
                [pair], conversational=self.conversational, margin=self.margin
            )


class KtoExporter(_TrlExporter):
    """``prompt, completion, label``: the chosen response desirable, the rejected
    one not; with ``both_bad=True`` a ``both_bad`` consensus gives two undesirable
    rows."""

    name = "kto"

    def __init__(self, *, both_bad: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.both_bad = both_bad

    def rows(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[dict[str, Any]]:
        _need(ontology, PREFERENCE_TYPES, self.name)
        for d in iter_decisions(records, ontology, strategy=self.strategy, seed=self.seed):
            pair = decision_pair(d)
            if pair is not None:
                completions = exports.unpair([pair])
            elif d.outcome == "both_bad" and self.both_bad:
                completions = [
                    LabelledCompletion(d.item.prompt, d.item.response(r).text, False, d.item.id)
                    for r in (d.first, d.second)
                ]
            else:
                continue
            yield from exports.kto_rows(completions, conversational=self.conversational)


class SftExporter(_TrlExporter):
    """``prompt, completion`` from corrected responses."""

    name = "sft"

    def rows(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[dict[str, Any]]:
        _need(ontology, ("correction",), self.name)
        for c in iter_corrections(records, ontology):
            yield from exports.sft_rows([c], conversational=self.conversational)


for _exporter in (DpoExporter, RewardExporter, KtoExporter, SftExporter):
    register_exporter(_exporter.name)(_exporter)
    # the message-list form, reachable by name from `labelwell export` and the API
    register_exporter(f"{_exporter.name}_conversational")(
        partial(_exporter, conversational=True)  # type: ignore[arg-type]
    )
