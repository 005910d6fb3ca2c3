"""Parsers for path arguments and options: an empty one is a usage error.

Click turns `""` into `Path(".")`, so `fastasync new "$DIR"` with `DIR` unset would
generate into the current folder, and `add --project "$P"` would grow whatever project
is around it. Ruff refuses an empty path too.
"""

from __future__ import annotations

from pathlib import Path


def path(value: str) -> Path:
    """`value` as a Path; an empty or blank string is refused (exit 2)."""
    import typer

    if not value.strip():
        raise typer.BadParameter("the path is empty; to mean the current folder, pass '.'")
    return Path(value)
