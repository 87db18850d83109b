from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

datasets = pytest.importorskip("datasets")
trl_data = pytest.importorskip("trl.data_utils")

from labelwell.errors import InvalidInput  # noqa: E402
from labelwell.rlhf.exports import (  # noqa: E402
    dpo_rows,
    kto_rows,
    reward_rows,
    sft_rows,
    unpair,
    write_rows,
)
from labelwell.rlhf.imports import read_sharegpt_pairs  # noqa: E402
from labelwell.rlhf.records import Correction, PreferencePair, as_messages  # noqa: E402

PAIRS = [
    PreferencePair(as_messages("The sky is"), "blue.", "green.", margin=2.0),
    PreferencePair(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "2+2?"},
        ],
        "4",
        "5",
    ),
]


def test_dpo_standard_and_conversational_pass_trl_checks():
    std = datasets.Dataset.from_list(dpo_rows(PAIRS))
    conv = datasets.Dataset.from_list(dpo_rows(PAIRS, conversational=True))
    assert not trl_data.is_conversational(std[0])
    assert trl_data.is_conversational(conv[0])
    assert std[0] == {"prompt": "The sky is", "chosen": "blue.", "rejected": "green."}
    assert std[1]["prompt"] == "System: Be brief.\n\nUser: 2+2?\n\nAssistant:"
    # an explicit prompt is left as it is by maybe_extract_prompt
    assert trl_data.maybe_extract_prompt(conv[1]) == conv[1]


def test_reward_rows_implicit_prompt_is_recovered_by_trl():
    for conversational in (False, True):
        rows = reward_rows(PAIRS, conversational=conversational, margin=True)
        assert [r["margin"] for r in rows] == [2.0, 0.0]
        ds = datasets.Dataset.from_list(rows)
        extracted = ds.map(trl_data.maybe_extract_prompt)
        explicit = dpo_rows(PAIRS, conversational=conversational)
        for got, want in zip(extracted, explicit, strict=True):
            if conversational:
                assert got["prompt"] == want["prompt"]
                assert got["chosen"] == want["chosen"]
            else:
                assert got["prompt"].strip() == want["prompt"]
                assert got["chosen"].strip() == want["chosen"]


def test_kto_rows_equal_trl_unpairing():
    rows = dpo_rows(PAIRS)
    theirs = trl_data.unpair_preference_dataset(datasets.Dataset.from_list(rows)).to_list()
    ours = kto_rows(unpair(PAIRS))
    key = lambda r: (r["prompt"], r["completion"], r["label"])  # noqa: E731
    assert sorted(map(key, ours)) == sorted(map(key, theirs))
    conv = kto_rows(unpair(PAIRS), conversational=True)
    assert trl_data.is_conversational(conv[0])


def test_sft_from_corrections():
    c = Correction(as_messages("Fix: teh cat"), "the cat", original="teh cat")
    assert sft_rows([c]) == [{"prompt": "Fix: teh cat", "completion": "the cat"}]
    conv = sft_rows([c], conversational=True)[0]
    assert conv["completion"] == [{"role": "assistant", "content": "the cat"}]
    assert trl_data.is_conversational(conv)


def test_writers_round_trip(tmp_path, rlhf_data):
    pairs = read_sharegpt_pairs(rlhf_data / "dpo_en_demo.json")
    rows = dpo_rows(pairs, conversational=True)
    assert write_rows(rows, tmp_path / "d.jsonl") == 300
    back = [json.loads(line) for line in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert back == rows
    write_rows(rows, tmp_path / "d.parquet", "parquet")
    assert pq.read_table(tmp_path / "d.parquet").to_pylist() == rows
    write_rows(rows, tmp_path / "hf", "hf")
    ds = datasets.load_from_disk(str(tmp_path / "hf"))
    assert ds.num_rows == 300 and trl_data.is_conversational(ds[0])
    assert ds[5] == rows[5]
    unpaired = trl_data.unpair_preference_dataset(ds)
    assert unpaired.num_rows == 600
    with pytest.raises(InvalidInput, match="unknown format"):
        write_rows(rows, tmp_path / "x", "csv")
