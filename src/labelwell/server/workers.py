"""Several server processes on one port, each with a listening socket of its own.

uvicorn's ``--workers`` shares one listening socket between the processes, and
the process that wakes first accepts every connection then waiting. Clients
that connect together (a team starting work, a proxy opening its keep-alive
pool) therefore tend to land on one process: with 16 annotators connecting at
once, one process of two took all 16 connections in three runs of four while
the other idled. Here every process binds its own socket with
``SO_REUSEPORT`` and the kernel spreads incoming connections over them by a
hash of the client's address and port, as nginx's ``reuseport`` and
gunicorn's ``--reuse-port`` do.

The parent process binds the sockets and supervises: it starts the workers,
starts a new one in place of one that died (on the same socket), and on
SIGINT or SIGTERM stops them all (each finishes its requests in flight, as
uvicorn does on SIGTERM).
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from typing import Any

#: a worker that exits with an error this soon after starting failed to start
#: (the server stops rather than restart it in a loop); one killed by a signal
#: is always replaced
STARTUP_GRACE_S = 10.0
STOP_TIMEOUT_S = 30.0
#: on SIGTERM, requests still running this long after are cancelled (live event
#: streams never end by themselves; a long download is cut)
GRACEFUL_SHUTDOWN_S = 10


def supports_reuse_port() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def port_in_use(host: str, port: int) -> bool:
    """Something already accepts connections there (another server, perhaps
    another labelwell: sockets with ``SO_REUSEPORT`` would share the port)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A socket of this process's own on ``host:port``, in the port's
    ``SO_REUSEPORT`` group."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    return sock


def _worker(app: str, sock: socket.socket, host: str, port: int, options: dict[str, Any]) -> None:
    import uvicorn

    config = uvicorn.Config(app, factory=True, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[sock])


def serve(app: str, host: str, port: int, workers: int, **options: Any) -> int:
    """Run ``workers`` processes serving the app factory ``app`` on one port
    until SIGINT or SIGTERM; the exit status (1 when workers failed to start)."""
    if port_in_use(host, port):
        print(f"error: {host}:{port} is already in use", file=sys.stderr)
        return 1
    context = multiprocessing.get_context("spawn")
    stopping = False

    def _stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}

    # All sockets exist before any worker starts, so that connections spread
    # from the first one on (they wait in a socket's queue until its worker
    # serves), and a worker started in place of a dead one takes over its socket.
    sockets = [listening_socket(host, port) for _ in range(workers)]

    def start(index: int) -> tuple[BaseProcess, float]:
        process = context.Process(
            target=_worker,
            args=(app, sockets[index], host, port, options),
            name=f"labelwell-worker-{index}",
        )
        process.start()
        return process, time.monotonic()

    running = [start(index) for index in range(workers)]
    status = 0
    try:
        while not stopping:
            time.sleep(0.2)
            for index, (process, started) in enumerate(running):
                if process.is_alive() or stopping:
                    continue
                exitcode = process.exitcode or 0
                if exitcode > 0 and time.monotonic() - started < STARTUP_GRACE_S:
                    print(
                        f"error: a server process exited with status {process.exitcode} "
                        "while starting; stopping",
                        file=sys.stderr,
                    )
                    status = 1
                    stopping = True
                    break
                print(
                    f"a server process exited with status {process.exitcode}; starting another",
                    file=sys.stderr,
                )
                running[index] = start(index)
    finally:
        for process, _ in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes requests in flight
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process, _ in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sock in sockets:
            sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
