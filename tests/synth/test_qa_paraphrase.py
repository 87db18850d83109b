"""QA pairs and paraphrases: chunking, parsing and the grounding check on fixed inputs."""

from __future__ import annotations

import pytest

from labelwell.errors import InvalidInput
from labelwell.synth.generate import chunks, grounding
from labelwell.synth.prompts import parse_qa
from labelwell.synth.records import SeedItem, generation_of

PASSAGE = (
    "The Danube flows through ten countries, more than any other river in the world. "
    "It rises in the Black Forest of Germany and empties into the Black Sea in Romania."
)


def test_chunks_cut_at_whitespace_with_overlap_and_cover_the_text():
    text = " ".join(f"w{i}" for i in range(400))
    parts = chunks(text, size=200, overlap=40)
    assert all(len(p) <= 200 for p in parts)
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in parts)
    words = [w for p in parts for w in p.split()]
    assert set(words) == set(text.split())  # nothing lost
    for a, b in zip(parts, parts[1:], strict=False):
        assert b.split()[0] in a.split()  # each chunk starts inside the last one
    assert chunks("short text", size=200, overlap=40) == ["short text"]
    with pytest.raises(InvalidInput):
        chunks(text, size=100, overlap=60)


def test_parse_qa_takes_the_question_and_answer_form():
    assert parse_qa("Question: Where does the Danube rise?\nAnswer: In the Black Forest.") == (
        "Where does the Danube rise?",
        "In the Black Forest.",
    )
    assert parse_qa("question:how many? ANSWER:ten") == ("how many?", "ten")
    assert parse_qa("The Danube is long.") is None
    assert parse_qa("Question: ?\nAnswer:   ") is None


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("ten countries", 1.0),  # a span of the passage
        ("It rises in the Black Forest of Germany", 1.0),
        ("the Black Sea in Romania", 1.0),
        ("into the Black Sea in Bulgaria", 5 / 6),  # one word of six not in the passage
        ("the Nile in Egypt", 2 / 4),  # "the" and "in" are in the passage, in order
        ("", 0.0),
    ],
)
def test_grounding_is_the_answers_share_found_in_order(answer, expected):
    assert grounding(answer, PASSAGE) == pytest.approx(expected)


def test_generation_counts_up_from_the_highest_seed():
    assert generation_of(()) == 1
    assert generation_of((SeedItem("1", "a"), SeedItem("2", "b"))) == 1
    assert generation_of((SeedItem("1", "a", generation=0), SeedItem("9", "b", generation=2))) == 3
