"""Labeling functions loaded from a file, and the project's choice control they vote on."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path

from labelwell.errors import InvalidInput, NotFound
from labelwell.schema.ontology import Ontology
from labelwell.weak import LabelingFunction


def load_labeling_functions(path: str | Path) -> list[LabelingFunction]:
    """Every object made by ``@labeling_function`` in the Python file ``path``.

    The module is not left in ``sys.modules``, so Dask pickles the LFs by value
    and workers need no copy of the file."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"no labeling-function file at {path}")
    name = f"labelwell_lfs_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InvalidInput(f"{path.name}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    lfs = [v for v in vars(module).values() if isinstance(v, LabelingFunction)]
    if not lfs:
        raise InvalidInput(f"{path.name}: no @labeling_function in it")
    return lfs


def choice_control(ontology: Ontology, control: str | None = None) -> tuple[str, list[str]]:
    """The ``choice`` control LF votes are about, and its options (class index order)."""
    if control is not None:
        found = ontology.control(control)
        if found.type != "choice":
            raise InvalidInput(f"control {control!r} is a {found.type}, not a choice")
        return found.name, found.label_names()
    choices = [c for c in ontology.controls if c.type == "choice"]
    if len(choices) != 1:
        names = ", ".join(c.name for c in choices) or "none"
        raise InvalidInput(f"name the choice control with --control (choice controls: {names})")
    return choices[0].name, choices[0].label_names()
