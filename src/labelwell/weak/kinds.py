"""Ready-made labeling functions for the common kinds: keyword lists, regular
expressions, thresholds on a field, a model's prediction, a lookup in another
dataset. Each votes on a whole batch at once (one column of the items), so
appliers stay fast, and gives the same vote item by item. Their ``version``
hashes the code of their kind and their parameters.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput
from labelwell.weak.lf import ABSTAIN, Batch, LabelingFunction, Record, source_version


class _PatternVote:
    """Votes ``label`` when ``regex`` is found in the item's ``field`` (lower-cased
    first when ``lower``)."""

    def __init__(self, regex: re.Pattern[str], field: str, label: int, lower: bool = False):
        self.regex, self.field, self.label, self.lower = regex, field, label, lower

    def __call__(self, x: Any) -> int:
        value = x[self.field]
        if not isinstance(value, str):
            return ABSTAIN
        return self.label if self.regex.search(value.lower() if self.lower else value) else ABSTAIN


class _BatchLF(LabelingFunction):
    """A helper LF whose vote on a batch reads one column."""

    def __init__(self, name: str, vote: Any, field: str, params: str) -> None:
        super().__init__(name, vote, version=source_version(type(vote), params))
        self.field = field

    def vote_batch(self, batch: Batch) -> np.ndarray:
        return self._column_votes(batch)

    def _column_votes(self, batch: Batch) -> np.ndarray:
        return self._as_votes([self.f(Record({self.field: v})) for v in batch.column(self.field)])


class PatternLF(_BatchLF):
    """Regular expression LF. ``literal`` patterns (keyword lists, which cannot
    match a NUL) are searched once over the whole batch joined by NULs."""

    f: _PatternVote
    literal = False

    def _column_votes(self, batch: Batch) -> np.ndarray:
        vote = self.f
        joined = batch.joined(self.field, vote.lower) if self.literal else None
        if joined is not None:
            text, starts = joined
            found = np.fromiter((m.start() for m in vote.regex.finditer(text)), np.int64)
            hits = np.zeros(len(batch), dtype=bool)
            hits[np.searchsorted(starts, found, side="right") - 1] = True
        else:
            texts = batch.texts(self.field, vote.lower)
            matches = np.array(list(map(vote.regex.search, texts)), dtype=object)
            hits = matches != None  # noqa: E711 - elementwise test on an object array
        return np.where(hits, vote.label, ABSTAIN)


class KeywordLF(PatternLF):
    literal = True


def keyword_lf(
    name: str,
    keywords: Iterable[str],
    label: int,
    *,
    field: str = "text",
    case_sensitive: bool = False,
    whole_word: bool = False,
) -> LabelingFunction:
    """Votes ``label`` when any of ``keywords`` occurs in ``item[field]``, else abstains.
    Case-insensitive (both sides lower-cased) unless ``case_sensitive``; with
    ``whole_word`` a keyword must not be part of a longer word."""
    words = sorted(set(keywords), key=lambda w: (-len(w), w))
    if not words:
        raise InvalidInput(f"keyword LF {name!r} needs at least one keyword")
    if any("\0" in w for w in words):
        raise InvalidInput(f"keyword LF {name!r}: keywords cannot hold a NUL character")
    lower = not case_sensitive
    body = "|".join(re.escape(w.lower() if lower else w) for w in words)
    pattern = rf"\b(?:{body})\b" if whole_word else body
    params = repr((words, label, field, case_sensitive, whole_word))
    return KeywordLF(name, _PatternVote(re.compile(pattern), field, label, lower), field, params)


def regex_lf(
    name: str, pattern: str, label: int, *, field: str = "text", flags: int = re.IGNORECASE
) -> LabelingFunction:
    """Votes ``label`` when the regular expression matches in ``item[field]``."""
    try:
        regex = re.compile(pattern, flags)
    except re.error as exc:
        raise InvalidInput(f"regex LF {name!r}: invalid pattern {pattern!r}: {exc}") from exc
    params = repr((pattern, flags, label, field))
    return PatternLF(name, _PatternVote(regex, field, label), field, params)


class _ThresholdVote:
    def __init__(self, field: str, label: int, low: float | None, high: float | None) -> None:
        self.field, self.label, self.low, self.high = field, label, low, high

    def __call__(self, x: Any) -> int:
        return int(self.votes(np.array([x[self.field]], dtype=np.float64))[0])

    def votes(self, values: np.ndarray) -> np.ndarray:
        inside = ~np.isnan(values)
        if self.low is not None:
            inside &= values >= self.low
        if self.high is not None:
            inside &= values <= self.high
        return np.where(inside, self.label, ABSTAIN)


class ThresholdLF(_BatchLF):
    f: _ThresholdVote

    def _column_votes(self, batch: Batch) -> np.ndarray:
        values = batch.column(self.field)
        numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
        return self.f.votes(numbers.to_numpy(dtype=np.float64, na_value=np.nan))


def threshold_lf(
    name: str,
    field: str,
    label: int,
    *,
    min: float | None = None,  # noqa: A002 - reads as the bound it is
    max: float | None = None,  # noqa: A002
) -> LabelingFunction:
    """Votes ``label`` when ``min <= item[field] <= max`` (either bound optional);
    abstains otherwise and on missing or non-numeric values."""
    if min is None and max is None:
        raise InvalidInput(f"threshold LF {name!r} needs min, max or both")
    params = repr((field, label, min, max))
    return ThresholdLF(name, _ThresholdVote(field, label, min, max), field, params)


class _ModelVote:
    def __init__(self, model: Any, field: str, classes: Sequence[int], min_confidence: float):
        self.model, self.field = model, field
        self.classes, self.min_confidence = np.asarray(classes, dtype=np.int64), min_confidence

    def __call__(self, x: Any) -> int:
        return int(self.votes([x[self.field]])[0])

    def votes(self, values: list[Any]) -> np.ndarray:
        if not values:
            return np.zeros(0, dtype=np.int64)
        proba = np.asarray(self.model.predict_proba(values))
        best = proba.argmax(axis=1)
        sure = proba[np.arange(len(best)), best] >= self.min_confidence
        return np.where(sure, self.classes[best], ABSTAIN)


class ModelLF(_BatchLF):
    f: _ModelVote

    def _column_votes(self, batch: Batch) -> np.ndarray:
        return self.f.votes(batch.column(self.field))


def model_lf(
    name: str,
    model: Any,
    *,
    field: str = "text",
    classes: Sequence[int] | None = None,
    min_confidence: float = 0.0,
) -> LabelingFunction:
    """Votes a model's most probable class (``model.predict_proba`` on ``item[field]``,
    called once per batch) when its probability is at least ``min_confidence``.
    ``classes`` maps the model's output columns to labelwell classes (default:
    ``model.classes_``)."""
    if classes is None:
        classes = list(getattr(model, "classes_", []))
        if not classes:
            raise InvalidInput(f"model LF {name!r}: pass classes= (the model has no classes_)")
    if not all(isinstance(c, int | np.integer) and c >= 0 for c in classes):
        raise InvalidInput(f"model LF {name!r}: classes must be non-negative ints, got {classes}")
    params = repr((type(model).__qualname__, field, list(map(int, classes)), min_confidence))
    return ModelLF(name, _ModelVote(model, field, classes, min_confidence), field, params)


class _LookupVote:
    def __init__(self, table: dict[Any, int], field: str) -> None:
        self.table, self.field = table, field

    def __call__(self, x: Any) -> int:
        return self.table.get(x[self.field], ABSTAIN)


class LookupLF(_BatchLF):
    f: _LookupVote

    def _column_votes(self, batch: Batch) -> np.ndarray:
        values = batch.column(self.field)
        get = self.f.table.get
        return np.fromiter((get(v, ABSTAIN) for v in values), np.int64, len(values))


def lookup_lf(name: str, table: Mapping[Any, int] | pd.Series, *, field: str) -> LabelingFunction:
    """Votes the class another dataset gives ``item[field]`` (e.g. a list of known
    spam authors: ``{author: 1}``, or a ``pandas.Series`` indexed by key)."""
    mapping = dict(table.items())
    bad = [v for v in mapping.values() if not isinstance(v, int | np.integer) or v < ABSTAIN]
    if bad:
        raise InvalidInput(f"lookup LF {name!r}: table values must be classes, got {bad[:3]}")
    mapping = {k: int(v) for k, v in mapping.items() if not _is_nan(k)}
    digest = hashlib.sha256(repr(sorted(mapping.items(), key=repr)).encode()).hexdigest()
    return LookupLF(name, _LookupVote(mapping, field), field, repr((field, digest)))


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)
