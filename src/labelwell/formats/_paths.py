"""Importers read only inside what was uploaded: a path a file names (a YOLO
split, a PNG of a panoptic annotation, an Arrow file of a saved dataset) is
resolved, links followed, and refused when it leads outside."""

from __future__ import annotations

from pathlib import Path

from labelwell.errors import InvalidInput


def inside(root: Path, path: Path, what: str, field: str) -> Path:
    """``path`` resolved; refused unless it lies inside ``root`` (resolved by the
    caller). The message names the field, never where the path led."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        raise InvalidInput(f"{what} must lie inside the uploaded dataset", field=field)
    return resolved
