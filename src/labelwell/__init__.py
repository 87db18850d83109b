"""labelwell: the data engine that turns raw data into trustworthy training data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from labelwell.client import Client

__all__ = ["Client", "__version__"]


def __getattr__(name: str) -> Any:
    # The SDK is imported lazily so that `import labelwell.quality` stays light.
    if name == "Client":
        from labelwell.client import Client

        return Client
    raise AttributeError(name)
