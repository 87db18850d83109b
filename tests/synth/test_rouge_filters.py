"""ROUGE-L against Google's rouge-score on the same pairs, and the papers'
filters on their published examples."""

from __future__ import annotations

import pytest
from rouge_score import rouge_scorer

from labelwell.synth import filters
from labelwell.synth.prompts import parse_self_instruct, self_instruct_prompt
from labelwell.synth.rouge import rouge_l, rouge_l_max

# seed tasks as in Self-Instruct's seed_tasks.jsonl (written down from the paper's
# repository as remembered, not copied from the file: no network here)
SEEDS = [
    "Is there anything I can eat for a breakfast that doesn't include eggs, yet includes "
    "protein, and has roughly 700-1000 calories?",
    "What is the relation between the given pairs?",
    "Generate a one-sentence description for each of the following people.",
    "Describe a situation in which the given stereotype can harm you.",
    "Generate an appropriate subjective title for the following email:",
    "How do you answer this question in a job interview?",
    "Brainstorm a list of possible New Year's resolutions.",
    "Explain the following idiom to me, and try to give me some examples.",
]
PAIRS = [
    (SEEDS[0], "Is there anything I can eat for lunch that doesn't include meat but has protein?"),
    (SEEDS[1], "What is the relation between the given pairs of words?"),
    (SEEDS[6], "Brainstorm a list of possible resolutions for the new year."),
    ("A B C D", "a b, c d!!"),
    ("the cat sat on the mat", "on the mat the cat sat"),
    ("", "anything"),
    ("x y z", "1 2 3"),
    ("Café naïve résumé 2023", "cafe naive resume 2023"),
]


@pytest.mark.parametrize(("ref", "cand"), PAIRS)
def test_rouge_l_equals_rouge_score(ref, cand):
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    assert rouge_l(ref, cand) == pytest.approx(
        scorer.score(ref, cand)["rougeL"].fmeasure, abs=1e-12
    )


def test_rouge_l_max_is_the_best_of_the_pool():
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    cand = "What is the relation between these given pairs of numbers?"
    want = max(scorer.score(s, cand)["rougeL"].fmeasure for s in SEEDS)
    assert rouge_l_max(cand, SEEDS) == pytest.approx(want)
    assert rouge_l_max(cand, []) == 0.0


def test_self_instruct_novelty_filter_keeps_under_0_7():
    assert filters.novelty(SEEDS[1] + "  ", SEEDS) == "duplicate"
    assert filters.novelty("What is the relation between the given pairs of words?", SEEDS) == (
        "low_novelty"
    )
    assert (
        filters.novelty("Translate the sentence into French and explain the tense.", SEEDS) is None
    )


@pytest.mark.parametrize(
    ("instruction", "rule"),
    [
        ("Sort numbers.", "too_short"),
        ("word " * 151, "too_long"),
        ("Describe the image below in three sentences.", "unsuitable_keyword"),
        ("Draw a flowchart of the login process for a website.", "unsuitable_keyword"),
        ("Go to the website and summarise its front page.", "unsuitable_keyword"),
        ("Write a program to compute the factorial of a number.", "write_a_program"),
        ("- List three fruits that are rich in vitamin C.", "starts_with_punctuation"),
        ("¿Cuál es la capital de Francia y por qué?", "starts_non_english"),
        ("Suggest a name for a bakery that sells only vegan bread.", None),
        # "mapping" is not the word "map": the paper matches whole words
        ("Explain the mapping between keys and values in a dictionary.", None),
    ],
)
def test_self_instruct_heuristic_filters(instruction, rule):
    assert filters.self_instruct_heuristics(instruction) == rule


def test_self_instruct_prompt_and_parse_follow_the_paper():
    prompt = self_instruct_prompt(["Give me a joke:", "Sort   the list."])
    assert prompt == "Come up with a series of tasks:\n1. Give me a joke\n2. Sort the list.\n3."
    parsed = parse_self_instruct(" Name three rivers.\n4. Summarise the news.\n5 . Count to ten.")
    assert parsed == ["Name three rivers.", "Summarise the news.", "Count to ten."]


# the running example of the WizardLM paper's Figure 3, "1+1=?", and evolutions of the
# kinds it shows (worded as remembered, not copied from the paper)
ORIGINAL = "1+1=?"
EVOLVED = {
    "constraints": "How to prove 1 + 1 = 2 in the Goldbach Conjecture?",
    "reasoning": "If you have one apple and someone gives you another banana, how many fruits "
    "do you have?",
    "concretizing": "In what situation does 1+1 not equal to 2?",
    "breadth": "What is the speed of light in a vacuum?",
}


@pytest.mark.parametrize("evolution", sorted(EVOLVED))
def test_evol_instruct_keeps_the_papers_evolutions(evolution):
    response = "You have two fruits: one apple and one banana, so the count of fruits is two."
    assert filters.evol_elimination(ORIGINAL, EVOLVED[evolution], response) is None


@pytest.mark.parametrize(
    ("evolved", "response", "verdict", "rule"),
    [
        ("#Rewritten Prompt#: What is 1+1 in binary?", "It is 10.", None, "copies_evolving_prompt"),
        ("Using the given prompt, add two numbers.", "Two.", None, "copies_evolving_prompt"),
        ("1+1 = ?", "Two.", None, "no_information_gain"),
        ("What is 1 plus 1?", "It is two.", "Equal", "no_information_gain"),
        ("What is 1 plus 1 in base 3?", "It is 2.", "Not Equal", None),
        ("Prove the Riemann hypothesis.", "Sorry, I cannot do that.", None, "hard_to_respond"),
        (
            "Why is the sky blue at noon?",
            "... the, and of it!",
            None,
            "only_punctuation_and_stop_words",
        ),
    ],
)
def test_evol_instruct_elimination_rules(evolved, response, verdict, rule):
    assert filters.evol_elimination(ORIGINAL, evolved, response, equal_verdict=verdict) == rule


def test_a_long_answer_that_says_sorry_is_kept():
    long = "Sorry for the wait. " + "This is a detailed step of the proof. " * 12
    assert (
        filters.evol_elimination(ORIGINAL, "Explain why 1+1=2 in Peano arithmetic.", long) is None
    )
