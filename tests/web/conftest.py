"""A real server in a subprocess, seeded with the demo, and Debian's chromium
driven by Playwright. Browser tests skip when /usr/bin/chromium is missing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from server_process import ServerProcess
from web.seed import Seeded, seed

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@dataclass
class Site:
    url: str
    home: Path
    seeded: Seeded

    def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.seeded.admin_token}"}
        return httpx.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=30, **kw)

    def annotations(self, project: str) -> list[dict[str, Any]]:
        r = self.api("GET", f"/projects/{self.seeded.ids[project]}/annotations")
        r.raise_for_status()
        return list(r.json()["data"])


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("lw-web")
    url = f"sqlite:///{home / 'labelwell.db'}"
    seeded = seed(url, home)
    old = os.environ.get("LABELWELL_HOME")
    os.environ["LABELWELL_HOME"] = str(home)
    server = ServerProcess(url)
    try:
        server.start()
    finally:
        if old is None:
            os.environ.pop("LABELWELL_HOME", None)
        else:
            os.environ["LABELWELL_HOME"] = old
    try:
        yield Site(server.url, home, seeded)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            "browser tests need Debian's chromium at /usr/bin/chromium "
            "(apt-get install chromium chromium-driver)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield pg
        assert not errors, f"JavaScript errors: {errors}"
    finally:
        context.close()
