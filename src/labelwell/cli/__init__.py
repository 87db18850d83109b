"""The ``labelwell`` command line.

Each command group lives in its own module with a ``register(app)`` function;
``COMMAND_MODULES`` lists them so that every command is reachable from one place.
"""

from __future__ import annotations

import importlib

import typer

COMMAND_MODULES: tuple[str, ...] = (
    "admin",
    "projects",
    "data",
    "server",
    "rlhf",
    "quality",
    "quality_report",
    "weak",
    "assist",
    "migrate",
    "worker",
    "storage",
    "synth",
    "pipeline",
)

app = typer.Typer(
    name="labelwell",
    help="labelwell: labeling, quality, weak supervision, active learning and RLHF data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"labelwell.cli.{name}")
        module.register(app)


_register_all()


def main() -> None:
    app()
