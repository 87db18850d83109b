from __future__ import annotations

import json

import pytest

from labelwell.errors import InvalidInput
from labelwell.rlhf.imports import (
    read_arena_battles,
    read_kto_rows,
    read_label_studio_pairwise,
    read_sharegpt_pairs,
)


def test_sharegpt_pairs_from_demo(rlhf_data):
    pairs = read_sharegpt_pairs(rlhf_data / "dpo_en_demo.json")
    assert len(pairs) == 300
    raw = json.loads((rlhf_data / "dpo_en_demo.json").read_text())
    assert pairs[0].prompt == [{"role": "user", "content": raw[0]["conversations"][0]["value"]}]
    assert pairs[0].chosen == raw[0]["chosen"]["value"]
    assert all(p.prompt[-1]["role"] == "user" for p in pairs)
    assert {m["role"] for p in pairs for m in p.prompt} == {"system", "user", "assistant"}


def test_kto_rows_from_demo(rlhf_data):
    rows = read_kto_rows(rlhf_data / "kto_en_demo.json")
    assert len(rows) == 300
    assert sum(r.label for r in rows) == 150
    assert all(r.prompt[-1]["role"] == "user" for r in rows)


def test_arena_battles_and_line_numbers(tmp_path):
    p = tmp_path / "b.jsonl"
    p.write_text(
        '{"model_a": "x", "model_b": "y", "winner": "tie (bothbad)", "turn": 1}\n\n'
        '{"model_a": "y", "model_b": "x", "winner": "model_b"}\n'
    )
    df = read_arena_battles(p)
    assert df.to_dict("records") == [
        {"model_a": "x", "model_b": "y", "winner": "tie (bothbad)"},
        {"model_a": "y", "model_b": "x", "winner": "model_b"},
    ]
    p.write_text('{"model_a": "x", "model_b": "y", "winner": "model_a"}\n{"model_a": "x"}\n')
    with pytest.raises(InvalidInput, match="line 2: model_b") as err:
        read_arena_battles(p)
    assert err.value.line == 2
    p.write_text("{not json\n")
    with pytest.raises(InvalidInput, match="line 1"):
        read_arena_battles(p)


def test_sharegpt_errors_name_the_record(tmp_path):
    p = tmp_path / "pairs.json"
    good = {
        "conversations": [{"from": "human", "value": "hi"}],
        "chosen": {"from": "gpt", "value": "hello"},
        "rejected": {"from": "gpt", "value": "go away"},
    }
    p.write_text(json.dumps([good, {**good, "chosen": {"from": "robot", "value": "x"}}]))
    with pytest.raises(InvalidInput, match="record 1 chosen"):
        read_sharegpt_pairs(p)


def test_label_studio_pairwise_both_templates(tmp_path):
    tasks = [
        {
            "id": 7,
            "data": {"prompt": "Q?", "answer1": "A1", "answer2": "A2"},
            "annotations": [
                {
                    "id": 1,
                    "completed_by": {"id": 3, "email": "x@y.org"},
                    "result": [{"type": "pairwise", "value": {"selected": "right"}}],
                },
                {
                    "id": 2,
                    "completed_by": 4,
                    "result": [{"type": "choices", "value": {"choices": ["answer1"]}}],
                },
                {"id": 3, "was_cancelled": True, "result": []},
            ],
        }
    ]
    p = tmp_path / "ls.json"
    p.write_text(json.dumps(tasks))
    items, comps = read_label_studio_pairwise(p)
    assert items[0].id == "7" and items[0].response("b").text == "A2"
    assert [(c.outcome, c.annotator) for c in comps] == [("b", "x@y.org"), ("a", "4")]
