"""Every page of the app, /docs (Swagger UI) included, works offline: nothing
is loaded from another host, and no page names one in an asset URL. The
favicon is served by the app itself."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from fastapi.routing import APIRoute

from labelwell.server import create_app
from labelwell.settings import Settings
from web.helpers import SHOTS, login

#: an asset or link URL in markup: src=, href=, action=, poster=, srcset=
ASSET = re.compile(
    r"""(?:src|href|action|poster|srcset)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)""", re.I
)


def page_paths() -> list[str]:
    """The GET paths of the app's pages (the routes outside the API schema)."""
    home = Path(tempfile.mkdtemp())
    app = create_app(Settings(database_url=f"sqlite:///{home / 'routes.db'}", home=home))

    def walk(routes):
        for route in routes:
            inner = getattr(route, "original_router", None)
            yield from walk(inner.routes) if inner is not None else [route]

    return sorted(
        {
            r.path
            for r in walk(app.routes)
            if isinstance(r, APIRoute) and not r.include_in_schema and "GET" in r.methods
        }
    )


def fill(path: str, values: dict[str, str]) -> str:
    """A path with its parameters filled (a parameter nobody named gets 1)."""
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "1"), path)


def test_no_page_loads_or_names_another_host(browser, site):
    pid = site.seeded.ids["demo-sentiment"]
    values = {"project_id": str(pid), "secret": "not-a-link", "index": "0"}
    paths = [p for p in page_paths() if not p.startswith("/media/") and p != "/favicon.ico"]
    assert "/docs" in paths and "/projects/{project_id}/label" in paths
    ours = urlsplit(site.url).netloc
    context = browser.new_context(base_url=site.url)
    context.set_default_timeout(15_000)
    outside: list[str] = []

    def guard(route):
        if urlsplit(route.request.url).netloc not in (ours, ""):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    visited = []
    try:
        page.goto("/login")  # the pages seen before logging in
        visited.append(("/login", page.content()))
        login(page, "admin@demo.labelwell")
        for path in paths:
            url = fill(path, values)
            page.goto(url)
            page.wait_for_load_state("networkidle")
            if path == "/docs":  # Swagger UI drew the API from the local bundle
                page.wait_for_selector(".swagger-ui .info .title:has-text('labelwell')")
                page.wait_for_selector(".opblock-tag-section")
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / "api-docs.png"))  # the first screen
            visited.append((url, page.content()))
    finally:
        context.close()
    assert outside == [], f"requests to other hosts: {outside}"
    for url, html in visited:
        foreign = [u for u in ASSET.findall(html) if urlsplit(u).netloc != ours]
        assert foreign == [], f"{url} names another host: {foreign}"
    assert not errors, errors


def test_redoc_is_gone_and_the_favicon_is_ours(site):
    assert httpx.get(f"{site.url}/redoc").status_code == 404
    icon = httpx.get(f"{site.url}/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = httpx.get(f"{site.url}/login").text
    assert '<link rel="icon" href="/favicon.ico">' in page
    docs = httpx.get(f"{site.url}/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert "script-src 'self'" in docs.headers["content-security-policy"]
