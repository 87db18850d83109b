"""Reading an export back: what the folder exporters wrote (a zip, the folder
itself, or one of its files), the ``labelwell_items.jsonl`` manifest that maps
files to items, and the numbers of line-based formats (MOTChallenge, RTTM,
KITTI, subtitles) with the file, line and field named when one is bad."""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from labelwell.errors import InvalidInput
from labelwell.formats._paths import inside

MANIFEST = "labelwell_items.jsonl"


def item_key(external_id: Any, item_id: Any) -> str:
    """The key an export names an item by, and an import finds it by again: its
    external id, else its id."""
    return str(external_id if external_id not in (None, "") else item_id)


@dataclass
class Bundle:
    """The files of an upload by their ``/``-separated path inside it; a single
    file is a bundle of one, named by its file name. Use it in a ``with`` block
    (a zip stays open until the block ends)."""

    path: Path
    names: list[str] = field(default_factory=list)
    _zip: zipfile.ZipFile | None = None

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if self.path.is_file() and zipfile.is_zipfile(self.path):
            self._zip = zipfile.ZipFile(self.path)  # opened once: a zip of 7,000 files
            self.names = sorted(n for n in self._zip.namelist() if not n.endswith("/"))
        elif self.path.is_dir():
            root = self.path.resolve()
            self.names = sorted(
                p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()
            )
            for name in self.names:
                inside(root, self.path / name, "every file", field="file")
        else:
            self.names = [self.path.name]

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._zip is not None:
            self._zip.close()

    def read(self, name: str) -> bytes:
        if self._zip is not None:
            return self._zip.read(name)
        if self.path.is_dir():
            return (self.path / name).read_bytes()
        return self.path.read_bytes()

    def text(self, name: str) -> str:
        """A file as UTF-8 text (a byte-order mark dropped)."""
        return self.read(name).decode("utf-8-sig")

    def ending(self, *suffixes: str) -> list[str]:
        return [n for n in self.names if n.lower().endswith(suffixes)]

    def manifest(self, name: str = MANIFEST) -> dict[str, dict[str, Any]]:
        """``{file: entry}`` from a JSON-lines manifest in the bundle (empty when
        there is none)."""
        found = [n for n in self.names if PurePosixPath(n).name == name]
        out: dict[str, dict[str, Any]] = {}
        for manifest in found:
            base = PurePosixPath(manifest).parent
            for n, line in enumerate(self.text(manifest).splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    rel = str(entry["file"])
                except (ValueError, KeyError, TypeError):
                    raise InvalidInput(
                        f"{manifest} line {n}: not a manifest entry with a file",
                        line=n,
                        field="file",
                    ) from None
                out[(base / rel).as_posix() if str(base) != "." else rel] = entry
        return out


def number(
    text: str,
    *,
    where: str,
    line: int | None,
    field: str,
    integer: bool = False,
    minimum: float | None = None,
    above: float | None = None,
) -> float:
    """A finite number from a text field; the error says which file, line and field."""
    try:
        value = float(text)
        if not math.isfinite(value) or (integer and not value.is_integer()):
            raise ValueError
    except ValueError:
        kind = "an integer" if integer else "a number"
        at = f"{where} line {line}" if line is not None else where
        raise InvalidInput(
            f"{at}: {field} must be {kind}, got {text!r}", line=line, field=field
        ) from None
    if (minimum is not None and value < minimum) or (above is not None and value <= above):
        bound = f">= {minimum}" if minimum is not None else f"> {above}"
        at = f"{where} line {line}" if line is not None else where
        raise InvalidInput(f"{at}: {field} must be {bound}, got {text}", line=line, field=field)
    return value
