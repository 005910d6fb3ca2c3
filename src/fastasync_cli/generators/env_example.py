"""The lines `add` appends to .env.example: each setting a component reads, named
as the project's `Settings` reads it (its `env_prefix`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastasync_cli.generators.component import ComponentPlan

ENV_EXAMPLE = ".env.example"
COMPOSE = "compose.yaml"


def _env_key(entry: str) -> str:
    """The variable an .env.example entry sets: its last `NAME=value` line's NAME."""
    line = [line for line in entry.splitlines() if "=" in line][-1]
    return _env_name(line)


def _env_name(line: str) -> str:
    """The NAME of a `NAME=value` line, commented out (`# NAME=`) or exported
    (`export NAME=`, which python-dotenv reads too)."""
    name = line.lstrip("# \t").split("=", 1)[0].strip()
    words = name.split()
    return words[1] if len(words) == 2 and words[0] == "export" else name


def env_lines_appended(block_comment: str, lines: list[str]) -> Callable[[str], str]:
    """An .env.example update that appends the variables it does not document yet.

    An entry is one `NAME=value` line, or comment lines ending in one; entries of
    several lines are separated by blank lines, as the generated file does.
    """

    def update(text: str) -> str:
        documented = {_env_name(line) for line in text.splitlines() if "=" in line}
        missing = [entry for entry in lines if _env_key(entry) not in documented]
        if not missing:
            return text
        keys = {_env_key(entry) for entry in lines}
        if keys & documented:
            # The block is there, written by an earlier fastasync: the entries it
            # lacks go after its last one, without a second block comment.
            return _after_last(text, keys, missing)
        prefix = text if text.endswith("\n") or not text else text + "\n"
        separator = "\n" if prefix else ""
        between = "\n" if any("\n" in entry for entry in missing) else ""
        body = between.join(f"{entry}\n" for entry in missing)
        return f"{prefix}{separator}# {block_comment}\n{body}"

    return update


def _after_last(text: str, keys: set[str], missing: list[str]) -> str:
    """`text` with the entries `missing` after the last line setting one of `keys`."""
    rows = text.splitlines(keepends=True)
    last = max(i for i, row in enumerate(rows) if "=" in row and _env_name(row) in keys)
    if not rows[last].endswith("\n"):
        rows[last] += "\n"
    between = "\n" if any("\n" in entry for entry in missing) else ""
    added = "".join(f"{between}{entry}\n" for entry in missing)
    return "".join([*rows[: last + 1], added, *rows[last + 1 :]])


def edit_env_example(
    builder: ComponentPlan,
    block_comment: str,
    entries: list[str],
    fields: Iterable[str],
    what: str,
) -> None:
    """Append `entries` (documenting the settings `fields`) to .env.example, each
    variable named with the `Settings` class's `env_prefix`. When that prefix is not
    a literal, the lines are printed for the user to add instead."""
    env = builder.env_names
    if env.unknown is not None and (builder.root / ENV_EXAMPLE).is_file():
        builder.leave_to_user(
            ENV_EXAMPLE,
            f"{env.unknown}.",
            f"Add these lines to {ENV_EXAMPLE} by hand, with the prefix in front of each "
            "variable's name:",
            f"# {block_comment}\n" + "\n".join(entries),
        )
        return
    named = [env.rename(entry, fields) for entry in entries]
    builder.edit_optional(ENV_EXAMPLE, env_lines_appended(block_comment, named), what)


def edit_compose(builder: ComponentPlan, snippet: str, fields: Iterable[str], what: str) -> None:
    """Merge the compose `snippet` into compose.yaml, its `environment` entries named
    as the settings `fields` are read; left to the user, with the lines, when the
    `Settings` class's `env_prefix` is not a literal."""
    from fastasync_cli.engine.config_edits import ensure_yaml_entries

    env = builder.env_names
    if env.unknown is not None and (builder.root / COMPOSE).is_file():
        names = ", ".join(
            sorted(n for n in {f.upper() for f in fields} if re.search(rf"\b{n}\b", snippet))
        )
        builder.leave_to_user(
            COMPOSE,
            f"{env.unknown}.",
            f"Add these lines to {COMPOSE} by hand, with the prefix in front of the names "
            f"of the app's variables ({names}):",
            snippet,
        )
        return
    named = env.rename(snippet, fields)
    builder.edit_optional(
        COMPOSE, lambda text: ensure_yaml_entries(text, COMPOSE, named), what, named
    )
