"""Settings read from the environment (``LABELWELL_*``), built once per app or command."""

from __future__ import annotations

import os
from collections.abc import Callable
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
    #: Session cookies only over HTTPS (``Secure``); ``LABELWELL_SECURE_COOKIES=1``
    #: or ``labelwell serve --secure-cookies``.
    secure_cookies: bool = False
    #: A web session (a login) ends this long after it began, whatever its use.
    session_max_age_s: int = 12 * 3600
    #: ... or once unused for this long.
    session_idle_s: int = 2 * 3600
    #: A password reset link works once, for this long.
    reset_link_ttl_s: int = 24 * 3600
    #: Failed logins allowed per account, and per client address, within the
    #: window before further tries are answered 429 (counted per server process).
    login_failures_per_account: int = 5
    login_failures_per_address: int = 30
    login_window_s: int = 15 * 60
    #: Threads that verify passwords (argon2 is slow and memory-hard on purpose).
    password_threads: int = 2
    #: Where people reach the server, for the links the CLI prints.
    public_url: str = "http://127.0.0.1:8080"
    #: A live stream sends a heartbeat this often, and checks then that its
    #: session is still live (a logout ends the stream within this time).
    live_heartbeat_s: float = 15.0
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        home = default_home()
        url = os.environ.get("LABELWELL_DATABASE_URL") or default_database_url(home)
        values: dict[str, object] = {"database_url": url, "home": home}
        if "LABELWELL_MAX_UPLOAD_BYTES" in os.environ:
            values["max_upload_bytes"] = int(os.environ["LABELWELL_MAX_UPLOAD_BYTES"])
        for name, read in _FROM_ENV.items():
            if f"LABELWELL_{name.upper()}" in os.environ:
                values[name] = read(os.environ[f"LABELWELL_{name.upper()}"])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


#: Settings read from ``LABELWELL_<NAME>`` when set.
_FROM_ENV: dict[str, Callable[[str], object]] = {
    "max_body_bytes": int,
    "secure_cookies": _flag,
    "session_max_age_s": int,
    "session_idle_s": int,
    "reset_link_ttl_s": int,
    "public_url": str,
    "live_heartbeat_s": float,
}
