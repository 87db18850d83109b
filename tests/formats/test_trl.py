"""TRL exporters over a preference project's export records."""

from __future__ import annotations

import io
import json

import pytest

from labelwell.errors import InvalidInput
from labelwell.formats import trl
from labelwell.formats.registry import EXPORTERS, ExportRecord, LabelRecord, Provenance
from labelwell.rlhf.exports import dpo_rows
from labelwell.rlhf.records import PreferencePair, as_messages
from labelwell.schema import Ontology

datasets = pytest.importorskip("datasets")
trl_data = pytest.importorskip("trl.data_utils")

PAIRWISE = Ontology.from_dict({"name": "p", "controls": [{"name": "pref", "type": "pairwise"}]})
RANKING = Ontology.from_dict(
    {"name": "r", "controls": [{"name": "rank", "type": "ranking", "allow_ties": True}]}
)
CORRECTION = Ontology.from_dict({"name": "c", "controls": [{"name": "fix", "type": "correction"}]})


def label(result, who="ann1", source="human", status="submitted"):
    return LabelRecord(1, result, Provenance(source, who), status=status)


def record(item_id, responses, labels, prompt="Q?", **extra):
    data = {"prompt": prompt, "responses": [{"id": i, "text": t} for i, t in responses], **extra}
    return ExportRecord(item_id, None, data, [], "done", annotations=labels)


def pref(choice, who):
    return label({"pref": {"choice": choice}}, who)


def rows(fmt, records, ontology, **options):
    out = io.BytesIO()
    n = EXPORTERS[fmt](**options).write(records, out, ontology)
    found = [json.loads(x) for x in out.getvalue().decode().splitlines()]
    assert n == len(found)
    return found


def test_formats_are_registered():
    assert {"dpo", "reward", "kto", "sft"} <= set(EXPORTERS)


def test_pairwise_majority_ties_and_both_bad_are_dropped():
    ab = [("x", "good"), ("y", "bad")]
    records = [
        record(1, ab, [pref("a", "u1"), pref("a", "u2"), pref("b", "u3")], prompt="one"),
        record(2, ab, [pref("b", "u1"), pref("b", "u2")], prompt="two"),
        record(3, ab, [pref("a", "u1"), pref("b", "u2")], prompt="draw"),
        record(4, ab, [pref("both_bad", "u1"), pref("both_bad", "u2")], prompt="bad"),
        record(5, ab, [pref("tie", "u1")], prompt="tie"),
        record(6, ab, [], prompt="unlabelled"),
    ]
    got = rows("dpo", records, PAIRWISE)
    expected = dpo_rows(
        [
            PreferencePair(as_messages("one"), "good", "bad"),
            PreferencePair(as_messages("two"), "bad", "good"),
        ]
    )
    assert got == expected


def test_only_human_judgments_that_stand_count():
    ab = [("x", "good"), ("y", "bad")]
    labels = [
        pref("a", "u1"),
        label({"pref": {"choice": "b"}}, "model@1", source="model"),
        label({"pref": {"choice": "b"}}, "u2", status="rejected"),
    ]
    got = rows("dpo", [record(1, ab, labels)], PAIRWISE)
    assert got == [{"prompt": "Q?", "chosen": "good", "rejected": "bad"}]


def test_reward_rows_carry_the_vote_margin_and_trl_finds_the_prompt():
    ab = [("x", "good"), ("y", "bad")]
    votes = [pref("b", "u1"), pref("b", "u2"), pref("b", "u3"), pref("a", "u4")]
    got = rows("reward", [record(1, ab, votes)], PAIRWISE, margin=True)
    assert got == [{"chosen": "Q?\n\nbad", "rejected": "Q?\n\ngood", "margin": 2.0}]
    conv = rows("reward", [record(1, ab, votes)], PAIRWISE, conversational=True)[0]
    assert trl_data.is_conversational(conv)
    assert trl_data.maybe_extract_prompt(conv)["prompt"] == [{"role": "user", "content": "Q?"}]


def test_multi_turn_prompts_use_the_messages():
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]
    rec = record(1, [("x", "Hello."), ("y", "Hey")], [pref("a", "u1")], messages=messages)
    conv = rows("dpo", [rec], PAIRWISE, conversational=True)
    assert conv == [
        {
            "prompt": messages,
            "chosen": [{"role": "assistant", "content": "Hello."}],
            "rejected": [{"role": "assistant", "content": "Hey"}],
        }
    ]
    assert trl_data.is_conversational(conv[0])
    std = rows("dpo", [rec], PAIRWISE)
    assert std[0]["prompt"] == "System: Be brief.\n\nUser: Hi\n\nAssistant:"


