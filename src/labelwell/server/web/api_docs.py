"""The interactive API documentation (Swagger UI at ``/docs``) and the
favicon, served from the package itself: both work offline, and no page of
the app loads anything from another host. Swagger UI is vendored under
``static/vendor/swagger-ui-VERSION/`` (pinned in ``vendor.json``; refreshed by
``scripts/vendor.py swagger-ui-dist``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from labelwell.server.web import STATIC_DIR

router = APIRouter(include_in_schema=False)

#: the vendored Swagger UI release (static/vendor/swagger-ui-VERSION/)
SWAGGER_UI_VERSION = "5.36.0"
_VENDOR = f"/static/vendor/swagger-ui-{SWAGGER_UI_VERSION}"

#: Swagger UI styles its parts with inline style attributes; scripts stay same-origin
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

_DOCS_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>labelwell API</title>
<link rel="icon" href="/favicon.ico">
<link rel="stylesheet" href="{_VENDOR}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{_VENDOR}/swagger-ui-bundle.js"></script>
<script src="/static/js/api_docs.js"></script>
</body>
</html>
"""


@router.get("/docs")
def api_docs() -> HTMLResponse:
    """Swagger UI over ``/openapi.json``."""
    return HTMLResponse(
        _DOCS_PAGE,
        headers={"Content-Security-Policy": DOCS_CSP, "X-Content-Type-Options": "nosniff"},
    )


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(
        STATIC_DIR / "favicon.ico",
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )
