"""A real S3-compatible server for the storage tests: moto's standalone server
in its own process on 127.0.0.1 (as s3fs's own suite runs it), reached through
s3fs like any other S3 endpoint. Nothing in the client is patched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from server_process import free_port
from waiting import wait_for

#: credentials the moto server accepts (it accepts any); never real ones
ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key-do-not-log"


@dataclass
class S3Server:
    endpoint: str
    proc: subprocess.Popen[bytes]

    def options(self) -> dict[str, str]:
        """A storage connection's options for this server."""
        return {"endpoint_url": self.endpoint, "region": "us-east-1"}

    def credentials(self) -> dict[str, str]:
        return {"key": ACCESS_KEY, "secret": SECRET_KEY}

    def reset(self) -> None:
        """Empty every bucket (moto's reset API), so each test starts bare."""
        httpx.post(f"{self.endpoint}/moto-api/reset", timeout=10).raise_for_status()

    def make_bucket(self, name: str) -> None:
        """Create a bucket in the default region (no LocationConstraint)."""
        import s3fs

        s3fs.S3FileSystem(
            key=ACCESS_KEY,
            secret=SECRET_KEY,
            skip_instance_cache=True,
            client_kwargs={"endpoint_url": self.endpoint},
        ).mkdir(name)

    def filesystem(self):  # -> s3fs.S3FileSystem
        import s3fs

        return s3fs.S3FileSystem(
            key=ACCESS_KEY,
            secret=SECRET_KEY,
            skip_instance_cache=True,
            client_kwargs={"endpoint_url": self.endpoint, "region_name": "us-east-1"},
        )


def _answers(endpoint: str, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise RuntimeError(f"moto_server exited with {proc.returncode}")
    try:
        return httpx.get(f"{endpoint}/moto-api/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    pytest.importorskip("s3fs")
    pytest.importorskip("moto.server")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(endpoint, proc), 60, "moto_server to answer")
        yield S3Server(endpoint, proc)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


@pytest.fixture
def s3(s3_server: S3Server) -> S3Server:
    s3_server.reset()
    return s3_server
