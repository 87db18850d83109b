"""Labeling functions: code that votes a class for an item, or abstains (-1).

``@labeling_function()`` turns a plain function ``f(item, **resources) -> int``
into a :class:`LabelingFunction` with a name and a ``version`` (a hash of its
source code and of its preprocessors'), which is the provenance stored with
its votes. Ready-made kinds (keywords, regular expressions, thresholds, a
model, a lookup) are in :mod:`labelwell.weak.kinds`.

Items are mappings (a ``dict``, or a row of a data frame given as a
:class:`Record`, which also allows ``item.text``).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput

ABSTAIN = -1


class Record(dict[Hashable, Any]):
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
        joined_column: tuple[str, np.ndarray] | None = self._columns[key][0]
        return joined_column


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
