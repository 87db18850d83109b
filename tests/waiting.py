"""Waiting in tests for something to happen, never for a fixed time.

``wait_for(condition, timeout, what)`` polls ``condition`` until it returns a
true value (which it returns) and fails the test, naming ``what`` and the time
it waited, when ``timeout`` seconds pass first. A condition may raise to stop
early (a process that died will never become ready)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")

#: seconds between two looks at the condition
POLL_S = 0.02


def wait_for(condition: Callable[[], T], timeout: float, what: str) -> T:
    """``condition()``'s first true value, polled until ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(POLL_S)