def test_rankings_are_merged_then_paired_by_strategy():
    responses = [("r1", "one"), ("r2", "two"), ("r3", "three")]
    labels = [
        label({"rank": [["r2"], ["r1"], ["r3"]]}, "u1"),
        label({"rank": [["r2"], ["r1", "r3"]]}, "u2"),
        label({"rank": [["r1"], ["r2"], ["r3"]]}, "u3"),
    ]
    recs = [record(1, responses, labels)]
    all_pairs = rows("dpo", recs, RANKING)
    assert {(r["chosen"], r["rejected"]) for r in all_pairs} == {
        ("two", "one"),
        ("two", "three"),
        ("one", "three"),
    }
    best = rows("dpo", recs, RANKING, strategy="best_vs_rest")
    assert [(r["chosen"], r["rejected"]) for r in best] == [("two", "one"), ("two", "three")]
    lower = rows("dpo", recs, RANKING, strategy="best_vs_random_lower", seed=3)
    assert len(lower) == 1 and lower[0]["chosen"] == "two"
    assert lower == rows("dpo", recs, RANKING, strategy="best_vs_random_lower", seed=3)
    with pytest.raises(InvalidInput, match="unknown pair strategy"):
        rows("dpo", recs, RANKING, strategy="nope")


def test_kto_rows_match_trl_unpairing_and_keep_both_bad_on_request():
    ab = [("x", "good"), ("y", "bad")]
    recs = [
        record(1, ab, [pref("a", "u1")], prompt="one"),
        record(2, ab, [pref("both_bad", "u1")], prompt="two"),
    ]
    dpo = rows("dpo", recs, PAIRWISE)
    kto = rows("kto", recs, PAIRWISE)
    unpaired = trl_data.unpair_preference_dataset(datasets.Dataset.from_list(dpo))
    assert kto == unpaired.to_list()
    with_bad = rows("kto", recs, PAIRWISE, both_bad=True)
    assert with_bad[2:] == [
        {"prompt": "two", "completion": "good", "label": False},
        {"prompt": "two", "completion": "bad", "label": False},
    ]


def test_corrections_become_sft_rows_one_per_annotator():
    labels = [
        label({"fix": {"response_id": "r1", "text": "7 is prime."}}, "u1"),
        label({"fix": {"response_id": "r1", "text": "Seven."}}, "u2"),
    ]
    recs = [record(1, [("r1", "4")], labels, prompt="A prime?"), record(2, [("r1", "x")], [])]
    got = rows("sft", recs, CORRECTION)
    assert got == [
        {"prompt": "A prime?", "completion": "7 is prime."},
        {"prompt": "A prime?", "completion": "Seven."},
    ]
    conv = rows("sft", recs, CORRECTION, conversational=True)
    assert trl_data.is_conversational(conv[0])
    corrections = list(trl.iter_corrections(recs, CORRECTION))
    assert corrections[0].original == "4" and corrections[0].response_id == "r1"


def test_wrong_project_kind_is_refused():
    with pytest.raises(InvalidInput, match="pairwise or ranking"):
        rows("dpo", [], CORRECTION)
    with pytest.raises(InvalidInput, match="correction"):
        rows("sft", [], PAIRWISE)


def test_many_records_stream_in_chunks(monkeypatch):
    monkeypatch.setattr(trl, "CHUNK", 7)
    ab = [("x", "good"), ("y", "bad")]
    recs = [record(i, ab, [pref("a" if i % 3 else "b", "u1")], prompt=f"q{i}") for i in range(50)]
    got = rows("dpo", iter(recs), PAIRWISE)
    assert [r["prompt"] for r in got] == [f"q{i}" for i in range(50)]
    assert [r["chosen"] for r in got] == ["good" if i % 3 else "bad" for i in range(50)]


def test_record_comparisons_keep_every_judgment():
    ab = [("x", "good"), ("y", "bad")]
    rec = record(1, ab, [pref("a", "u1"), pref("both_bad", "u2")])
    found = trl.record_comparisons(rec, PAIRWISE)
    assert [(c.annotator, c.outcome) for c in found] == [("u1", "a"), ("u2", "both_bad")]
