"""`labelwell worker`: run background jobs (retrain, pre-label, export).

Start one or more beside the servers, on any machine that reaches the database
(``labelwell serve`` starts one by default). Each job runs once, whichever
worker claims it; a worker that dies leaves its job to be claimed again once
its lease lapses."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import typer

from labelwell.cli._common import open_database, reports_errors


@reports_errors
def worker(
    once: bool = typer.Option(False, help="Run the queued jobs, then stop."),
    poll: float = typer.Option(0.5, min=0.05, help="Seconds between looks for new jobs."),
    status: bool = typer.Option(False, help="Print how many jobs are in each state and stop."),
) -> None:
    """Run background jobs from the database named by LABELWELL_DATABASE_URL."""
    from labelwell.settings import Settings
    from labelwell.work import jobs

    db = open_database()
    if status:
        with db.read_session() as s:
            found = jobs.counts(s)
        for state in (*jobs.LIVE, *jobs.FINISHED):
            typer.echo(f"{state:<10} {found.get(state, 0)}")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    home = Settings.from_env().home
    if not once:
        typer.echo("labelwell worker: waiting for jobs (Ctrl-C stops it after the current job)")
    ran = jobs.work(db, home, once=once, poll_s=poll, stop=stop)
    typer.echo(f"ran {ran} job{'s' if ran != 1 else ''}")


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
