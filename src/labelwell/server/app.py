"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI

import labelwell
from labelwell.server import errors, web
from labelwell.server.hot_lane import HotLane
from labelwell.server.limits import BodySizeLimit
from labelwell.server.request_checks import refuse_unstorable
from labelwell.server.routes import (
    accounts,
    area_modules,
    export,
    items,
    projects,
    quality,
    rlhf,
    tasks,
    weak,
)
from labelwell.server.routes import annotations as annotation_routes
from labelwell.server.schemas import HealthPublic
from labelwell.settings import Settings
from labelwell.store.db import Database
from labelwell.store.migrate import upgrade
from labelwell.work import imports
from labelwell.work.accounts import prune_sessions
from labelwell.work.events.hub import Hub

THREADS = 8
#: where the API lives (every area's router is included under it)
API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None, *, database: Database | None = None, migrate: bool = True
) -> FastAPI:
    """Build the app. ``database`` lets a caller (a test, the demo) share one."""
    settings = settings or Settings.from_env()
    db = database or Database(settings.database_url)
    if migrate:
        upgrade(db)
        imports.recover(db)  # the rows of imports whose writer died
        with db.session() as s:
            prune_sessions(s)  # web sessions that ended while the server was down

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # A small pool for the synchronous routes (pages, uploads, reports): on
        # SQLite their writers queue on the store's gate anyway. The GIL's switch
        # interval stays at Python's 5 ms: a forced 0.5 ms made the PostgreSQL
        # loop, whose database threads share the GIL with the event loop, spend
        # more server CPU per submission and serve fewer (docs/benchmarks.md).
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        yield
        await hub.close()
        if database is None:
            db.dispose()

    app = FastAPI(
        title="labelwell",
        version=labelwell.__version__,
        description="Labeling, quality, weak supervision, active learning and RLHF data.",
        lifespan=lifespan,
        dependencies=[Depends(refuse_unstorable)],
        # Swagger UI is served from the package (web/api_docs.py), never a CDN
        docs_url=None,
        redoc_url=None,
    )
    app.state.db = db
    hub = app.state.events = Hub(db)  # live events of this process (routes/live.py)
    app.state.settings = settings
    errors.install(app)
    # the annotator's loop skips FastAPI's dispatch (hot_lane.py); inside the body cap
    app.add_middleware(HotLane, prefix=API_PREFIX)
    app.add_middleware(
        BodySizeLimit, json_limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes
    )

    # Routes are matched in order: the annotator's loop, the busiest, goes first.
    # Each area's router is included on the app itself, not nested in an /api/v1
    # router: FastAPI walks every route of a nested router on each request.
    for module in (
        tasks,
        accounts,
        projects,
        items,
        annotation_routes,
        export,
        quality,
        rlhf,
        weak,
        *area_modules(),
    ):
        app.include_router(module.router, prefix=API_PREFIX, responses=errors.ERROR_RESPONSES)
    web.install(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            export.document_media_types(schema["paths"][API_PREFIX + export.EXPORT_PATH]["get"])
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/healthz", tags=["health"], responses=errors.ERROR_RESPONSES)
    def healthz() -> HealthPublic:
        with db.read_session() as s:
            s.connection().exec_driver_sql("SELECT 1")
        return HealthPublic(status="ok", version=labelwell.__version__, database=db.dialect)

    return app
