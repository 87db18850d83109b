"""The prompts of the generation methods, with a version each: a change of
wording is a new version, recorded in every synthetic item's provenance.

Self-Instruct's prompt is the paper's (Wang et al. 2023, Table 6 and
``encode_prompt`` of the paper's code); Evol-Instruct's are the paper's
appendix prompts (Xu et al. 2023, Appendix A: in-depth and in-breadth
evolving; Appendix G: the equality check), with its five in-depth methods.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PROMPT_VERSIONS = {
    "self-instruct": "self-instruct/1",
    "evol-instruct": "evol-instruct/1",
    "qa": "qa/1",
    "paraphrase": "paraphrase/1",
}


def self_instruct_prompt(instructions: Sequence[str]) -> str:
    """The numbered list of example tasks; the model continues with the next."""
    prompt = "Come up with a series of tasks:\n"
    for i, instruction in enumerate(instructions, 1):
        text = re.sub(r"\s+", " ", instruction).strip().rstrip(":")
        prompt += f"{i}. {text}\n"
    return prompt + f"{len(instructions) + 1}."


def parse_self_instruct(completion: str) -> list[str]:
    """The new instructions of a completion: the continued item, then the
    numbered items that follow it (as the paper's code splits them)."""
    parts = re.split(r"\n\d+\s?\. ", "\n1. " + completion.strip())
    return [re.sub(r"\s+", " ", p).strip() for p in parts if p.strip()]


_DEPTH = (
    "I want you act as a Prompt Rewriter.\n"
    "Your objective is to rewrite a given prompt into a more complex version to make those "
    "famous AI systems (e.g., ChatGPT and GPT4) a bit harder to handle.\n"
    "But the rewritten prompt must be reasonable and must be understood and responded by humans.\n"
    "Your rewriting cannot omit the non-text parts such as the table and code in "
    "#The Given Prompt#:. Also, please do not omit the input in #The Given Prompt#.\n"
    "You SHOULD complicate the given prompt using the following method:\n{method}\n"
    "You should try your best not to make the #Rewritten Prompt# become verbose, "
    "#Rewritten Prompt# can only add 10 to 20 words into #The Given Prompt#.\n"
    "'#The Given Prompt#', '#Rewritten Prompt#', 'given prompt' and 'rewritten prompt' are not "
    "allowed to appear in #Rewritten Prompt#\n"
    "#The Given Prompt#:\n{prompt}\n#Rewritten Prompt#:\n"
)
_BREADTH = (
    "I want you act as a Prompt Creator.\n"
    "Your goal is to draw inspiration from the #Given Prompt# to create a brand new prompt.\n"
    "This new prompt should belong to the same domain as the #Given Prompt# but be even more "
    "rare.\n"
    "The LENGTH and complexity of the #Created Prompt# should be similar to that of the "
    "#Given Prompt#.\n"
    "The #Created Prompt# must be reasonable and must be understood and responded by humans.\n"
    "'#Given Prompt#', '#Created Prompt#', 'given prompt' and 'created prompt' are not allowed "
    "to appear in #Created Prompt#\n"
    "#Given Prompt#:\n{prompt}\n#Created Prompt#:\n"
)
#: the in-depth methods of the paper (Appendix A), by name
DEPTH_METHODS = {
    "constraints": "Please add one more constraints/requirements into #The Given Prompt#",
    "deepen": "If #The Given Prompt# contains inquiries about certain issues, the depth and "
    "breadth of the inquiry can be increased.",
    "concretizing": "Please replace general concepts with more specific concepts.",
    "reasoning": "If #The Given Prompt# can be solved with just a few simple thinking "
    "processes, you can rewrite it to explicitly request multiple-step reasoning.",
    "complicate_input": "Please add a complex input to #The Given Prompt#, such as a table, a "
    "piece of code, a formula or data in XML, JSON or SQL, that the prompt must work with.",
}
EVOLUTIONS = (*DEPTH_METHODS, "breadth")

EQUAL_PROMPT = (
    "Here are two Instructions to ChatGPT AI, do you think they are equal to each other, which "
    "meet the following requirements:\n"
    "1. They have same constraints and requirments.\n"
    "2. They have same depth and breadth of the inquiry.\n"
    "The First Prompt: {first}\n"
    "The Second Prompt: {second}\n"
    "Your Judgement (Just answer: Equal or Not Equal. No need to explain the reason.):"
)


def evol_prompt(evolution: str, prompt: str) -> str:
    """The prompt asking for ``evolution`` (an in-depth method or ``breadth``) of ``prompt``."""
    if evolution == "breadth":
        return _BREADTH.format(prompt=prompt)
    return _DEPTH.format(method=DEPTH_METHODS[evolution], prompt=prompt)


def qa_prompt(chunk: str) -> str:
    return (
        "Read the passage and write one question that the passage answers, then the answer "
        "copied from the passage.\n"
        "Answer in exactly this form:\nQuestion: <question>\nAnswer: <answer>\n\n"
        f"Passage:\n{chunk}\n"
    )


_QA = re.compile(r"question\s*:\s*(?P<q>.+?)\s*answer\s*:\s*(?P<a>.+)", re.I | re.S)


def parse_qa(completion: str) -> tuple[str, str] | None:
    """``(question, answer)`` from a completion, None when it has not the form."""
    m = _QA.search(completion)
    if not m:
        return None
    q, a = m.group("q").strip(), m.group("a").strip()
    return (q, a) if q and a else None


def paraphrase_prompt(text: str) -> str:
    return (
        "Paraphrase the text below: keep its meaning, tone and language, change the wording. "
        "Answer with the paraphrase only.\n\n"
        f"Text:\n{text}\n"
    )
