"""The `fastasync` command. Commands import their heavy machinery only when they run."""

from __future__ import annotations

from typing import Annotated

import typer

from fastasync_cli import __version__
from fastasync_cli.cli import add, check, new

app = typer.Typer(
    name="fastasync",
    help="Scaffold async FastAPI projects that follow the async best practices, and "
    "grow them safely.",
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fastasync {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="Show the version and exit.",
            callback=_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Scaffold async FastAPI projects that follow the async best practices, and grow
    them safely."""


app.command("new", no_args_is_help=True)(new.new)
app.add_typer(add.app, name="add")
app.command("check")(check.check)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="fastasync")
