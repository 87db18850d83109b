"""Steps shared by the browser tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from web.seed import PASSWORD

#: Where the tests save a screenshot of each screen. Refresh the documentation's
#: images with ``LABELWELL_SCREENSHOTS=docs/img make test``.
SHOTS = Path(
    os.environ.get("LABELWELL_SCREENSHOTS")
    or Path(tempfile.gettempdir()) / "labelwell-screenshots"
)

#: Form controls without a label (``<label for>``, an enclosing label or ``aria-label``).
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter((el) => !(el.getAttribute('aria-label') || (el.id && document.querySelector(
      `label[for="${el.id}"]`)) || el.closest('label')))
  .map((el) => el.outerHTML.slice(0, 80))"""


def login(page: Any, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/projects")


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_workspace(page: Any, project_id: int) -> str:
    """Open the labeling page and wait for the first task; returns its assignment id."""
    page.goto(f"/projects/{project_id}/label")
    page.wait_for_selector("body[data-ready]:not([data-ready='']), #status.error", state="attached")
    return str(page.evaluate("document.body.dataset.ready"))


def submit_and_wait(page: Any, before: str, key: str = "Enter") -> str:
    page.keyboard.press(key)
    # Selectors rather than wait_for_function: the page's CSP forbids eval.
    page.wait_for_selector(
        f"body[data-ready]:not([data-ready='{before}']):not([data-ready='']), #status.error",
        state="attached",
    )
    problem = page.inner_text("#status")
    assert not problem, problem
    return str(page.evaluate("document.body.dataset.ready"))
