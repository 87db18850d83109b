from __future__ import annotations

import json

import numpy as np
import pytest

from labelwell.errors import InvalidInput
from labelwell.rlhf.prompts import (
    diversity_report,
    near_duplicates,
    prompts_from_messages,
    read_prompts,
)


def test_jsonl_csv_and_message_lists(tmp_path):
    jl = tmp_path / "p.jsonl"
    jl.write_text(
        json.dumps({"id": "a", "prompt": "Hola", "language": "es", "tags": {"source": "x"}})
        + "\n\n"
        + json.dumps([{"role": "system", "content": "S"}, {"role": "user", "content": "Hi"}])
        + "\n"
    )
    items = read_prompts(jl)
    assert items[0].id == "a" and items[0].tags == {"source": "x", "language": "es"}
    assert items[1].id == "3" and items[1].prompt[0]["role"] == "system"
    cs = tmp_path / "p.csv"
    cs.write_text("prompt,topic,red_teaming\nHow to bake?,cooking,\nBypass a lock,security,yes\n")
    rows = read_prompts(cs)
    assert [r.tags for r in rows] == [
        {"topic": "cooking"},
        {"topic": "security", "red_teaming": "yes"},
    ]
    conv = prompts_from_messages([[{"role": "user", "content": "Q"}]])
    assert conv[0].prompt == [{"role": "user", "content": "Q"}]


def test_bad_prompt_lines(tmp_path):
    p = tmp_path / "p.jsonl"
    p.write_text('{"prompt": "ok"}\n{"prompt": ""}\n')
    with pytest.raises(InvalidInput, match="line 2") as err:
        read_prompts(p)
    assert err.value.line == 2
    p.write_text('[{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]\n')
    with pytest.raises(InvalidInput, match="assistant"):
        read_prompts(p)


def test_near_duplicates_by_cosine():
    e = np.array([[1, 0, 0], [0.99, 0.1, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    d = near_duplicates(["a", "b", "c", "d"], e, threshold=0.95, block=2)
    assert d[["id_a", "id_b"]].values.tolist() == [["a", "b"]]
    assert d.cosine[0] == pytest.approx(0.99 / np.hypot(0.99, 0.1))


def test_diversity_report_counts_and_gaps(tmp_path):
    p = tmp_path / "p.jsonl"
    lines = [
        {"prompt": "Translate cat", "language": "en", "topic": "lang"},
        {"prompt": "Translate cat!", "language": "en", "topic": "lang"},
        {"prompt": "Recette de crêpes", "language": "fr", "topic": "cooking"},
        {"prompt": "Write a poem", "topic": "art"},
    ]
    p.write_text("".join(json.dumps(x) + "\n" for x in lines))
    items = read_prompts(p)
    vocab = ["translate", "cat", "recette", "poem"]

    def embed(texts):
        return np.array([[t.lower().count(w) for w in vocab] for t in texts], dtype=float)

    rep = diversity_report(
        items, targets={"language": {"en": 0.4, "fr": 0.4, "de": 0.2}}, embed=embed
    )
    lang = rep.counts[rep.counts.tag == "language"].set_index("value")
    assert lang.loc["en", "count"] == 2 and lang.loc["fr", "share"] == 0.25
    assert rep.duplicates[["id_a", "id_b"]].values.tolist() == [["1", "2"]]
    gaps = rep.gaps.set_index("value")
    assert gaps.loc["de", "gap"] == pytest.approx(0.2)
    assert gaps.loc["en", "gap"] == pytest.approx(-0.1)
    assert rep.gaps.value.iloc[0] == "de"
