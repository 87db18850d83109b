"""Parts that plug in by name (aggregation methods, importers, exporters,
predictors, selection strategies, ...): one :class:`Registry` per kind, so the
library, the CLI and the API look them up and list them from one place.

A registry holds three sources of entries, all by name:

* **built-ins**, declared where the registry is made as ``name -> "module:attr"``
  (the object itself) or ``name -> "module"`` (a module that registers the name
  when imported). Nothing is imported until a name is used, so no caller has to
  import anything first, and listing the names stays cheap (the CLI starts fast);
* entries added in code with :meth:`Registry.register` (also a decorator);
* **plug-ins** of installed distributions, found through the registry's
  entry-point group (``[project.entry-points."labelwell.aggregators"]`` in the
  plug-in's ``pyproject.toml``) and imported when first used.

A name belongs to one entry: registering a taken name raises :class:`NameTaken`
unless ``replace=True`` says so, and a plug-in whose name is taken is refused
the same way. An unknown name raises :class:`labelwell.errors.InvalidInput`
listing the known ones.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar, overload

from labelwell.errors import InvalidInput

T = TypeVar("T")


class NameTaken(ValueError):
    """A name registered twice, without ``replace=True``."""


class PluginNotLoaded(ImportError):
    """A built-in or plug-in entry whose module or attribute cannot be loaded."""


@dataclass
class _Entry(Generic[T]):
    origin: str  # where it comes from, for messages
    ref: str | None = None  # "module:attr" or "module", until loaded
    obj: T | None = None  # set once loaded
    loaded: bool = False


def _origin(obj: object) -> str:
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}.{name}" if module and name else repr(obj)


class Registry(Generic[T]):
    """Named entries of one kind. ``kind`` names it in messages ("aggregation
    method"), ``group`` is its entry-point group (``labelwell.aggregators``),
    ``field`` the input field an unknown name is reported on, and ``builtins``
    maps each built-in name to where it lives (see the module docstring)."""

    def __init__(
        self,
        kind: str,
        *,
        group: str,
        builtins: Mapping[str, str] | None = None,
        field: str | None = None,
    ) -> None:
        self.kind = kind
        self.group = group
        self.field = field
        self._entries: dict[str, _Entry[T]] = {
            name: _Entry(origin=f"the built-in {ref}", ref=ref)
            for name, ref in (builtins or {}).items()
        }
        self._discovered = False
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, group={self.group!r})"

    # -- adding and removing -------------------------------------------------

    @overload
    def register(self, name: str, *, replace: bool = False) -> Callable[[T], T]: ...

    @overload
    def register(self, name: str, obj: T, *, replace: bool = False) -> T: ...

    def register(self, name: str, obj: Any = None, *, replace: bool = False) -> Any:
        """Add ``obj`` under ``name``; without ``obj``, a decorator that does.
        A name already taken by another object raises :class:`NameTaken` unless
        ``replace`` is true; registering the same object again changes nothing."""
        if obj is None:

            def decorate(target: T) -> T:
                self.register(name, target, replace=replace)
                return target

            return decorate
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind} needs a non-empty string name, got {name!r}")
        entry = self._entries.get(name)
        if entry is not None and not entry.loaded:
            # a built-in or plug-in of that name: load it first, so that a clash shows
            # here (a module registering itself while imported finds it still unloaded)
            try:
                self._load(name, entry)
            except PluginNotLoaded:
                if not replace:  # what replaces a broken entry need not load it
                    raise
        with self._lock:
            entry = self._entries.get(name)
            if entry is not None and entry.loaded:
                if entry.obj is obj:
                    return obj
                if not replace:
                    raise NameTaken(
                        f"{self.kind} {name!r} is already registered ({entry.origin}); "
                        f"register {_origin(obj)} under another name, or pass replace=True"
                    )
            origin = entry.origin if entry is not None and not entry.loaded else _origin(obj)
            self._entries[name] = _Entry(origin=origin, obj=obj, loaded=True)
        return obj

    def unregister(self, name: str) -> None:
        """Remove ``name`` (nothing happens if it is not registered)."""
        with self._lock:
            self._entries.pop(name, None)

    # -- looking up ----------------------------------------------------------

    def get(self, name: str) -> T:
        """The entry registered as ``name``, loaded on first use; an unknown name
        raises :class:`InvalidInput` naming the known ones."""
        self._discover()
        entry = self._entries.get(name) if isinstance(name, str) else None
        if entry is None:
            raise InvalidInput(
                f"unknown {self.kind} {name!r}; known: {', '.join(sorted(self._entries))}",
                field=self.field,
            )
        if not entry.loaded:
            self._load(name, entry)
            entry = self._entries[name]
        if not entry.loaded or entry.obj is None:
            raise PluginNotLoaded(
                f"{self.kind} {name!r}: importing {entry.ref} did not register it"
            )
        return entry.obj

    def names(self) -> tuple[str, ...]:
        """Every registered name (built-ins first, in declaration order), without
        importing any of them."""
        self._discover()
        return tuple(self._entries)

    def items(self) -> list[tuple[str, T]]:
        """Every ``(name, entry)``; this loads them all."""
        return [(name, self.get(name)) for name in self.names()]

    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        self._discover()
        return isinstance(name, str) and name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    # -- loading -------------------------------------------------------------

    def _load(self, name: str, entry: _Entry[T]) -> None:
        """Import ``entry``: a ``module:attr`` reference becomes its object; a bare
        module registers its names itself while it is imported."""
        assert entry.ref is not None
        try:
            loaded = EntryPoint(name, entry.ref, self.group).load()
        except (ImportError, AttributeError) as exc:
            raise PluginNotLoaded(
                f"{self.kind} {name!r}: cannot load {entry.ref} ({entry.origin}): {exc}"
            ) from exc
        if ":" in entry.ref:
            with self._lock:
                if self._entries.get(name) is entry:
                    entry.obj, entry.loaded = loaded, True

    def _discover(self) -> None:
        """Read the entry-point group once: each plug-in adds a name (loaded on use);
        a name already taken refuses the plug-in with :class:`NameTaken`."""
        if self._discovered:
            return
        with self._lock:
            if self._discovered:
                return
            found: dict[str, _Entry[T]] = {}
            for ep in sorted(entry_points(group=self.group), key=lambda e: e.name):
                dist = ep.dist.name if ep.dist is not None else "an unnamed distribution"
                origin = f"entry point {ep.name} = {ep.value} of {dist}"
                taken = self._entries.get(ep.name) or found.get(ep.name)
                if taken is not None and taken.ref != ep.value:
                    raise NameTaken(
                        f"{self.kind} {ep.name!r} from the {origin} (group {self.group}) "
                        f"clashes with {taken.origin}; rename the entry point"
                    )
                if taken is None:
                    found[ep.name] = _Entry(origin=origin, ref=ep.value)
            self._entries.update(found)
            self._discovered = True
