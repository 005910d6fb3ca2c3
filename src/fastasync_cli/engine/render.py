"""Turn templates into file contents: Copier for whole projects, Jinja for pieces."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from fastasync_cli.errors import FastasyncError

if TYPE_CHECKING:
    import jinja2  # for the annotation only: _jinja_env imports it when first used


@dataclass(frozen=True)
class RenderedFile:
    path: PurePosixPath
    content: str
    mode: int


@functools.cache
def templates_root() -> Path:
    """The templates folder: inside the installed package, or beside `src/` in a checkout."""
    packaged = Path(str(resources.files("fastasync_cli") / "templates"))
    if packaged.is_dir():
        return packaged
    # An editable install runs from the source tree, where templates/ is top level.
    checkout = Path(__file__).resolve().parents[3] / "templates"
    if checkout.is_dir():
        return checkout
    raise FastasyncError(
        "fastasync's templates are missing from its installation.",
        "Reinstall it: pipx reinstall fastasync",
    )


def render_project(answers: dict[str, Any]) -> list[RenderedFile]:
    """Render `templates/project` with Copier into memory, in a stable order."""
    import copier

    from fastasync_cli.engine.fileio import scratch_folder

    with scratch_folder("fastasync-") as tmp:
        copier.run_copy(
            str(templates_root() / "project"),
            tmp,
            data=answers,
            defaults=True,
            quiet=True,
            overwrite=True,
            unsafe=False,
        )
        return read_tree(Path(tmp))


def read_tree(root: Path) -> list[RenderedFile]:
    """Every file under `root`, relative to it, in a stable order."""
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            rel = PurePosixPath(path.relative_to(root).as_posix())
            files.append(
                RenderedFile(rel, path.read_text(encoding="utf-8"), path.stat().st_mode & 0o777)
            )
    return files


@functools.cache
def _jinja_env(kind: str) -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_root() / kind)),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


def render_piece(kind: str, template: str, context: dict[str, Any]) -> str:
    """Render one file of `templates/<kind>/`."""
    return _jinja_env(kind).get_template(template).render(**context)


def format_python(project_root: Path, rel: str, source: str) -> str:
    """Sort imports and format new code with ruff, under the project's own ruff settings.

    Only for files fastasync writes whole; files the user owns are edited, never
    reformatted.
    """
    from fastasync_cli.engine.python_style import format_new_file

    return format_new_file(project_root, rel, source)
