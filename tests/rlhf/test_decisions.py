"""The rules of what a preference project's judgments decide, applied directly."""

from __future__ import annotations

import pytest

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ExportRecord, LabelRecord, Provenance
from labelwell.rlhf.decisions import (
    Decision,
    decision_completions,
    decision_pair,
    iter_corrections,
    iter_decisions,
    prompt_item,
    record_comparisons,
    require_controls,
    standing_judgments,
)
from labelwell.rlhf.records import PromptItem, Response, as_messages, preference
from labelwell.schema import Ontology

PAIRWISE = Ontology.from_dict({"name": "p", "controls": [{"name": "pref", "type": "pairwise"}]})
RANKING = Ontology.from_dict(
    {"name": "r", "controls": [{"name": "rank", "type": "ranking", "allow_ties": True}]}
)
CORRECTION = Ontology.from_dict({"name": "c", "controls": [{"name": "fix", "type": "correction"}]})
AB = [{"id": "x", "text": "good"}, {"id": "y", "text": "bad"}]


def label(result, who="u1", source="human", status="submitted"):
    return LabelRecord(1, result, Provenance(source, who), status=status)


def pref(choice, who):
    return label({"pref": {"choice": choice}}, who)


def record(item_id, labels, responses=AB, **data):
    return ExportRecord(
        item_id, None, {"prompt": "Q?", "responses": responses, **data}, [], "done", labels
    )


ITEM = PromptItem("1", as_messages("Q?"), [Response("x", "good"), Response("y", "bad")])


def test_only_human_judgments_a_reviewer_kept_stand():
    kept = pref("a", "u1")
    rec = record(
        1,
        [
            kept,
            label({"pref": {"choice": "b"}}, "m@1", source="model"),
            label({"pref": {"choice": "b"}}, "u2", status="rejected"),
        ],
    )
    assert standing_judgments(rec) == [kept]


def test_messages_win_over_the_flattened_prompt():
    turns = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}]
    assert prompt_item(record(1, [], messages=turns)).prompt == turns
    assert prompt_item(record(1, [])).prompt == [{"role": "user", "content": "Q?"}]


def test_pairwise_consensus_is_a_plurality_with_its_margin_and_a_draw_is_a_tie():
    records = [
        record(1, [pref("a", "u1"), pref("a", "u2"), pref("b", "u3")]),
        record(2, [pref("a", "u1"), pref("b", "u2")]),
        record(3, [pref("both_bad", "u1")]),
        record(4, []),
    ]
    got = [
        (d.item.id, d.first, d.second, d.outcome, d.margin)
        for d in iter_decisions(records, PAIRWISE)
    ]
    assert got == [
        ("1", "x", "y", "a", 1.0),
        ("2", "x", "y", "tie", 0.0),
        ("3", "x", "y", "both_bad", 0.0),
    ]


def test_per_annotator_decisions_are_every_judgment_with_margin_one_or_zero():
    rec = record(1, [pref("a", "u1"), pref("tie", "u2"), pref("b", "u3")])
    got = [
        (d.outcome, d.margin) for d in iter_decisions([rec], PAIRWISE, judgments="per_annotator")
    ]
    assert got == [("a", 1.0), ("tie", 0.0), ("b", 1.0)]


def test_rankings_are_merged_then_paired_by_the_strategy():
    three = [{"id": r, "text": r.upper()} for r in ("r1", "r2", "r3")]
    rec = record(
        1,
        [
            label({"rank": [["r2"], ["r1"], ["r3"]]}, "u1"),
            label({"rank": [["r2"], ["r3"], ["r1"]]}, "u2"),
            label({"rank": [["r1"], ["r2"], ["r3"]]}, "u3"),
        ],
        responses=three,
    )
    pairs = {(d.first, d.second) for d in iter_decisions([rec], RANKING)}
    assert pairs == {("r2", "r1"), ("r2", "r3"), ("r1", "r3")}
    rest = {(d.first, d.second) for d in iter_decisions([rec], RANKING, strategy="best_vs_rest")}
    assert rest == {("r2", "r1"), ("r2", "r3")}


