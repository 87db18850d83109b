"""The filters of the generation papers, each a function of plain text that
answers the name of the rule a text breaks (None: it passes).

* Self-Instruct (Wang et al. 2023, ACL, section 2.3 "Filtering and
  postprocessing", and ``bootstrap_instructions.py`` of the paper's code): an
  instruction is kept when its ROUGE-L with every instruction already in the
  pool is under 0.7, it has more than 3 and at most 150 words, names nothing a
  language model cannot handle (image, graph, picture, file, map, draw, plot,
  go to, video, audio, music, flowchart, diagram), does not start with "Write a
  program", with punctuation or with a non-ASCII character, and is not a
  duplicate.
* Evol-Instruct (Xu et al. 2023, "WizardLM", section 3.3 "Elimination
  Evolving"): an evolved instruction is eliminated when (1) it brings no
  information gain over the one it came from (judged by the model, the
  paper's appendix prompt :data:`~labelwell.synth.prompts.EQUAL_PROMPT`),
  (2) the response to it contains "sorry" and is short (under 80 words), (3) the
  response holds only punctuation and stop words, or (4) it copies words of the
  evolving prompt such as "#Rewritten Prompt#".
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

from labelwell.synth.rouge import rouge_l_max

ROUGE_L_MAX = 0.7
MIN_WORDS, MAX_WORDS = 4, 150
#: words Self-Instruct drops instructions for (the paper's code, as written)
BLOCKED_WORDS = (
    "image",
    "images",
    "graph",
    "graphs",
    "picture",
    "pictures",
    "file",
    "files",
    "map",
    "maps",
    "draw",
    "plot",
    "go to",
    "video",
    "audio",
    "music",
    "flowchart",
    "diagram",
)
_BLOCKED = re.compile(r"\b(" + "|".join(re.escape(w) for w in BLOCKED_WORDS) + r")\b", re.I)
#: words of the evolving prompt an evolved instruction must not copy
EVOL_LEAKS = (
    "#the given prompt#",
    "#given prompt#",
    "#rewritten prompt#",
    "#created prompt#",
    "given prompt",
    "rewritten prompt",
    "created prompt",
)
SORRY_MAX_WORDS = 80


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def self_instruct_heuristics(instruction: str) -> str | None:
    """The rule of Self-Instruct's heuristic filters that ``instruction`` breaks."""
    text = instruction.strip()
    n = len(text.split())
    if n < MIN_WORDS:
        return "too_short"
    if n > MAX_WORDS:
        return "too_long"
    if _BLOCKED.search(text):
        return "unsuitable_keyword"
    if text.startswith("Write a program"):
        return "write_a_program"
    if text[0] in string.punctuation:
        return "starts_with_punctuation"
    if not text[0].isascii():
        return "starts_non_english"
    return None


def novelty(instruction: str, pool: Sequence[str], *, threshold: float = ROUGE_L_MAX) -> str | None:
    """``"duplicate"`` when the text is already in ``pool`` (whitespace and case
    aside), ``"low_novelty"`` when its ROUGE-L with one of them is ``threshold`` or more."""
    norm = _normalise(instruction)
    if any(_normalise(p) == norm for p in pool):
        return "duplicate"
    if rouge_l_max(instruction, pool) >= threshold:
        return "low_novelty"
    return None


def is_equal_verdict(answer: str) -> bool:
    """Whether the model's answer to :data:`~labelwell.synth.prompts.EQUAL_PROMPT`
    says the two instructions are equal (no information gain)."""
    text = _normalise(answer)
    return text.startswith("equal") or ("equal" in text and "not equal" not in text)


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def evol_elimination(
    original: str, evolved: str, response: str, *, equal_verdict: str | None = None
) -> str | None:
    """The Evol-Instruct elimination rule the evolved instruction breaks, given
    the response to it and the model's equality verdict (None: not asked)."""
    low = evolved.lower()
    if any(leak in low for leak in EVOL_LEAKS):
        return "copies_evolving_prompt"
    if not evolved.strip() or _bare(evolved) == _bare(original):
        return "no_information_gain"
    if equal_verdict is not None and is_equal_verdict(equal_verdict):
        return "no_information_gain"
    words = response.split()
    if "sorry" in response.lower() and len(words) < SORRY_MAX_WORDS:
        return "hard_to_respond"
    stop = _stop_words()
    content = [w for w in re.findall(r"\w+", response.lower()) if w not in stop]
    if not content:
        return "only_punctuation_and_stop_words"
    return None
