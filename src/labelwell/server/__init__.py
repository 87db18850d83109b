"""The HTTP server: a FastAPI app built by ``create_app(settings)``."""

from labelwell.server.app import create_app

__all__ = ["create_app"]
