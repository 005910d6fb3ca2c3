"""`fastasync add endpoint|client|task|celery`: grow a project."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Add a component to the project around the current folder.",
    no_args_is_help=True,
)
