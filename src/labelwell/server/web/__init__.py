"""The web app: login, the annotator's workspace, the reviewer's queue and the
manager's console, served by the labelwell server itself (Jinja2 pages and
plain ES-module scripts from ``server/static``; no build step, no CDN)."""

from __future__ import annotations

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
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
