"""`labelwell serve` and `labelwell demo`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from labelwell.cli._common import open_database, reports_errors

APP = "labelwell.server.app:create_app"


def _run(host: str, port: int, workers: int) -> None:
    from labelwell.server import workers as processes

    if workers > 1 and processes.supports_reuse_port():
        # one listening socket per process, so connections spread over them all
        status = processes.serve(
            APP,
            host,
            port,
            workers,
            log_level="warning",
            timeout_graceful_shutdown=processes.GRACEFUL_SHUTDOWN_S,
        )
        if status:
            raise typer.Exit(status)
        return
    import uvicorn

    uvicorn.run(
        APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        timeout_graceful_shutdown=processes.GRACEFUL_SHUTDOWN_S,
    )


@contextmanager
def _job_worker(start: bool) -> Iterator[None]:
    """A ``labelwell worker`` process beside the server, stopped with it."""
    if not start:
        yield
        return
    process = subprocess.Popen([sys.executable, "-m", "labelwell.cli", "worker"])
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


JOB_WORKER = typer.Option(
    True,
    "--job-worker/--no-job-worker",
    help="Start a `labelwell worker` for background jobs beside the server "
    "(turn off when workers run elsewhere).",
)


@reports_errors
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
    workers: int = typer.Option(1, help="Server processes (they share the database)."),
    secure_cookies: bool = typer.Option(
        False, help="Mark session cookies Secure (HTTPS only); or LABELWELL_SECURE_COOKIES=1."
    ),
    job_worker: bool = JOB_WORKER,
) -> None:
    """Run the HTTP server on the database named by LABELWELL_DATABASE_URL."""
    if secure_cookies:  # the app (in each worker) reads its settings from the environment
        os.environ["LABELWELL_SECURE_COOKIES"] = "1"
    open_database()  # migrate once, before the workers start
    typer.echo(f"labelwell serving on http://{host}:{port}  (API docs at /docs)")
    with _job_worker(job_worker):
        _run(host, port, workers)


@reports_errors
def demo(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
    serve_: bool = typer.Option(True, "--serve/--no-serve", help="Start the server after."),
    job_worker: bool = JOB_WORKER,
) -> None:
    """Create demo projects (sentiment, NER, image boxes, segmentation, video, audio,
    point clouds, RLHF comparison) and serve them."""
    from labelwell.demo import DEMO_PASSWORD, create_demo
    from labelwell.settings import Settings

    settings = Settings.from_env()
    db = open_database()
    with db.session() as s:
        summary = create_demo(s, settings.home)
    db.dispose()
    for name in summary.created:
        typer.echo(f"created project {name}")
    for name in summary.existing:
        typer.echo(f"project {name} already exists")
    typer.echo(f"database: {settings.database_url}")
    typer.echo(f"open http://{host}:{port}/  (API at http://{host}:{port}/api/v1, docs at /docs)")
    typer.echo("logins (password for all: " + DEMO_PASSWORD + "):")
    for email, role in summary.users:
        typer.echo(f"  {role:<10} {email}")
    typer.echo(f"admin API token: {summary.admin_token}")
    if serve_:
        os.environ.setdefault("LABELWELL_DATABASE_URL", settings.database_url)
        with _job_worker(job_worker):
            _run(host, port, 1)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("demo")(demo)
