"""Settings read from the environment (``LABELWELL_*``), built once per app or command."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def default_home() -> Path:
    return Path(os.environ.get("LABELWELL_HOME", "~/.labelwell")).expanduser()


def default_database_url(home: Path | None = None) -> str:
    return f"sqlite:///{(home or default_home()) / 'labelwell.db'}"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    home: Path
    #: Largest upload accepted by the import route, in bytes.
    max_upload_bytes: int = 512 * 1024 * 1024
    #: Largest JSON request body accepted by ordinary routes, in bytes.
    max_body_bytes: int = 8 * 1024 * 1024
    #: Items written per transaction batch by importers.
    import_batch_size: int = 5_000
    secure_cookies: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        home = default_home()
        url = os.environ.get("LABELWELL_DATABASE_URL") or default_database_url(home)
        values: dict[str, object] = {"database_url": url, "home": home}
        if "LABELWELL_MAX_UPLOAD_BYTES" in os.environ:
            values["max_upload_bytes"] = int(os.environ["LABELWELL_MAX_UPLOAD_BYTES"])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
