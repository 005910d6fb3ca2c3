"""Where pyproject.toml keeps a list of requirements, and a line added to a
requirements file.

A project may declare its dependencies (or an extra) dynamic, `dynamic =
["dependencies"]`, and let its build backend read them from a file: setuptools'
`[tool.setuptools.dynamic] dependencies = {file = ["requirements.txt"]}`, or the
hatch-requirements-txt plugin's `[tool.hatch.metadata.hooks.requirements_txt] files =
["requirements.txt"]`. A requirement then goes to that file (the first, when several
are listed). Other backends and plugins compute them in ways fastasync cannot follow:
the requirement is for the user to add.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from fastasync_cli.engine.config_edits import distribution_name, parse_toml
from fastasync_cli.engine.edits import SourceError


@dataclass(frozen=True)
class RequirementsSource:
    """Where one list of requirements (the dependencies, or an extra) lives."""

    file: str | None = None  # the requirements file, relative to the project
    # Why the list is neither in pyproject.toml nor in a file fastasync can find;
    # None when it is in pyproject.toml (or in `file`).
    unknown: str | None = None


def requirements_source(root: Path, text: str, extra: str | None) -> RequirementsSource:
    """Where pyproject.toml (`text`) keeps the requirements of `extra` (None: the
    dependencies): in itself (the default), in a requirements file, or somewhere
    fastasync cannot tell."""
    try:
        doc = parse_toml(text, "pyproject.toml").unwrap()
    except SourceError:
        return RequirementsSource()  # the pyproject.toml edit names what is wrong
    project = doc.get("project")
    key = "dependencies" if extra is None else "optional-dependencies"
    dynamic = project.get("dynamic") if isinstance(project, dict) else None
    if not isinstance(dynamic, list) or key not in dynamic:
        return RequirementsSource()
    what = "dependencies" if extra is None else f"`{extra}` extra"
    files = _declared_files(doc, extra)
    if files is None:
        if extra is not None and _has_group(doc, extra):
            return RequirementsSource()  # a `[dependency-groups]` list of that name
        return RequirementsSource(
            unknown=f"pyproject.toml leaves its {what} to the build backend "
            f'(`dynamic = ["{key}"]`), and fastasync cannot tell where it reads them'
        )
    first = files[0]
    if not _plain_relative(first):
        return RequirementsSource(
            unknown=f"pyproject.toml reads its {what} from {first}, outside the project"
        )
    if not (root / first).is_file():
        return RequirementsSource(
            unknown=f"pyproject.toml reads its {what} from {first}, which is missing"
        )
    return RequirementsSource(file=PurePosixPath(first).as_posix())


def _declared_files(doc: dict[str, Any], extra: str | None) -> list[str] | None:
    """The requirements files setuptools or hatch-requirements-txt reads the list
    from, or None when neither names one."""
    tool = doc.get("tool", {})
    setuptools = _table(tool, "setuptools", "dynamic")
    entry = (
        setuptools.get("dependencies")
        if extra is None
        else _table(setuptools, "optional-dependencies").get(extra)
    )
    if isinstance(entry, dict):
        files = _strings(entry.get("file"))
        if files:
            return files
    hook = _table(tool, "hatch", "metadata", "hooks", "requirements_txt")
    hatch = hook.get("files") if extra is None else _table(hook, "optional-dependencies").get(extra)
    return _strings(hatch) or None


def _table(table: Any, *keys: str) -> dict[str, Any]:
    for key in keys:
        table = table.get(key) if isinstance(table, dict) else None
    return table if isinstance(table, dict) else {}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return []


def _has_group(doc: dict[str, Any], name: str) -> bool:
    groups = doc.get("dependency-groups")
    return isinstance(groups, dict) and isinstance(groups.get(name), list)


def _plain_relative(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return bool(name) and not path.is_absolute() and ".." not in path.parts


def ensure_requirement_line(text: str, requirement: str) -> str:
    """`requirement` on a line of its own at the end of a requirements file, unless a
    line already requires the same distribution (with any version range: the user's
    choice). Comments, options (`-r`, `--hash`) and blank lines stay as they are."""
    wanted = distribution_name(requirement)
    for line in text.splitlines():
        code = re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()
        if code and not code.startswith("-") and distribution_name(code) == wanted:
            return text
    prefix = text if not text or text.endswith("\n") else text + "\n"
    return f"{prefix}{requirement}\n"
