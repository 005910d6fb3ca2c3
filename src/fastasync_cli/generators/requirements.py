"""The requirements an `add` command brings, put where the project keeps them."""

from __future__ import annotations

import functools
from collections.abc import Callable

from fastasync_cli.engine.config_edits import ensure_toml_dependency
from fastasync_cli.engine.fileio import read_text_file
from fastasync_cli.engine.plan import ByHand
from fastasync_cli.engine.requirements_files import (
    RequirementsSource,
    ensure_requirement_line,
    requirements_source,
)
from fastasync_cli.generators.component import ComponentPlan

PYPROJECT = "pyproject.toml"
BY_HAND_HINT = "Add these requirements by hand where your build backend reads them:"


def _list_name(extra: str | None) -> str:
    if extra is None:
        return "[project] dependencies"
    return f"the {extra} list of [project.optional-dependencies]"


def edit_pyproject(
    builder: ComponentPlan,
    requirements: list[tuple[str, str | None]],
    *,
    more: Callable[[str], str] | None = None,
    more_manual: str = "",
) -> None:
    """Add each requirement (with its extra, None for the dependencies) to the list it
    belongs in, and apply `more` to pyproject.toml.

    A list pyproject.toml declares dynamic goes to the requirements file its build
    backend reads (see `requirements_files`); one fastasync cannot find is left to
    the user, with the lines, and the rest of the command goes on.
    """
    source = read_text_file(builder.root, PYPROJECT)
    current = source.text if source is not None else ""
    static: list[tuple[str, str | None]] = []
    files: dict[str, list[str]] = {}
    unknown: dict[str, list[str]] = {}
    # pyproject.toml parsed once per list, not once per requirement.
    sources: dict[str | None, RequirementsSource] = {}
    for requirement, extra in requirements:
        if extra not in sources:
            sources[extra] = requirements_source(builder.root, current, extra)
        where = sources[extra]
        if where.file is not None:
            files.setdefault(where.file, []).append(requirement)
        elif where.unknown is not None:
            unknown.setdefault(where.unknown, []).append(requirement)
        else:
            static.append((requirement, extra))

    def update(text: str) -> str:
        for requirement, extra in static:
            text = ensure_toml_dependency(text, PYPROJECT, requirement, extra=extra)
        return more(text) if more is not None else text

    manual = [f'"{requirement}",  # in {_list_name(extra)}' for requirement, extra in static]
    builder.edit_file(PYPROJECT, update, "\n".join([*manual, more_manual]).strip("\n"))
    for rel, lines in files.items():
        builder.edit_file(rel, functools.partial(_with_lines, lines=lines), "\n".join(lines))
    for reason, lines in unknown.items():
        builder.plan.by_hand.append(ByHand(f"{reason}.", BY_HAND_HINT, "\n".join(lines)))


def _with_lines(text: str, lines: list[str]) -> str:
    for line in lines:
        text = ensure_requirement_line(text, line)
    return text
