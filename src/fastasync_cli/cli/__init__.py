"""The `fastasync` command's entry point: signals first, then everything else.

Ctrl-C, SIGTERM and SIGHUP get their handlers before Typer, Rich and the commands are
imported (that takes the first tens of milliseconds), so an interrupt at any moment ends
with one line and the conventional exit code, never a traceback.
"""

from __future__ import annotations

from typing import Any


def main() -> None:
    """Console-script entry point."""
    from fastasync_cli import interrupts

    interrupts.install()
    try:
        from fastasync_cli.cli.root import run

        run()
    except interrupts.Interrupted as exc:
        interrupts.early_exit(exc)
    finally:
        interrupts.hold_from_now()


def __getattr__(name: str) -> Any:
    # `from fastasync_cli.cli import app` (tests, typer's own tooling) loads the app.
    if name == "app":
        from fastasync_cli.cli.root import app

        return app
    raise AttributeError(name)
