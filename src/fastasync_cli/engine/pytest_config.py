"""Where a project's pytest settings are, as pytest itself looks for them, and a
plugin added to their `addopts`.

pytest reads the first of pytest.toml, .pytest.toml (a `[pytest]` table), pytest.ini,
.pytest.ini, pyproject.toml (a `[tool.pytest]` or `[tool.pytest.ini_options]` table),
tox.ini (with `[pytest]`) and setup.cfg (with `[tool:pytest]`) in the project's folder,
and ignores the others: a plugin added to pyproject.toml when pytest.ini exists is
never loaded.

pytest 9 reads the TOML tables `[pytest]` (pytest.toml) and `[tool.pytest]`
(pyproject.toml) in its native mode, where `addopts` must be a list of strings;
`[tool.pytest.ini_options]` keeps the ini mode, where it may be one string.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastasync_cli.engine.config_edits import append_in_layout, parse_toml
from fastasync_cli.engine.edits import AnchorMissing, SourceError

PYPROJECT = "pyproject.toml"
NATIVE = "tool.pytest"  # pyproject.toml's table in pytest 9's native TOML mode
INI_OPTIONS = "tool.pytest.ini_options"


@dataclass(frozen=True)
class PytestConfig:
    rel: str
    section: str | None  # the ini section; None for a TOML file
    table: str | None = None  # the TOML table, dotted: `pytest`, `tool.pytest`, ...

    @property
    def is_toml(self) -> bool:
        return self.section is None


def pytest_config(root: Path) -> PytestConfig:
    """The file pytest takes its settings from (pyproject.toml when none is found)."""
    for rel in ("pytest.toml", ".pytest.toml"):
        if (root / rel).is_file():
            return PytestConfig(rel, None, "pytest")
    for rel, section in (("pytest.ini", "pytest"), (".pytest.ini", "pytest")):
        if (root / rel).is_file():
            return PytestConfig(rel, section)
    table = _pyproject_table(root / PYPROJECT)
    if table is not None:
        return PytestConfig(PYPROJECT, None, table)
    for rel, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        if _has_section(root / rel, section):
            return PytestConfig(rel, section)
    return PytestConfig(PYPROJECT, None, INI_OPTIONS)


def _pyproject_table(path: Path) -> str | None:
    """The table of pyproject.toml pytest reads, or None when it has none."""
    try:
        data = parse_toml(path.read_text(encoding="utf-8-sig"), PYPROJECT).unwrap()
    except (OSError, UnicodeDecodeError, SourceError):
        # The edit names what is wrong with it.
        return INI_OPTIONS if path.is_file() else None
    tool = data.get("tool", {})
    pytest = tool.get("pytest") if isinstance(tool, dict) else None
    if not isinstance(pytest, dict):
        return None
    # As pytest does: keys beside `ini_options` make the native table the one read.
    if any(key != "ini_options" for key in pytest):
        return NATIVE
    return INI_OPTIONS if "ini_options" in pytest else None


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


def ensure_toml_plugin(text: str, path: str, plugin: str, table: str = INI_OPTIONS) -> str:
    """Load `plugin` in every pytest run: `-p plugin` in the `addopts` of the TOML
    `table` (dotted), a list in pytest's native tables and a list or a string in
    `[tool.pytest.ini_options]`."""
    import shlex

    import tomlkit

    doc = parse_toml(text, path)
    options: Any = doc
    for part in table.split("."):
        options = options.get(part) if isinstance(options, dict) else None
    if table == NATIVE and isinstance(options, dict) and "ini_options" in options:
        # Both tables: pytest refuses to start, naming them; the user picks one.
        raise AnchorMissing(f"only one of `[{NATIVE}]` and `[{INI_OPTIONS}]`")
    if not isinstance(options, dict):
        raise AnchorMissing(f"a `[{table}]` table")
    native = table != INI_OPTIONS
    addopts = options.get("addopts")
    if addopts is None:
        options["addopts"] = ["-p", plugin]
    elif isinstance(addopts, list):
        words = [str(word) for word in addopts]
        if plugin in words or f"-p{plugin}" in words:
            return text
        append_in_layout(addopts, "-p", plugin)
    elif isinstance(addopts, str) and not native:
        words = shlex.split(addopts)
        if plugin in words or f"-p{plugin}" in words:
            return text
        options["addopts"] = f"{addopts} -p {plugin}".strip()
    else:
        kinds = "a list of strings" if native else "a list or a string"
        raise AnchorMissing(f"`addopts` as {kinds} in `[{table}]`")
    return tomlkit.dumps(doc)
