"""Consensus rules for overlap-N work and the "guideline needs work" signal.

For an item labelled by ``N`` annotators: all agree -> accept the label; a strict
majority agrees -> accept the majority label and send the item to review for the
dissenters' answers; no majority -> escalate to an expert. This is the
accept / review / escalate routing of overlap-3 production labelling (e.g.
Snow et al. 2008, sec. 3, majority of independent annotations; Sheng, Provost &
Ipeirotis 2008, "Get another label?", KDD, repeated labelling with majority).

The guideline signal is the per-label disagreement rate: for label ``c``, the
share of multiply-labelled items that received ``c`` from someone and were not
unanimous; classes above a threshold keep producing disagreement, which usually
means their definition needs work.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput
from labelwell.quality._frame import Encoded, encode

Outcome = Literal["accept", "review", "escalate", "pending"]


@dataclass(frozen=True)
class Decision:
    """Consensus on one item.

    ``outcome``: ``accept`` (unanimous), ``review`` (majority ``label`` accepted,
    item sent to review for the ``dissenters``), ``escalate`` (no majority: an
    expert decides, ``label`` is ``None``) or ``pending`` (fewer votes than the
    overlap). ``votes`` maps worker -> label.
    """

    outcome: Outcome
    label: Hashable | None
    dissenters: tuple[Hashable, ...] = ()
    votes: Mapping[Hashable, Hashable] = field(default_factory=dict)
    item: Hashable | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome in ("accept", "review")


def decide(
    votes: Mapping[Hashable, Hashable],
    overlap: int | None = None,
    *,
    item: Hashable | None = None,
) -> Decision:
    """Apply the overlap-N rules to one item's ``worker -> label`` votes.

    With ``overlap`` set, an item with fewer votes stays ``pending``. A majority
    is more than half of the votes.
    """
    votes = dict(votes)
    if overlap is not None and overlap < 1:
        raise InvalidInput(f"overlap must be at least 1, got {overlap}")
    if not votes or (overlap is not None and len(votes) < overlap):
        return Decision("pending", None, (), votes, item)
    (label, count), *_ = Counter(votes.values()).most_common(1)
    if count == len(votes):
        return Decision("accept", label, (), votes, item)
    if 2 * count > len(votes):
        dissenters = tuple(w for w, lab in votes.items() if lab != label)
        return Decision("review", label, dissenters, votes, item)
    return Decision("escalate", None, (), votes, item)


def decide_all(frame: pd.DataFrame, overlap: int | None = None) -> pd.DataFrame:
    """The rules of :func:`decide` for every task of a ``task, worker, label``
    frame at once. Returns ``task, outcome, label, n_votes, n_dissenters``;
    ``label`` is missing where the outcome is ``escalate`` or ``pending``."""
    enc = encode(frame)
    flat = enc.task_idx * enc.n_labels + enc.label_idx
    counts = np.bincount(flat, minlength=enc.n_tasks * enc.n_labels)
    counts = counts.reshape(enc.n_tasks, enc.n_labels)
    n_votes = counts.sum(axis=1)
    top = counts.argmax(axis=1)
    top_count = counts.max(axis=1)
    outcome = np.where(
        top_count == n_votes, "accept", np.where(2 * top_count > n_votes, "review", "escalate")
    ).astype(object)
    if overlap is not None:
        outcome[n_votes < overlap] = "pending"
    has_label = (outcome == "accept") | (outcome == "review")
    label = np.where(has_label, enc.labels[top], None)
    return pd.DataFrame(
        {
            "task": enc.tasks,
            "outcome": outcome,
            "label": label,
            "n_votes": n_votes,
            "n_dissenters": np.where(outcome == "review", n_votes - top_count, 0),
        }
    )


@dataclass(frozen=True)
class GuidelineSignal:
    """A label class that keeps producing disagreement, with example items."""

    label: Hashable
    n_items: int
    n_disputed: int
    disagreement_rate: float
    confused_with: dict[Hashable, int]
    examples: tuple[Hashable, ...]

    @property
    def message(self) -> str:
        other = next(iter(self.confused_with), None)
        confused = f"; most often against {other!r}" if other is not None else ""
        return (
            f"label {self.label!r} is disputed on {self.disagreement_rate:.0%} of the "
            f"{self.n_items} items it was given to{confused}: its guideline needs work"
        )


def _presence(frame: pd.DataFrame) -> tuple[Encoded, np.ndarray, np.ndarray, np.ndarray]:
    """Encoded frame, multiply-labelled task rows, label-given matrix and disputed
    flags of those tasks."""
    enc = encode(frame)
    flat = enc.task_idx * enc.n_labels + enc.label_idx
    counts = np.bincount(flat, minlength=enc.n_tasks * enc.n_labels)
    counts = counts.reshape(enc.n_tasks, enc.n_labels)
    multi = np.flatnonzero(counts.sum(axis=1) >= 2)
    given = counts[multi] > 0
    disputed = given.sum(axis=1) > 1
    return enc, multi, given, disputed


def disagreement_by_label(frame: pd.DataFrame) -> pd.DataFrame:
    """Per label, over tasks with at least two votes: ``n_items`` (tasks where
    someone gave the label), ``n_disputed`` (of those, not unanimous) and
    ``disagreement_rate``."""
    enc, _, given, disputed = _presence(frame)
    n_items = given.sum(axis=0)
    n_disputed = (given & disputed[:, None]).sum(axis=0)
    rate = np.divide(n_disputed, n_items, out=np.zeros(len(n_items)), where=n_items > 0)
    return pd.DataFrame(
        {"n_items": n_items, "n_disputed": n_disputed, "disagreement_rate": rate},
        index=pd.Index(enc.labels, name="label"),
    )


def guideline_signals(
    frame: pd.DataFrame,
    min_rate: float = 0.30,
    *,
    min_items: int = 5,
    n_examples: int = 5,
) -> list[GuidelineSignal]:
    """Labels whose disagreement rate is at least ``min_rate`` over at least
    ``min_items`` multiply-labelled items, worst first, each with the labels it is
    confused with (co-occurrence counts on disputed items) and up to
    ``n_examples`` disputed task ids."""
    enc, multi, given, disputed = _presence(frame)
    table = disagreement_by_label(frame)
    n_items, n_disputed = table["n_items"].to_numpy(), table["n_disputed"].to_numpy()
    rate = table["disagreement_rate"].to_numpy()
    in_dispute = given & disputed[:, None]
    co = in_dispute.T.astype(np.int64) @ in_dispute.astype(np.int64)
    np.fill_diagonal(co, 0)
    chosen = np.flatnonzero((rate >= min_rate) & (n_items >= min_items))
    signals = []
    for j in chosen[np.argsort(-rate[chosen], kind="stable")]:
        partners = np.argsort(-co[j], kind="stable")
        confused = {enc.labels[k]: int(co[j, k]) for k in partners if co[j, k] > 0}
        examples = enc.tasks[multi[np.flatnonzero(in_dispute[:, j])[:n_examples]]]
        signals.append(
            GuidelineSignal(
                label=enc.labels[j],
                n_items=int(n_items[j]),
                n_disputed=int(n_disputed[j]),
                disagreement_rate=float(rate[j]),
                confused_with=confused,
                examples=tuple(examples.tolist()),
            )
        )
    return signals