def test_chunk_size_does_not_change_the_decisions():
    records = [record(i, [pref("ab"[i % 2], "u1"), pref("a", "u2")]) for i in range(9)]
    whole = list(iter_decisions(records, PAIRWISE))
    assert list(iter_decisions(iter(records), PAIRWISE, chunk_size=2)) == whole
    assert [d.item.id for d in whole] == [str(i) for i in range(9)]


def test_unknown_strategy_and_judgments_are_named():
    with pytest.raises(InvalidInput, match="strategy: unknown pair strategy 'best'"):
        list(iter_decisions([], PAIRWISE, strategy="best"))
    with pytest.raises(InvalidInput, match="judgments: unknown value 'all'") as exc:
        list(iter_decisions([], PAIRWISE, judgments="all"))
    assert exc.value.field == "judgments"


def test_the_winner_of_a_decision_is_chosen_and_ties_only_on_request():
    b = decision_pair(Decision(ITEM, "x", "y", "b", 2.0))
    assert (b.chosen, b.rejected, b.chosen_id, b.margin, b.tie) == ("bad", "good", "y", 2.0, False)
    tie = Decision(ITEM, "x", "y", "tie", 0.0)
    assert decision_pair(tie) is None
    kept = decision_pair(tie, keep_ties=True)
    assert (kept.chosen, kept.rejected, kept.margin, kept.tie) == ("good", "bad", 0.0, True)
    assert decision_pair(Decision(ITEM, "x", "y", "both_bad", 1.0), keep_ties=True) is None
    assert preference(ITEM, "x", "y", "a").chosen_id == "x"
    assert preference(ITEM, "x", "y", "tie") is None


def test_completions_unpair_a_preference_and_keep_both_bad_on_request():
    won = decision_completions(Decision(ITEM, "x", "y", "a", 1.0))
    assert [(c.completion, c.label) for c in won] == [("good", True), ("bad", False)]
    both_bad = Decision(ITEM, "x", "y", "both_bad", 1.0)
    assert decision_completions(both_bad) == []
    bad = decision_completions(both_bad, both_bad=True)
    assert [(c.completion, c.label, c.item_id) for c in bad] == [
        ("good", False, "1"),
        ("bad", False, "1"),
    ]
    assert decision_completions(Decision(ITEM, "x", "y", "tie", 0.0), both_bad=True) == []


def test_record_comparisons_keep_each_annotator_and_tied_ranks_on_request():
    three = [{"id": r, "text": r} for r in ("r1", "r2", "r3")]
    rec = record(1, [label({"rank": [["r1", "r2"], ["r3"]]}, "u1")], responses=three)
    plain = record_comparisons(rec, RANKING)
    assert [(c.response_a, c.response_b, c.outcome) for c in plain] == [
        ("r1", "r3", "a"),
        ("r2", "r3", "a"),
    ]
    tied = record_comparisons(rec, RANKING, keep_ties=True)
    assert ("r1", "r2", "tie", "u1") in [
        (c.response_a, c.response_b, c.outcome, c.annotator) for c in tied
    ]
    assert record_comparisons(rec, CORRECTION) == []


def test_corrections_one_per_annotator_with_the_original():
    fix = {"fix": {"response_id": "y", "text": "better"}}
    rec = record(
        1,
        [
            label(fix, "u1"),
            label({"fix": {"response_id": "x", "text": "best"}}, "u2"),
            label(fix, "u3", status="rejected"),
        ],
    )
    got = [(c.text, c.original, c.response_id) for c in iter_corrections([rec], CORRECTION)]
    assert got == [("better", "bad", "y"), ("best", "good", "x")]
    assert list(iter_corrections([rec], PAIRWISE)) == []


def test_a_project_without_the_controls_is_refused_naming_what_needs_them():
    require_controls(PAIRWISE, ("pairwise", "ranking"), "a leaderboard")
    with pytest.raises(InvalidInput) as exc:
        require_controls(CORRECTION, ("pairwise", "ranking"), "the dpo export", field="format")
    assert exc.value.message == "the dpo export needs a project with a pairwise or ranking control"
    assert exc.value.field == "format"
