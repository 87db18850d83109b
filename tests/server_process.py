"""Run the real server (``labelwell serve``) in its own process for concurrency
and crash tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from waiting import wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    def __init__(self, database_url: str, *, workers: int = 1, port: int | None = None) -> None:
        self.database_url = database_url
        self.workers = workers
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        env = {**os.environ, "LABELWELL_DATABASE_URL": self.database_url}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "labelwell.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(self.workers)],
            env=env, start_new_session=True,
        )
        wait_for(self.healthy, timeout, f"the server on port {self.port} to answer /healthz")

    def healthy(self) -> bool:
        """True once ``/healthz`` answers 200; raises if the server process has exited."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"server exited with {self.proc.returncode}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL the server and its workers, as a crash would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def running(
    database_url: str, *, start_timeout: float = 60.0, **kwargs: object
) -> Iterator[ServerProcess]:
    server = ServerProcess(database_url, **kwargs)  # type: ignore[arg-type]
    server.start(start_timeout)
    try:
        yield server
    finally:
        server.stop()
