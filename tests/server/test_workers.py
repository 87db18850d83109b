"""`labelwell serve --workers N`: one listening socket per process, so that
connections opened together spread over the processes; a dead process is
replaced on its socket; SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import psutil
import pytest

from labelwell.server import workers
from server_process import ServerProcess, free_port
from waiting import wait_for

pytestmark = pytest.mark.skipif(not workers.supports_reuse_port(), reason="needs SO_REUSEPORT")


def _children(pid: int) -> list[psutil.Process]:
    """The live server processes under the supervisor ``pid``."""
    found = []
    for p in psutil.Process(pid).children():
        try:
            if p.status() != psutil.STATUS_ZOMBIE and "spawn_main" in " ".join(p.cmdline()):
                found.append(p)
        except psutil.Error:
            pass  # gone meanwhile
    return found


def _connections_of(process: psutil.Process, port: int) -> int:
    return sum(1 for c in process.net_connections(kind="tcp")
               if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port)


def test_connections_spread_and_a_dead_worker_is_replaced(tmp_path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path / 'labelwell.db'}", workers=2)
    server.start()
    try:
        assert server.proc is not None
        wait_for(lambda: len(_children(server.proc.pid)) == 2, 30, "two server workers")
        processes = _children(server.proc.pid)
        # 32 keep-alive connections opened at once, each answered once
        clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(32)]
        for c in clients:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        for c in clients:
            assert c.recv(4096).startswith(b"HTTP/1.1 200")
        held = [_connections_of(p, server.port) for p in processes]
        assert sum(held) == 32
        assert min(held) >= 4, f"connections per process: {held}"  # binomial(32, 1/2)
        for c in clients:
            c.close()

        processes[0].send_signal(signal.SIGKILL)
        pid = server.proc.pid
        wait_for(
            lambda: processes[0].pid not in {p.pid for p in _children(pid)}
            and len(_children(pid)) == 2,
            30,
            "the killed worker to be replaced",
        )
        # every connection is served again, whichever socket it lands on
        for _ in range(20):
            assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200
    finally:
        server.stop()
    assert server.proc is not None and server.proc.returncode == 0
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in processes[1:])


def test_a_port_in_use_is_refused(tmp_path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        env = {**os.environ, "LABELWELL_DATABASE_URL": f"sqlite:///{tmp_path / 'l.db'}"}
        done = subprocess.run(
            [sys.executable, "-m", "labelwell.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in done.stderr
