"""S3-compatible servers on 127.0.0.1 for the storage benchmarks, each started
in a process group of its own and stopped on exit:

* moto's standalone server (the server the tests use), optionally with
  buckets filled in its own process before it serves (``_moto_seeded.py``);
* a folder on disk (tmpfs where there is one), one file an object, read
  through fsspec's local filesystem: no S3 server at all, so what a sync then
  takes is labelwell's own time;
* s3rver (a Node.js S3 server that keeps objects as files, from npm; installed
  outside the project by ``benchmarks/peers.sh s3rver``), its buckets filled by
  writing its files before it starts.

Either way the code under test reaches the server over HTTP through s3fs, as
any S3 endpoint: nothing in the client is patched."""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec  # type: ignore[import-untyped]
import httpx
import s3fs  # type: ignore[import-untyped]

#: where ``benchmarks/peers.sh s3rver`` installs s3rver 3.7.1
S3RVER = Path(
    os.environ.get(
        "LABELWELL_S3RVER",
        Path.home() / ".cache/labelwell/s3rver/node_modules/s3rver/bin/s3rver.js",
    )
)
#: objects under one shard prefix of the sharded layout
PER_SHARD = 1_000
#: shards a day in the sharded layout
SHARDS = 10
LAYOUTS = ("sharded", "shards", "flat")


@dataclass(frozen=True)
class Endpoint:
    """An S3 server's address and credentials, or (``key`` None) a folder on
    disk whose subfolders stand for buckets."""

    url: str
    key: str | None
    secret: str | None
    #: seconds the server took to fill its buckets before serving
    seed_s: float

    def filesystem(self) -> Any:
        if self.key is None:
            return fsspec.filesystem("file")
        return s3fs.S3FileSystem(
            key=self.key,
            secret=self.secret,
            use_listings_cache=False,
            skip_instance_cache=True,
            client_kwargs={"endpoint_url": self.url},
        )

    def path(self, bucket: str) -> str:
        """The path of ``bucket``'s ``in/`` prefix for :meth:`filesystem`."""
        return f"{self.url[len('file://') :]}/{bucket}/in" if self.key is None else f"{bucket}/in"

    def connection(self, bucket: str) -> dict[str, Any]:
        """A storage connection's url, options and credentials for ``bucket``."""
        if self.key is None:
            return {"url": f"file://{self.path(bucket)}", "options": {}, "credentials": {}}
        return {
            "url": f"s3://{bucket}/in",
            "options": {"endpoint_url": self.url},
            "credentials": {"key": self.key, "secret": self.secret},
        }


def key_of(layout: str, i: int) -> str:
    """The ``i``-th key below the prefix: ``sharded`` puts them under date and
    shard prefixes as services write them (``2026-01-03/shard-07/0012345.jpg``,
    :data:`PER_SHARD` a shard), ``shards`` under one level of shard prefixes
    (``shard-0012/0012345.jpg``), ``flat`` directly under the prefix."""
    if layout == "flat":
        return f"{i:07d}.jpg"
    if layout == "shards":
        return f"shard-{i // PER_SHARD:04d}/{i:07d}.jpg"
    shard = i // PER_SHARD
    day, part = divmod(shard, SHARDS)
    return f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}/shard-{part:02d}/{i:07d}.jpg"


def parse_seed(specs: list[str]) -> dict[str, tuple[str, int]]:
    """``["sharded=sharded:100000"]`` -> ``{"sharded": ("sharded", 100000)}``."""
    out: dict[str, tuple[str, int]] = {}
    for spec in specs:
        bucket, _, rest = spec.partition("=")
        layout, _, n = rest.partition(":")
        if layout not in LAYOUTS or not n.isdigit():
            raise SystemExit(f"--seed {spec!r}: expected BUCKET=LAYOUT:N, LAYOUT one of {LAYOUTS}")
        out[bucket] = (layout, int(n))
    return out


