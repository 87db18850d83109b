"""Every page of the app, /docs (Swagger UI) included, works offline: nothing
is loaded from another host, and no page names one in an asset URL. The
favicon is served by the app itself."""

from __future__ import annotations

import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from fastapi.routing import APIRoute

from labelwell.server import create_app
from labelwell.settings import Settings
from web.helpers import SHOTS, login

#: the attributes through which markup makes the browser fetch something
#: (a plain link, ``<a href>``, is navigation, not an asset)
ASSET_ATTRS = {"src", "srcset", "poster", "data", "action", "formaction", "background"}


class Assets(HTMLParser):
    """Every absolute URL an asset attribute of a page names (``<link href>`` too)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name in ASSET_ATTRS or (tag == "link" and name == "href")):
                self.urls += re.findall(r"(?:https?:)?//[^\s,\"']+", value)


def foreign_assets(html: str, ours: str) -> list[str]:
    parser = Assets()
    parser.feed(html)
    return [u for u in parser.urls if urlsplit(u).netloc != ours]


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
                # a tag's heading: drawn whether Swagger UI lists the tags in
                # sections or, for a spec as large as ours now, as a virtual list
                page.wait_for_selector(".opblock-tag")
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / "api-docs.png"))  # the first screen
            visited.append((url, page.content()))
    finally:
        context.close()
    assert outside == [], f"requests to other hosts: {outside}"
    for url, html in visited:
        assert foreign_assets(html, ours) == [], f"{url} names another host"
    assert not errors, errors


def test_the_asset_check_sees_what_it_should():
    ours = "127.0.0.1:8080"
    page = (
        '<link rel="stylesheet" href="https://cdn.example/s.css">'
        '<script src="//cdn.example/s.js"></script>'
        '<img srcset="/a.png 1x, https://x.example/b.png 2x">'
        '<a href="https://github.com/">a plain link</a><script src="/static/js/x.js"></script>'
    )
    assert foreign_assets(page, ours) == [
        "https://cdn.example/s.css",
        "//cdn.example/s.js",
        "https://x.example/b.png",
    ]


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
