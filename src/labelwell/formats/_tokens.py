"""Character spans to tokens and back, for the token formats (CoNLL, spaCy).

Tokens are runs of word characters (``\\w``, so Hangul, CJK and digits too),
single punctuation marks and single emoji (a flag, or an emoji with its
modifiers and ZWJ-joined parts), cut additionally at every entity start and end, so
an entity never starts or ends inside a token: nothing is lost or shifted,
whatever the script (Korean particles glued to a name, ``서울에서``, become
``서울`` + ``에서`` when ``서울`` is the entity). Offsets are Unicode code
points, end exclusive, as in labelwell results.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

from labelwell.errors import InvalidInput

# A flag (two regional indicators), a run of word characters, or one other
# mark with its emoji modifiers, variation selectors and ZWJ-joined parts, so
# 🇰🇷, 👍🏽 and 👩‍💻 stay one token each.
_TOKEN = re.compile(
    r"[\U0001F1E6-\U0001F1FF]{2}"
    r"|\w+"
    r"|[^\w\s](?:[\ufe0f\u20e3\U0001F3FB-\U0001F3FF]|\u200d[^\w\s])*",
    re.UNICODE,
)


def tokenize(text: str, cuts: Iterable[int] = ()) -> list[tuple[int, int]]:
    """``(start, end)`` of each token, cut also at the offsets in ``cuts``."""
    tokens = [m.span() for m in _TOKEN.finditer(text)]
    marks = sorted(set(cuts), reverse=True)
    if not marks:
        return tokens
    starts = [t[0] for t in tokens]
    for c in marks:  # right to left, so earlier indices stay valid
        i = bisect_right(starts, c) - 1
        if i >= 0 and tokens[i][0] < c < tokens[i][1]:
            s, e = tokens[i]
            tokens[i : i + 1] = [(s, c), (c, e)]
    return tokens


def check_spans(
    text: str, spans: Sequence[dict[str, Any]], *, where: str, overlaps: str = "error"
) -> list[dict[str, Any]]:
    """Spans sorted by start, validated against ``text``; overlapping ones raise
    (BIO cannot hold them) or, with ``overlaps="drop"``, the later one is dropped."""
    ordered = sorted(spans, key=lambda s: (int(s["start"]), -int(s["end"])))
    kept: list[dict[str, Any]] = []
    last_end = -1
    for sp in ordered:
        start, end = int(sp["start"]), int(sp["end"])
        if not 0 <= start < end <= len(text):
            raise InvalidInput(
                f"span [{start}, {end}) is outside the text of length {len(text)}", field=where
            )
        if not text[start:end].strip():
            raise InvalidInput(f"span [{start}, {end}) covers only whitespace", field=where)
        if start < last_end:
            if overlaps == "drop":
                continue
            raise InvalidInput(
                f"span [{start}, {end}) overlaps another; BIO tags cannot hold nested spans",
                field=where,
            )
        kept.append(sp)
        last_end = end
    return kept


def bio_tags(
    tokens: Sequence[tuple[int, int]], spans: Sequence[dict[str, Any]], scheme: str = "BIO"
) -> list[str]:
    """IOB2 (``BIO``) or ``BILOU`` tags for ``tokens``; ``spans`` must be sorted,
    non-overlapping and on token boundaries (as :func:`tokenize` makes them)."""
    tags = ["O"] * len(tokens)
    starts = [t[0] for t in tokens]
    for sp in spans:
        s, e, label = int(sp["start"]), int(sp["end"]), sp["label"]
        idx = []
        j = bisect_left(starts, s)
        while j < len(tokens) and tokens[j][1] <= e:
            idx.append(j)
            j += 1
        if not idx:
            continue
        if scheme == "BILOU" and len(idx) == 1:
            tags[idx[0]] = f"U-{label}"
            continue
        tags[idx[0]] = f"B-{label}"
        for j in idx[1:]:
            tags[j] = f"I-{label}"
        if scheme == "BILOU":
            tags[idx[-1]] = f"L-{label}"
    return tags


def spans_from_tags(
    tokens: Sequence[tuple[int, int]], tags: Sequence[str], *, line: int | None = None
) -> list[tuple[int, int, str]]:
    """Character spans from IOB2/IOB1/BILOU tags; an ``I-`` after ``O`` or after
    another label starts a new span (the usual lenient reading of IOB1)."""
    out: list[tuple[int, int, str]] = []
    cur: tuple[int, int, str] | None = None
    for (s, e), tag in zip(tokens, tags, strict=True):
        if tag == "O":
            if cur:
                out.append(cur)
            cur = None
            continue
        if len(tag) < 3 or tag[1] != "-" or tag[0] not in "BIELSU":
            raise InvalidInput(f"tag {tag!r} is not O or B-/I-/L-/U-LABEL", line=line, field="tag")
        kind, label = tag[0], tag[2:]
        if kind in "BUS" or cur is None or cur[2] != label:
            if cur:
                out.append(cur)
            cur = (s, e, label)
        else:
            cur = (cur[0], e, label)
        if kind in "ULES":
            out.append(cur)
            cur = None
    if cur:
        out.append(cur)
    return out


def align(text: str, words: Sequence[str], *, line: int | None = None) -> list[tuple[int, int]]:
    """Offsets of ``words`` found in order in ``text``, skipping whitespace."""
    out: list[tuple[int, int]] = []
    pos = 0
    for w in words:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text.startswith(w, pos):
            out.append((pos, pos + len(w)))
            pos += len(w)
            continue
        raise InvalidInput(f"token {w!r} does not match the text at offset {pos}", line=line)
    return out


def to_utf16(text: str, offset: int) -> int:
    """Code point offset to a UTF-16 code unit offset (JavaScript string index)."""
    return offset + sum(1 for ch in text[:offset] if ord(ch) > 0xFFFF)


def from_utf16(text: str, offset: int) -> int:
    units = 0
    for i, ch in enumerate(text):
        if units >= offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)