def chosen(
    parser: argparse.ArgumentParser, option: str, value: str, known: Iterable[str]
) -> list[str]:
    """The comma-separated names given to ``option``; a usage error naming any
    not in ``known``."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = set(names) - set(known)
    if unknown:
        parser.error(f"{option}: unknown {', '.join(sorted(unknown))}")
    return names


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serving(cmd: list[str], probe: str, timeout_s: float) -> Iterator[float]:
    """Start ``cmd``; yield the seconds until ``probe`` answered."""
    t0 = time.perf_counter()
    server = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited with {server.returncode}")
            try:
                if httpx.get(probe, timeout=5).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - t0 > timeout_s:
                raise RuntimeError(f"{probe} did not answer within {timeout_s:.0f} s")
            time.sleep(0.2)
        yield time.perf_counter() - t0
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@contextmanager
def moto_server() -> Iterator[str]:
    """The endpoint URL of a fresh, empty moto server, stopped on exit."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with _serving(cmd, f"{endpoint}/moto-api/", 60):
        yield endpoint


@contextmanager
def seeded_moto(seed: Mapping[str, tuple[str, int]]) -> Iterator[Endpoint]:
    """moto's server with ``seed``'s buckets (bucket -> (layout, objects),
    keys ``in/<key_of>``) filled in process before it serves."""
    port = free_port()
    cmd = [sys.executable, str(Path(__file__).with_name("_moto_seeded.py")), "--port", str(port)]
    for bucket, (layout, n) in seed.items():
        cmd += ["--seed", f"{bucket}={layout}:{n}"]
    with _serving(cmd, f"http://127.0.0.1:{port}/moto-api/", 3600) as seed_s:
        yield Endpoint(f"http://127.0.0.1:{port}", "k", "s", seed_s)


def _fill_s3rver(root: Path, seed: Mapping[str, tuple[str, int]]) -> None:
    """Write s3rver's own files for each object (what its PUT writes:
    ``<key>._S3rver_object``, ``.._object.md5`` and ``.._metadata.json``)."""
    body = b"x"
    md5 = hashlib.md5(body).hexdigest().encode()
    meta = b'{\n  "content-type": "binary/octet-stream"\n}'
    for bucket, (layout, n) in seed.items():
        made: set[Path] = set()
        for i in range(n):
            path = root / bucket / "in" / key_of(layout, i)
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            stem = str(path)
            Path(f"{stem}._S3rver_object").write_bytes(body)
            Path(f"{stem}._S3rver_object.md5").write_bytes(md5)
            Path(f"{stem}._S3rver_metadata.json").write_bytes(meta)


@contextmanager
def s3rver(seed: Mapping[str, tuple[str, int]]) -> Iterator[Endpoint]:
    """s3rver serving ``seed``'s buckets from a scratch directory; its default
    credentials (``S3RVER``), which it checks."""
    if not S3RVER.exists():
        raise SystemExit(f"s3rver is not installed at {S3RVER}: run benchmarks/peers.sh s3rver")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="s3rver-", dir=_tmpfs()) as tmp:
        t0 = time.perf_counter()
        _fill_s3rver(Path(tmp), seed)
        filled = time.perf_counter() - t0
        # s3rver cyphers its continuation tokens with DES, which OpenSSL 3 keeps
        # in its legacy provider
        cmd = [
            "node",
            "--openssl-legacy-provider",
            str(S3RVER),
            "-d",
            tmp,
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "-s",
        ]
        with _serving(cmd, f"http://127.0.0.1:{port}/", 60) as started:
            yield Endpoint(f"http://127.0.0.1:{port}", "S3RVER", "S3RVER", filled + started)


def _tmpfs() -> str | None:
    """``/dev/shm`` where there is one: 300,000 small files on this machine's
    disk took minutes to write."""
    return "/dev/shm" if Path("/dev/shm").is_dir() else None


@contextmanager
def disk(seed: Mapping[str, tuple[str, int]]) -> Iterator[Endpoint]:
    """A scratch folder holding ``seed``'s objects, one empty file each."""
    with tempfile.TemporaryDirectory(prefix="objects-", dir=_tmpfs()) as tmp:
        t0 = time.perf_counter()
        for bucket, (layout, n) in seed.items():
            made: set[Path] = set()
            for i in range(n):
                path = Path(tmp) / bucket / "in" / key_of(layout, i)
                if path.parent not in made:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    made.add(path.parent)
                path.write_bytes(b"x")
        yield Endpoint(f"file://{tmp}", None, None, time.perf_counter() - t0)
