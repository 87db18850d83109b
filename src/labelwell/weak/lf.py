"""Labeling functions: code that votes a class for an item, or abstains (-1).

``@labeling_function()`` turns a plain function ``f(item, **resources) -> int``
into a :class:`LabelingFunction` with a name and a ``version`` (a hash of its
source code and of its preprocessors'), which is the provenance stored with
its votes. The helpers below build the common kinds; they work on a whole
batch at once (a column of a data frame) so that appliers stay fast.

Items are mappings (a ``dict``, or a row of a data frame given as a
:class:`Record`, which also allows ``item.text``).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput

ABSTAIN = -1


class Record(dict):
    """A dict whose keys can also be read as attributes (``x.text``), as a data
    frame row is in Snorkel-style LFs."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Batch:
    """A slice of the items (a data frame or a sequence), with its rows as
    :class:`Record` objects and its columns computed once and shared by all LFs."""

    def __init__(self, items: pd.DataFrame | Sequence[Any]) -> None:
        self.items = items
        self._records: list[Any] | None = None
        self._columns: dict[str, list[Any]] = {}

    def __len__(self) -> int:
        return len(self.items)

    def records(self) -> list[Any]:
        if self._records is None:
            if isinstance(self.items, pd.DataFrame):
                self._records = [Record(r) for r in self.items.to_dict("records")]
            else:
                self._records = [Record(x) if type(x) is dict else x for x in self.items]
        return self._records

    def column(self, field: str) -> list[Any]:
        if field not in self._columns:
            if isinstance(self.items, pd.DataFrame):
                self._columns[field] = self.items[field].tolist()
            else:
                self._columns[field] = [x[field] for x in self.items]
        return self._columns[field]

    def texts(self, field: str, lower: bool = False) -> list[str]:
        """The column as strings (``""`` where the value is not a string)."""
        key = f"\0texts\0{field}\0{lower}"
        if key not in self._columns:
            values = [v if isinstance(v, str) else "" for v in self.column(field)]
            self._columns[key] = [v.lower() for v in values] if lower else values
        return self._columns[key]

    def joined(self, field: str, lower: bool = False) -> tuple[str, np.ndarray] | None:
        """All texts of the column in one string, NUL-separated, with the offset
        where each starts; ``None`` when a text itself holds a NUL."""
        key = f"\0joined\0{field}\0{lower}"
        if key not in self._columns:
            texts = self.texts(field, lower)
            joined = "\0".join(texts)
            if joined.count("\0") != max(len(texts) - 1, 0):
                self._columns[key] = [None]
            else:
                lengths = np.fromiter(map(len, texts), np.int64, len(texts)) + 1
                starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
                self._columns[key] = [(joined, starts)]
        return self._columns[key][0]


def _source_of(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        code = getattr(obj, "__code__", None)
        return code.co_code.hex() if code is not None else repr(obj)


def source_version(*parts: Any) -> str:
    """Short hash of code and parameters: changes whenever the LF's behaviour may."""
    digest = hashlib.sha256()
    for part in parts:
        text = part if isinstance(part, str) else _source_of(part)
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


class LabelingFunction:
    """A named function that votes a class (``0..k-1``) or abstains (``-1``).

    ``resources`` are passed to ``f`` as keyword arguments; ``pre`` are
    preprocessors applied to the item, in order, before ``f`` sees it.
    """

    def __init__(
        self,
        name: str,
        f: Callable[..., int],
        *,
        resources: Mapping[str, Any] | None = None,
        pre: Sequence[Callable[[Any], Any]] | None = None,
        version: str | None = None,
    ) -> None:
        if not name:
            raise InvalidInput("a labeling function needs a name")
        self.name = name
        self.f = f
        self.resources = dict(resources or {})
        self.pre = list(pre or [])
        self.version = version or source_version(f, *self.pre)

    def __call__(self, x: Any) -> int:
        for p in self.pre:
            x = p(x)
        return self.f(x, **self.resources)

    def vote_batch(self, batch: Batch) -> np.ndarray:
        """Votes on every item of ``batch`` as an integer array."""
        records = batch.records()
        if self.pre or self.resources:
            votes = [self(x) for x in records]
        else:
            f = self.f
            votes = [f(x) for x in records]
        return self._as_votes(votes)

    def _as_votes(self, votes: list[Any]) -> np.ndarray:
        try:
            out = np.array(votes, dtype=np.int64)
        except (TypeError, ValueError) as exc:
            bad = next((v for v in votes if not isinstance(v, int | np.integer)), None)
            raise InvalidInput(
                f"labeling function {self.name!r} returned {bad!r}; return a class or -1"
            ) from exc
        if out.size and int(out.min()) < ABSTAIN:
            raise InvalidInput(f"labeling function {self.name!r} returned a vote below -1")
        return out

    def __repr__(self) -> str:
        return f"LabelingFunction({self.name!r}, version={self.version!r})"

    def __reduce_ex__(self, protocol: Any) -> Any:
        # A decorated module-level function is reachable by its qualified name:
        # pickle it by reference (the plain function is shadowed by ``self``).
        module, qualname = getattr(self.f, "__module__", None), getattr(self.f, "__qualname__", "")
        if module and qualname and "<" not in qualname:
            try:
                found: Any = importlib.import_module(module)
                for part in qualname.split("."):
                    found = getattr(found, part)
            except (ImportError, AttributeError):
                found = None
            if found is self:
                return _load_attribute, (module, qualname)
        return super().__reduce_ex__(protocol)


def _load_attribute(module: str, qualname: str) -> Any:
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def labeling_function(
    _f: Callable[..., int] | None = None,
    *,
    name: str | None = None,
    resources: Mapping[str, Any] | None = None,
    pre: Sequence[Callable[[Any], Any]] | None = None,
) -> Any:
    """Decorator: ``@labeling_function()`` or ``@labeling_function(name=..., resources=...,
    pre=[...])`` on ``def f(x, **resources) -> int``."""

    def wrap(f: Callable[..., int]) -> LabelingFunction:
        return LabelingFunction(name or f.__name__, f, resources=resources, pre=pre)

    return wrap(_f) if _f is not None else wrap


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

    literal = False

    def _column_votes(self, batch: Batch) -> np.ndarray:
        vote: _PatternVote = self.f
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
