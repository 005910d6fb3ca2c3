"""The lines `add` appends to .env.example: each setting a component reads."""

from __future__ import annotations

from collections.abc import Callable


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
        prefix = text if text.endswith("\n") or not text else text + "\n"
        separator = "\n" if prefix else ""
        between = "\n" if any("\n" in entry for entry in missing) else ""
        body = between.join(f"{entry}\n" for entry in missing)
        return f"{prefix}{separator}# {block_comment}\n{body}"

    return update
