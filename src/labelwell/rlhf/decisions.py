"""What a preference project's judgments decide, the same for every reader of
them (TRL training files, the reward model, the leaderboard, the bias audit).

* Only human annotations that a reviewer did not reject count
  (:func:`standing_judgments`).
* An item's prompt is its ``messages`` (a multi-turn conversation) when it has
  them, else its ``prompt`` string (:func:`prompt_item`).
* Pairwise judgments (on items with exactly two responses) are merged per pair
  by plurality (:func:`~labelwell.rlhf.aggregate.pairwise_majority`; a draw
  between the leading outcomes is a ``tie``); a pair's margin is the winner's
  votes minus the loser's.
* Rankings from several annotators are merged by Tideman's ranked pairs and
  turned into pairs with a strategy of :data:`PAIR_STRATEGIES` (``all_pairs``
  by default, ``best_vs_rest``, ``best_vs_random_lower``).
* ``judgments="per_annotator"`` skips the consensus: every annotator's judgment
  is its own decision (margin 1, a tie 0).
* A decision is a preference pair for ``a`` and ``b``, for ``tie`` only when
  ties are kept, never for ``both_bad`` (:func:`decision_pair`); as unpaired
  completions a ``both_bad`` gives two undesirable ones on request
  (:func:`decision_completions`).
* Corrections give one :class:`Correction` per annotator's corrected response.

Records are taken in chunks so the majority is computed once per chunk while
memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np

from labelwell.errors import InvalidInput
from labelwell.rlhf.aggregate import merge_rankings, pairwise_majority
from labelwell.rlhf.exports import unpair
from labelwell.rlhf.pairs import PAIR_STRATEGIES, ranking_to_comparisons
from labelwell.rlhf.records import (
    Comparison,
    Correction,
    LabelledCompletion,
    PreferencePair,
    PromptItem,
    comparison_from_result,
    preference,
)

if TYPE_CHECKING:
    from labelwell.formats.registry import ExportRecord, LabelRecord

PREFERENCE_TYPES = ("pairwise", "ranking")
#: records read at a time: one pairwise majority per chunk
CHUNK = 500
TIES = ("drop", "keep")
JUDGMENTS = ("aggregated", "per_annotator")


def one_of(name: str, value: Any, allowed: Iterable[str], what: str = "value") -> None:
    """Refuse ``value`` unless it is in ``allowed``, naming ``name`` and the choices."""
    allowed = sorted(allowed)
    if value not in allowed:
        raise InvalidInput(
            f"{name}: unknown {what} {value!r}; one of {', '.join(allowed)}", field=name
        )


def controls_of(ontology: Any, kind: str) -> list[str]:
    """Names of the ontology's controls of type ``kind``."""
    return [c.name for c in ontology.controls if c.type == kind]


def require_controls(
    ontology: Any, kinds: tuple[str, ...], subject: str, field: str | None = None
) -> None:
    """Refuse a project without a control of one of ``kinds``: ``subject`` (``"a
    leaderboard"``) needs one."""
    if not any(controls_of(ontology, k) for k in kinds):
        raise InvalidInput(
            f"{subject} needs a project with a {' or '.join(kinds)} control", field=field
        )


def prompt_item(record: ExportRecord) -> PromptItem:
    """The item as a prompt with responses; ``messages`` (a multi-turn prompt)
    wins over the flattened ``prompt`` string."""
    data = dict(record.data)
    data["prompt"] = data.get("messages") or data.get("prompt")
    return PromptItem.from_data(str(record.item_id), data)


def standing_judgments(record: ExportRecord) -> list[LabelRecord]:
    """The item's annotations that count: human ones a reviewer did not reject."""
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
    for a in standing_judgments(record):
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
        for a in standing_judgments(record):
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
    columns = ("item_id", "response_a", "response_b", "outcome", "n_a", "n_b")
    return [
        Decision(by_id[item_id], a, b, outcome, float(abs(n_a - n_b)))
        for item_id, a, b, outcome, n_a, n_b in zip(
            *(table[c].tolist() for c in columns), strict=True
        )
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
            for i, a in enumerate(standing_judgments(record))
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
    keep_ties: bool = False,
    judgments: str = "aggregated",
    chunk_size: int = CHUNK,
) -> Iterator[Decision]:
    """Decisions of a project's pairwise and ranking items, in item order: the
    consensus per pair (``aggregated``) or every annotator's own (``per_annotator``),
    reading ``chunk_size`` records at a time."""
    one_of("strategy", strategy, PAIR_STRATEGIES, "pair strategy")
    one_of("judgments", judgments, JUDGMENTS)
    rng = np.random.default_rng(seed)
    for chunk in _chunks(records, chunk_size):
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
    return preference(d.item, d.first, d.second, d.outcome, margin=d.margin)


def decision_completions(d: Decision, *, both_bad: bool = False) -> list[LabelledCompletion]:
    """A decision as unpaired completions (KTO): the chosen response desirable and
    the rejected one not; with ``both_bad`` a ``both_bad`` judgment gives both
    responses as undesirable; a tie gives none."""
    pair = decision_pair(d)
    if pair is not None:
        return unpair([pair])
    if d.outcome == "both_bad" and both_bad:
        return [
            LabelledCompletion(d.item.prompt, d.item.response(r).text, False, d.item.id)
            for r in (d.first, d.second)
        ]
    return []


def iter_corrections(records: Iterable[ExportRecord], ontology: Any) -> Iterator[Correction]:
    """One :class:`Correction` per annotator's corrected response."""
    names = controls_of(ontology, "correction")
    for record in records:
        if not names:
            return
        judged = [a for a in standing_judgments(record) if any(n in a.result for n in names)]
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
