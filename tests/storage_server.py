"""Real object stores for the storage tests, each in its own process on
127.0.0.1 and reached through its fsspec client like any remote endpoint:
moto's standalone server for s3:// (s3fs, as s3fs's own suite runs it),
gcp-storage-emulator for gs:// (gcsfs) and Microsoft's Azurite for az://
(adlfs). Nothing in a client is patched.

The ``store`` fixture runs a test once per store. A store whose server is not
installed skips its tests with the reason, unless ``LABELWELL_REQUIRE_<STORE>``
is set (``.ci/run`` sets it): then the test fails."""

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
    scheme = "s3"
    #: what must never reach an API response, a header or a job's result
    secrets = (ACCESS_KEY, SECRET_KEY)

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


# -- gs:// on gcp-storage-emulator --------------------------------------------

#: gcsfs asks a bucket's type over gRPC (storage control), which no emulator
#: speaks; read when gcsfs is imported, so set before the first import
os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"


@dataclass
class GcsServer:
    endpoint: str
    proc: subprocess.Popen[bytes]
    scheme = "gs"
    secrets: tuple[str, ...] = ()  # the emulator takes anonymous requests

    def options(self) -> dict[str, str]:
        return {"endpoint_url": self.endpoint}

    def credentials(self) -> dict[str, str]:
        return {"token": "anon", "project": "labelwell-test"}

    def reset(self) -> None:
        httpx.get(f"{self.endpoint}/wipe", timeout=10).raise_for_status()

    def make_bucket(self, name: str) -> None:
        fs = self.filesystem()
        if not fs.exists(name):
            fs.mkdir(name)

    def filesystem(self):  # -> gcsfs.GCSFileSystem
        import gcsfs

        return gcsfs.GCSFileSystem(endpoint_url=self.endpoint, token="anon",
                                   project="labelwell-test", skip_instance_cache=True,
                                   use_listings_cache=False)


def _skip_or_fail(store: str, why: str) -> None:
    if os.environ.get(f"LABELWELL_REQUIRE_{store.upper()}"):
        pytest.fail(f"{why}, and LABELWELL_REQUIRE_{store.upper()} is set")
    pytest.skip(f"{why}: the {store} storage tests are skipped")


def _serve(argv: list[str], answers, what: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_for(lambda: _alive(proc, what) and answers(), 60, f"{what} to answer")
    except BaseException:
        _stop(proc)
        raise
    return proc


def _alive(proc: subprocess.Popen[bytes], what: str) -> bool:
    if proc.poll() is not None:
        raise RuntimeError(f"{what} exited with {proc.returncode}")
    return True


def _stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


def _get_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="session")
def gcs_server() -> Iterator[GcsServer]:
    try:
        import gcp_storage_emulator  # noqa: F401
        import gcsfs  # noqa: F401
    except ImportError as exc:
        _skip_or_fail("gcs", f"{exc.name} is not installed (pip install -e '.[test]')")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    proc = _serve([sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1",
                   "--port", str(port), "--in-memory"],
                  lambda: _get_ok(f"{endpoint}/storage/v1/b"), "gcp-storage-emulator")
    try:
        yield GcsServer(endpoint, proc)
    finally:
        _stop(proc)


# -- az:// on Azurite ----------------------------------------------------------

#: Azurite's documented development account (the same in every copy of Azurite)
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
               "K1SZFPTOtr/KBHBeksoGMGw==")
#: where scripts/peers/azurite.sh installs it
AZURITE_DIR = os.environ.get(
    "LABELWELL_AZURITE_DIR", os.path.expanduser("~/.cache/labelwell/azurite-3"))


@dataclass
class AzuriteServer:
    endpoint: str
    proc: subprocess.Popen[bytes]
    scheme = "az"
    secrets = (AZURITE_KEY,)

    def options(self) -> dict[str, str]:
        return {}

    def credentials(self) -> dict[str, str]:
        return {"connection_string": (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={self.endpoint}/{AZURITE_ACCOUNT};")}

    def reset(self) -> None:
        fs = self.filesystem()
        for container in fs.ls(""):
            fs.rm(container, recursive=True)

    def make_bucket(self, name: str) -> None:
        fs = self.filesystem()
        if not fs.exists(name):
            fs.mkdir(name)

    def filesystem(self):  # -> adlfs.AzureBlobFileSystem
        import adlfs

        # a fresh instance each time: no listing cached by an earlier call
        return adlfs.AzureBlobFileSystem(**self.credentials(), skip_instance_cache=True)


@pytest.fixture(scope="session")
def azurite_server() -> Iterator[AzuriteServer]:
    try:
        import adlfs  # noqa: F401
    except ImportError:
        _skip_or_fail("azurite", "adlfs is not installed (pip install -e '.[test]')")
    binary = os.path.join(AZURITE_DIR, "node_modules", ".bin", "azurite-blob")
    if not os.access(binary, os.X_OK):
        _skip_or_fail("azurite", f"Azurite is not installed at {AZURITE_DIR} "
                                 "(scripts/peers/azurite.sh installs it)")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    proc = _serve([binary, "--blobHost", "127.0.0.1", "--blobPort", str(port),
                   "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry",
                   "--silent"],
                  lambda: _get_ok(f"{endpoint}/{AZURITE_ACCOUNT}?comp=list"), "Azurite")
    try:
        yield AzuriteServer(endpoint, proc)
    finally:
        _stop(proc)


_SERVERS = {"s3": "s3_server", "gs": "gcs_server", "az": "azurite_server"}


@pytest.fixture(params=sorted(_SERVERS))
def store(request: pytest.FixtureRequest) -> S3Server | GcsServer | AzuriteServer:
    """Each real store in turn, emptied for the test."""
    server = request.getfixturevalue(_SERVERS[request.param])
    server.reset()
    return server
