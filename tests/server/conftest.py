"""Fixtures the API tests share."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from labelwell.server import create_app


@pytest.fixture
def api(db, settings, world):
    """A client of a fresh app over the test's database and ``world``."""
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        yield client
