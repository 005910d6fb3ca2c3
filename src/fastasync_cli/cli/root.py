"""The `fastasync` Typer app. Commands import their heavy machinery only when they run."""

from __future__ import annotations

from typing import Annotated

import typer

from fastasync_cli import __version__
from fastasync_cli.cli import add, check, new
from fastasync_cli.cli.help import Command, Group

app = typer.Typer(
    name="fastasync",
    cls=Group,
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


app.command("new", no_args_is_help=True, cls=Command)(new.new)
app.add_typer(add.app, name="add")
app.command("check", cls=Command)(check.check)


def run() -> None:
    """Run the app; an interrupt Typer caught on its own still gets its line and code."""
    from fastasync_cli import interrupts

    try:
        app(prog_name="fastasync")
    except SystemExit as exc:
        interrupted = _interrupt_behind(exc)
        if interrupted is not None:
            interrupts.early_exit(interrupted)
        raise


def _interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The interrupt Typer turned into a silent exit 130, if that is what happened."""
    from fastasync_cli import interrupts

    if not isinstance(exc, SystemExit) or exc.code != 130:
        return None
    seen = exc.__context__
    while seen is not None:
        cause = seen.__cause__
        if isinstance(cause, interrupts.Interrupted):
            return cause
        if isinstance(cause, KeyboardInterrupt):
            return interrupts.Interrupted()
        seen = seen.__context__
    return None
