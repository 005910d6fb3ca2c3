"""The oldest Python a checked project says it needs, to explain syntax errors.

`fastasync check` parses with the Python it runs on: code written for a newer one
(`except A, B:` in 3.14, `type X = ...` in 3.12) does not parse, and the file is
reported as FA001. When the project's pyproject.toml asks for a newer Python than
this one, the report says so, and that running the check under it would help.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from fastasync_cli.check.config import get_table, parse_toml

# The lower bound of a version specifier: `>=3.14`, `~=3.12`, `==3.13.*`, `^3.12`.
_LOWER_BOUND = re.compile(r"(?:>=|~=|==|\^)\s*3\.(\d+)")
_RUFF_TARGET = re.compile(r"py3(\d+)")


def declared_minimum(start: Path) -> tuple[int, int] | None:
    """The oldest Python the nearest pyproject.toml at or above `start` accepts:
    its `requires-python`, else Poetry's `python` dependency, else ruff's
    `target-version`. None when there is no pyproject.toml or it says nothing."""
    for folder in (start, *start.parents):
        path = folder / "pyproject.toml"
        try:
            if not path.is_file():
                continue
            data = parse_toml(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):  # unreadable, not UTF-8, not TOML
            return None
        # Another tool's table of the wrong type is not ours to refuse: it says nothing.
        candidates = [
            (get_table(data, "project").get("requires-python"), _LOWER_BOUND),
            (get_table(data, "tool", "poetry", "dependencies").get("python"), _LOWER_BOUND),
            (get_table(data, "tool", "ruff").get("target-version"), _RUFF_TARGET),
        ]
        for value, pattern in candidates:
            if isinstance(value, str):
                minors = [int(minor) for minor in pattern.findall(value)]
                if minors:
                    return (3, min(minors))
        return None
    return None


def newer_than_running(start: Path) -> tuple[int, int] | None:
    """The project's minimum Python when it is newer than the one running."""
    minimum = declared_minimum(start)
    return minimum if minimum is not None and minimum > sys.version_info[:2] else None
