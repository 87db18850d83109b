"""ROUGE-L F-measure (Lin 2004, "ROUGE: A Package for Automatic Evaluation of
Summaries", section 3.1): the longest common subsequence of two token lists,
``P = LCS / len(candidate)``, ``R = LCS / len(reference)``, ``F = 2PR / (P + R)``.

Tokens are those of Google's ``rouge-score`` without stemming (the setting of
Self-Instruct, Wang et al. 2023): lower case, runs of ``[a-z0-9]``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def tokens(text: str) -> list[str]:
    """``rouge-score``'s default tokens: lower-cased ``[a-z0-9]+`` runs."""
    return [t for t in _NON_ALNUM.split(text.lower()) if t]


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (dynamic programme, one row)."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def _f(lcs: int, n_candidate: int, n_reference: int) -> float:
    if lcs == 0:
        return 0.0
    p, r = lcs / n_candidate, lcs / n_reference
    return 2 * p * r / (p + r)


def rouge_l(reference: str, candidate: str) -> float:
    """ROUGE-L F of ``candidate`` against ``reference`` (symmetric in F)."""
    ref, cand = tokens(reference), tokens(candidate)
    return _f(lcs_length(ref, cand), len(cand), len(ref))


def rouge_l_max(candidate: str, pool: Sequence[str]) -> float:
    """The highest ROUGE-L F of ``candidate`` against any text of ``pool`` (0 when
    empty); Self-Instruct keeps an instruction when this is under 0.7."""
    cand = tokens(candidate)
    best = 0.0
    for text in pool:
        ref = tokens(text)
        # the LCS is at most the shorter length: skip pairs that cannot beat the best
        bound = min(len(ref), len(cand))
        if _f(bound, len(cand), len(ref)) <= best:
            continue
        best = max(best, _f(lcs_length(ref, cand), len(cand), len(ref)))
    return best
