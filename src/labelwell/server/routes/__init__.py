"""API routes under /api/v1. Handlers are thin: load, authorize (in the service),
call one service function, return a schema.

The core modules are included by the app factory in a fixed order (the
annotator's loop first); every other module of this package that defines a
``router`` (an area such as people or the data manager) is included after
them, in name order, by :func:`area_modules`."""

import importlib
import pkgutil
from types import ModuleType

CORE = (
    "tasks",
    "accounts",
    "projects",
    "items",
    "annotations",
    "export",
    "quality",
    "rlhf",
    "weak",
)


def area_modules() -> list[ModuleType]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in CORE or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "router"):
            found.append(module)
    return found
