"""TRL training files from a preference project's export stream.

Four exporters, registered as ``dpo``, ``reward``, ``kto`` and ``sft``, read the
:class:`ExportRecord` of items with ``pairwise``, ``ranking`` or ``correction``
controls (item data ``{"prompt", "messages"?, "responses": [{"id", "text"}]}``)
and write rows in TRL's column layouts (see :mod:`labelwell.rlhf.exports`) as
JSONL, Parquet or a ``datasets`` folder (:mod:`labelwell.rlhf.training_files`);
``dpo_conversational`` and the like write the message-list form. Every option
is one field of :class:`TrainingSetOptions`, checked in one place:

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
``judgments="per_annotator"`` skips the consensus and writes every annotator's
judgment as its own row (margin 1); ``ties="keep"`` writes tied pairs too, with a
boolean ``tie`` column (and margin 0).
Records are taken in chunks so the majority is computed once per chunk while
memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ExportRecord, LabelRecord, register_exporter
from labelwell.rlhf import exports, training_files
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
TIES = ("drop", "keep")
JUDGMENTS = ("aggregated", "per_annotator")
_MEDIA = {
    "jsonl": (".jsonl", "application/x-ndjson"),
    "parquet": (".parquet", "application/vnd.apache.parquet"),
    "datasets": (".zip", "application/zip"),
}


def _one_of(name: str, value: Any, allowed: Iterable[str], what: str = "value") -> None:
    allowed = sorted(allowed)
    if value not in allowed:
        raise InvalidInput(
            f"{name}: unknown {what} {value!r}; one of {', '.join(allowed)}", field=name
        )


@dataclass(frozen=True, slots=True)
class TrainingSetOptions:
    """What a TRL training file holds and how it is written.

    ``kind``: ``dpo``, ``reward``, ``kto`` or ``sft``; ``conversational``: message
    lists instead of text; ``strategy``: how rankings become pairs, with ``seed``
    for ``best_vs_random_lower``; ``ties``: ``drop`` or ``keep`` tied pairs;
    ``margin``: the reward layout's vote margin column; ``judgments``:
    ``aggregated`` (consensus per pair) or ``per_annotator``; ``both_bad``: KTO
    rows for pairs judged both bad; ``output``: ``jsonl``, ``parquet`` or
    ``datasets``.
    """

    kind: str = "dpo"
    conversational: bool = False
    strategy: str = "all_pairs"
    seed: int | None = 0
    ties: str = "drop"
    margin: bool = False
    judgments: str = "aggregated"
    both_bad: bool = False
    output: str = "jsonl"

    def check(self) -> TrainingSetOptions:
        """These options, or :class:`InvalidInput` naming the first bad one."""
        _one_of("kind", self.kind, training_files.KINDS)
        _one_of("strategy", self.strategy, PAIR_STRATEGIES, "pair strategy")
        _one_of("ties", self.ties, TIES)
        _one_of("judgments", self.judgments, JUDGMENTS)
        _one_of("output", self.output, training_files.OUTPUTS)
        if self.seed is not None and (not isinstance(self.seed, int) or self.seed < 0):
            raise InvalidInput(
                f"seed: must be a non-negative integer, got {self.seed!r}", field="seed"
            )
        if self.margin and self.kind != "reward":
            raise InvalidInput("margin: only the reward layout has a margin column", field="margin")
        if self.both_bad and self.kind != "kto":
            raise InvalidInput(
                "both_bad: only the kto layout keeps both-bad pairs", field="both_bad"
            )
        if self.ties == "keep" and self.kind not in ("dpo", "reward"):
            raise InvalidInput(
                f"ties: a {self.kind} row cannot say that two responses tie; keep ties "
                "with dpo or reward",
                field="ties",
            )
        if self.kind == "sft":
            if self.strategy != "all_pairs":
                raise InvalidInput(
                    "strategy: sft rows come from corrections, not pairs", field="strategy"
                )
            if self.judgments != "aggregated":
                raise InvalidInput(
                    "judgments: sft rows are always one per annotator's correction",
                    field="judgments",
                )
        return self

    @property
    def features(self) -> dict[str, Any]:
        """The ``datasets`` features of the rows these options write."""
        return training_files.layout_features(
            self.kind,
            conversational=self.conversational,
            margin=self.margin,
            ties=self.ties == "keep",
        )


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
    keep_ties: bool = False,
) -> list[Comparison]:
    """Every annotator's judgments on one item as comparisons (no consensus):
    pairwise answers as they are, rankings turned into pairs with ``strategy``
    (tied responses of a ranking as ``tie`` comparisons with ``keep_ties``)."""
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
                    item_id,
                    a.result[name],
                    strategy=strategy,
                    rng=rng,
                    annotator=who,
                    keep_ties=keep_ties,
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
    record: ExportRecord,
    item: PromptItem,
    ontology: Any,
    strategy: str,
    rng: np.random.Generator,
    keep_ties: bool = False,
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
        pairs = ranking_to_comparisons(
            item.id, merged, strategy=strategy, rng=rng, keep_ties=keep_ties
        )
        out += [Decision(item, c.response_a, c.response_b, c.outcome, None) for c in pairs]
    return out


def _chunks(records: Iterable[ExportRecord], size: int) -> Iterator[list[ExportRecord]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


def _annotator_decisions(
    record: ExportRecord,
    item: PromptItem,
    ontology: Any,
    strategy: str,
    rng: np.random.Generator,
    keep_ties: bool,
) -> list[Decision]:
    found = record_comparisons(record, ontology, strategy=strategy, rng=rng, keep_ties=keep_ties)
    return [
        Decision(item, c.response_a, c.response_b, c.outcome, 1.0 if c.outcome in "ab" else 0.0)
        for c in found
    ]


def iter_decisions(
    records: Iterable[ExportRecord],
    ontology: Any,
    *,
    strategy: str = "all_pairs",
    seed: int | None = 0,
    keep_ties: bool = False,
    judgments: str = "aggregated",
) -> Iterator[Decision]:
    """Decisions of a project's pairwise and ranking items, in item order: the
    consensus per pair (``aggregated``) or every annotator's own (``per_annotator``)."""
    _one_of("strategy", strategy, PAIR_STRATEGIES, "pair strategy")
    _one_of("judgments", judgments, JUDGMENTS)
    rng = np.random.default_rng(seed)
    for chunk in _chunks(records, CHUNK):
        with_items = [(r, prompt_item(r)) for r in chunk if r.data.get("responses")]
        if judgments == "per_annotator":
            for record, item in with_items:
                yield from _annotator_decisions(record, item, ontology, strategy, rng, keep_ties)
            continue
        yield from _pairwise_decisions(with_items, ontology)
        for record, item in with_items:
            yield from _ranking_decisions(record, item, ontology, strategy, rng, keep_ties)


