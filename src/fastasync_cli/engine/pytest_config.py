"""Where a project's pytest settings are, as pytest itself looks for them, and a
plugin added to an ini file's `addopts`.

pytest reads the first of pytest.ini, .pytest.ini, pyproject.toml (with a
`[tool.pytest.ini_options]` table), tox.ini (with `[pytest]`) and setup.cfg (with
`[tool:pytest]`) in the project's folder, and ignores the others: a plugin added to
pyproject.toml when pytest.ini exists is never loaded.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from pathlib import Path

from fastasync_cli.engine.edits import AnchorMissing, SourceError

PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class PytestConfig:
    rel: str
    section: str | None  # the ini section; None for pyproject.toml


def pytest_config(root: Path) -> PytestConfig:
    """The file pytest takes its settings from (pyproject.toml when none is found)."""
    for rel, section in (("pytest.ini", "pytest"), (".pytest.ini", "pytest")):
        if (root / rel).is_file():
            return PytestConfig(rel, section)
    if _has_pytest_table(root / PYPROJECT):
        return PytestConfig(PYPROJECT, None)
    for rel, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        if _has_section(root / rel, section):
            return PytestConfig(rel, section)
    return PytestConfig(PYPROJECT, None)


def _has_pytest_table(path: Path) -> bool:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return path.is_file()  # the edit names what is wrong with it
    return "pytest" in data.get("tool", {})


def _has_section(path: Path, section: str) -> bool:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(rf"^\[{re.escape(section)}\][ \t]*$", text, re.MULTILINE) is not None


def ensure_ini_plugin(text: str, path: str, section: str, plugin: str) -> str:
    """`-p plugin` at the end of `addopts` in `[section]` (a line of its own when the
    section has no `addopts`); an `addopts` continued over lines is left to the user."""
    import shlex

    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise SourceError(f"{path} does not parse ({exc.message.splitlines()[0]})") from exc
    if not parser.has_section(section):
        raise AnchorMissing(f"a `[{section}]` section")
    addopts = parser.get(section, "addopts", fallback=None)
    if addopts is not None and (plugin in shlex.split(addopts) or f"-p{plugin}" in addopts):
        return text
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"[{section}]")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    for index in range(start + 1, end):
        match = re.match(r"addopts\s*[=:]", lines[index])
        if match is None:
            continue
        following = lines[index + 1] if index + 1 < end else ""
        if (following[:1] in {" ", "\t"} and following.strip()) or re.search(r"[#;]", lines[index]):
            raise AnchorMissing(f"`addopts` on one line, without a comment, in `[{section}]`")
        body = lines[index].rstrip("\r\n")
        lines[index] = f"{body} -p {plugin}" + lines[index][len(body) :]
        return "".join(lines)
    header = lines[start]
    ending = header[len(header.rstrip("\r\n")) :] or "\n"
    lines.insert(start + 1, f"addopts = -p {plugin}{ending}")
    return "".join(lines)
