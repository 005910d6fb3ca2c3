"""The baseline for `cli_startup`: a bare Typer app with two commands, nothing else.

`python benchmarks/bare_typer.py --help` is what `fastasync --help` is measured against.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="A bare Typer app with two commands.", add_completion=False)


@app.command()
def new(
    path: Annotated[Path, typer.Argument(help="Folder to create.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Ask nothing.")] = False,
) -> None:
    """Create something in PATH."""
    typer.echo(f"new {path} {yes}")


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="What to add.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write nothing.")] = False,
) -> None:
    """Add something."""
    typer.echo(f"add {name} {dry_run}")


if __name__ == "__main__":
    app()