def decision_pair(d: Decision, *, keep_ties: bool = False) -> PreferencePair | None:
    """The preference a decision carries, or ``None`` for ``both_bad`` and (unless
    ``keep_ties``) ``tie``; a kept tie is a pair with ``tie=True`` in item order."""
    if d.outcome == "tie" and keep_ties:
        return PreferencePair(
            d.item.prompt,
            d.item.response(d.first).text,
            d.item.response(d.second).text,
            margin=0.0,
            item_id=d.item.id,
            chosen_id=d.first,
            rejected_id=d.second,
            tie=True,
        )
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
    name = ""
    needs: tuple[str, ...] = PREFERENCE_TYPES

    def __init__(
        self,
        *,
        conversational: bool = False,
        strategy: str = "all_pairs",
        seed: int | None = 0,
        ties: str = "drop",
        judgments: str = "aggregated",
        output: str = "jsonl",
        margin: bool = False,
        both_bad: bool = False,
    ) -> None:
        self.options = TrainingSetOptions(
            kind=self.name,
            conversational=conversational,
            strategy=strategy,
            seed=seed,
            ties=ties,
            margin=margin,
            judgments=judgments,
            both_bad=both_bad,
            output=output,
        ).check()
        self.extension, self.media_type = _MEDIA[output]

    @property
    def conversational(self) -> bool:
        return self.options.conversational

    def rows(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def check_ontology(self, ontology: Any) -> None:
        """Refuse a project whose controls cannot give this layout's rows."""
        _need(ontology, ("correction",) if self.name == "sft" else PREFERENCE_TYPES, self.name)

    def write(self, records: Iterable[ExportRecord], out: BinaryIO, ontology: Any) -> int:
        """Write the rows as the options' output (a ``datasets`` folder as a zip);
        return the number of rows (training examples) written."""
        return training_files.write_training_stream(
            self.rows(records, ontology), out, self.options.output, self.options.features
        )

    def export_dir(self, records: Iterable[ExportRecord], folder: Path, ontology: Any) -> int:
        """Write the rows as a ``datasets`` folder (``save_to_disk`` layout)."""
        return training_files.write_dataset_folder(
            self.rows(records, ontology), folder, self.options.features
        )

    def _decisions(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[Decision]:
        _need(ontology, PREFERENCE_TYPES, self.name)
        o = self.options
        return iter_decisions(
            records,
            ontology,
            strategy=o.strategy,
            seed=o.seed,
            keep_ties=o.ties == "keep",
            judgments=o.judgments,
        )

    def _pairs(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[PreferencePair]:
        keep = self.options.ties == "keep"
        for d in self._decisions(records, ontology):
            pair = decision_pair(d, keep_ties=keep)
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
        ties = self.options.ties == "keep"
        for pair in self._pairs(records, ontology):
            yield from exports.dpo_rows([pair], conversational=self.conversational, ties=ties)


class RewardExporter(_TrlExporter):
    """``chosen, rejected`` with the prompt inside each (implicit prompt), and a
    ``margin`` column (vote difference; 0.0 for ranked pairs) when asked."""

    name = "reward"

    @property
    def margin(self) -> bool:
        return self.options.margin

    def rows(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[dict[str, Any]]:
        ties = self.options.ties == "keep"
        for pair in self._pairs(records, ontology):
            yield from exports.reward_rows(
                [pair], conversational=self.conversational, margin=self.margin, ties=ties
            )


class KtoExporter(_TrlExporter):
    """``prompt, completion, label``: the chosen response desirable, the rejected
    one not; with ``both_bad=True`` a ``both_bad`` judgment gives two undesirable
    rows."""

    name = "kto"

    @property
    def both_bad(self) -> bool:
        return self.options.both_bad

    def rows(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[dict[str, Any]]:
        for d in self._decisions(records, ontology):
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
    needs = ("correction",)

    def rows(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[dict[str, Any]]:
        _need(ontology, ("correction",), self.name)
        for c in iter_corrections(records, ontology):
            yield from exports.sft_rows([c], conversational=self.conversational)


EXPORTER_CLASSES: dict[str, type[_TrlExporter]] = {
    c.name: c for c in (DpoExporter, RewardExporter, KtoExporter, SftExporter)
}


def training_set_exporter(options: TrainingSetOptions) -> _TrlExporter:
    """The exporter that writes what ``options`` ask for (checked first)."""
    o = options.check()
    kwargs = {k: v for k, v in asdict(o).items() if k != "kind"}
    return EXPORTER_CLASSES[o.kind](**kwargs)


for _exporter in EXPORTER_CLASSES.values():
    register_exporter(_exporter.name)(_exporter)
    # the message-list form, reachable by name from `labelwell export` and the API
    register_exporter(f"{_exporter.name}_conversational")(
        partial(_exporter, conversational=True)  # type: ignore[arg-type]
    )
