"""The web app: login, the annotator's workspace, the reviewer's queue and the
manager's console, served by the labelwell server itself (Jinja2 pages and
plain ES-module scripts from ``server/static``; no build step, no CDN)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def install(app: FastAPI) -> None:
    """Mount the pages, the media route and the static files on ``app``."""
    from labelwell.server.web import account, media, pages, reset

    app.include_router(pages.router)
    app.include_router(account.router)
    app.include_router(reset.router)
    app.include_router(media.router)
    # Every other page module of this package that defines a ``router`` (an
    # area such as people or the data manager) is mounted after the core pages.
    core = {"pages", "account", "reset", "media"}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in core or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "router"):
            app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
