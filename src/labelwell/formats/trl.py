"""TRL training files from a preference project's export stream.

Four exporters, registered as ``dpo``, ``reward``, ``kto`` and ``sft``, read the
:class:`ExportRecord` of items with ``pairwise``, ``ranking`` or ``correction``
controls (item data ``{"prompt", "messages"?, "responses": [{"id", "text"}]}``)
and write rows in TRL's column layouts (see :mod:`labelwell.rlhf.exports`) as
JSONL, Parquet or a ``datasets`` folder (:mod:`labelwell.rlhf.training_files`);
``dpo_conversational`` and the like write the message-list form. Every option
is one field of :class:`TrainingSetOptions`, checked in one place.

What the judgments decide (which annotations count, the consensus per pair,
rankings to pairs, ties, both-bad, margins, corrections) is the rule set of
:mod:`labelwell.rlhf.decisions`; this module only writes the decided pairs,
completions and corrections in TRL's shapes, reading :data:`CHUNK` records at a
time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import BaseModel, ConfigDict, Field

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ExportRecord, register_exporter
from labelwell.rlhf import exports, training_files
from labelwell.rlhf.decisions import (
    CHUNK,
    JUDGMENTS,
    PREFERENCE_TYPES,
    TIES,
    Decision,
    decision_completions,
    decision_pair,
    iter_corrections,
    iter_decisions,
    one_of,
    record_comparisons,
    require_controls,
)
from labelwell.rlhf.pairs import PAIR_STRATEGIES
from labelwell.rlhf.records import PreferencePair

__all__ = [
    "CHUNK",
    "EXPORTER_CLASSES",
    "DpoExporter",
    "KtoExporter",
    "RewardExporter",
    "SftExporter",
    "TrainingSetOptions",
    # the rules the exporters apply, for callers of this module
    "iter_corrections",
    "record_comparisons",
    "training_set_exporter",
]

_MEDIA = {
    "jsonl": (".jsonl", "application/x-ndjson"),
    "parquet": (".parquet", "application/vnd.apache.parquet"),
    "datasets": (".zip", "application/zip"),
}


class TrainingSetOptions(BaseModel):
    """What a TRL training file holds and how it is written: every option's name,
    default and meaning, once. The API takes them as query parameters
    (``GET .../rlhf/export``), the CLI as the flags of ``labelwell rlhf export``;
    :meth:`check` says which one is wrong.
    """

    model_config = ConfigDict(frozen=True)

    kind: str = Field("dpo", description="dpo, reward, kto or sft")
    conversational: bool = Field(False, description="message lists instead of plain text")
    strategy: str = Field(
        "all_pairs", description=f"rankings to pairs: {', '.join(PAIR_STRATEGIES.names())}"
    )
    seed: int | None = Field(0, description="seed of best_vs_random_lower")
    ties: str = Field("drop", description="drop or keep tied pairs (keep adds a tie column)")
    margin: bool = Field(False, description="reward: a margin column (winner's - loser's votes)")
    judgments: str = Field(
        "aggregated", description="aggregated (consensus per pair) or per_annotator"
    )
    both_bad: bool = Field(False, description="kto: both-bad pairs as two undesirable rows")
    output: str = Field(
        "jsonl", description="jsonl, parquet or datasets (a save_to_disk folder; zipped over HTTP)"
    )

    def check(self) -> TrainingSetOptions:
        """These options, or :class:`InvalidInput` naming the first bad one."""
        one_of("kind", self.kind, training_files.KINDS)
        one_of("strategy", self.strategy, PAIR_STRATEGIES, "pair strategy")
        one_of("ties", self.ties, TIES)
        one_of("judgments", self.judgments, JUDGMENTS)
        one_of("output", self.output, training_files.OUTPUTS)
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


class _TrlExporter:
    name = ""
    needs: tuple[str, ...] = PREFERENCE_TYPES

    def __init__(self, **options: Any) -> None:
        """``options``: the fields of :class:`TrainingSetOptions` but ``kind``."""
        self.options = TrainingSetOptions(kind=self.name, **options).check()
        self.extension, self.media_type = _MEDIA[self.options.output]

    @property
    def conversational(self) -> bool:
        return self.options.conversational

    def rows(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def check_ontology(self, ontology: Any) -> None:
        """Refuse a project whose controls cannot give this layout's rows."""
        require_controls(ontology, self.needs, f"the {self.name} export", field="format")

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
        self.check_ontology(ontology)
        o = self.options
        return iter_decisions(
            records,
            ontology,
            strategy=o.strategy,
            seed=o.seed,
            keep_ties=o.ties == "keep",
            judgments=o.judgments,
            chunk_size=CHUNK,
        )

    def _pairs(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[PreferencePair]:
        keep = self.options.ties == "keep"
        for d in self._decisions(records, ontology):
            pair = decision_pair(d, keep_ties=keep)
            if pair is not None:
                yield pair


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
            completions = decision_completions(d, both_bad=self.both_bad)
            yield from exports.kto_rows(completions, conversational=self.conversational)


class SftExporter(_TrlExporter):
    """``prompt, completion`` from corrected responses."""

    name = "sft"
    needs = ("correction",)

    def rows(self, records: Iterable[ExportRecord], ontology: Any) -> Iterator[dict[str, Any]]:
        self.check_ontology(ontology)
        for c in iter_corrections(records, ontology):
            yield from exports.sft_rows([c], conversational=self.conversational)


EXPORTER_CLASSES: dict[str, type[_TrlExporter]] = {
    c.name: c for c in (DpoExporter, RewardExporter, KtoExporter, SftExporter)
}


def training_set_exporter(options: TrainingSetOptions) -> _TrlExporter:
    """The exporter that writes what ``options`` ask for (checked first)."""
    o = options.check()
    kwargs = o.model_dump(exclude={"kind"})
    return EXPORTER_CLASSES[o.kind](**kwargs)


for _exporter in EXPORTER_CLASSES.values():
    register_exporter(_exporter.name)(_exporter)
    # the message-list form, reachable by name from `labelwell export` and the API
    register_exporter(f"{_exporter.name}_conversational")(partial(_exporter, conversational=True))
