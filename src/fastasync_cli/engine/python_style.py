"""Lay out code the way the project's own ruff settings want it.

New files are formatted whole (`format_new_file`). In files the user owns only the
lines an edit added are formatted (`format_edited`): ruff's range formatting wraps
them to the project's line length, quote style and indentation, and the import block
is sorted the way ruff's isort does, but only when it was sorted before, so a file
whose owner does not sort imports keeps its order. A file indented with tabs gets
tabs, whatever the settings say. Comments and docstrings that
mention long names are wrapped at the project's line length (`wrap_prose`).
"""

from __future__ import annotations

import difflib
import functools
import io
import os
import subprocess
import textwrap
import tokenize
from pathlib import Path

from fastasync_cli.errors import FastasyncError

DEFAULT_LINE_LENGTH = 88


@functools.cache
def _ruff() -> str:
    from ruff.__main__ import find_ruff_bin

    return os.fsdecode(find_ruff_bin())


def _run_ruff(
    project_root: Path, rel: str, source: str, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_ruff(), *args, "--stdin-filename", str(project_root / rel)],
        input=source,
        capture_output=True,
        encoding="utf-8",  # not the locale's: code is UTF-8 whatever LANG says
        cwd=project_root,
        check=False,
    )


def _ruff_setting(project_root: Path, key: str, default: int) -> int:
    """An integer top-level ruff setting (ruff.toml, .ruff.toml, then pyproject.toml)."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    for name, table in (
        ("ruff.toml", ()),
        (".ruff.toml", ()),
        ("pyproject.toml", ("tool", "ruff")),
    ):
        path = project_root / name
        if not path.is_file():
            continue
        try:
            # utf-8-sig: a BOM (Notepad's) hid every setting, and ruff reads it.
            config: object = tomlkit.parse(path.read_text(encoding="utf-8-sig")).unwrap()
        except (TOMLKitError, UnicodeDecodeError, OSError):
            continue
        for part in table:
            config = config.get(part) if isinstance(config, dict) else None
        if isinstance(config, dict):
            value = config.get(key)
            if isinstance(value, int) and value > 0:
                return value
            if name != "pyproject.toml":
                return default
    return default


def line_length(project_root: Path) -> int:
    """The project's ruff `line-length`."""
    return _ruff_setting(project_root, "line-length", DEFAULT_LINE_LENGTH)


def tab_width(project_root: Path) -> int:
    """How wide ruff counts a tab (its `indent-width`)."""
    return _ruff_setting(project_root, "indent-width", 4)


def format_new_file(project_root: Path, rel: str, source: str) -> str:
    """Sort imports and format a file fastasync writes whole, then wrap its prose."""
    for command in (
        # The module being written does not exist yet, so ruff cannot tell that
        # `app.*` is first-party from the files alone.
        (
            *("check", "--select", "I", "--fix-only", "--exit-zero", "--quiet"),
            *("--config", "lint.isort.known-first-party = ['app']"),
        ),
        # Not --quiet: ruff's reason goes into the error below.
        ("format",),
    ):
        result = _run_ruff(project_root, rel, source, *command)
        if result.returncode != 0:
            _refuse_broken_settings(project_root, rel, command)
            raise FastasyncError(
                f"ruff could not format the generated {rel}: {result.stderr.strip()}",
                "This is a bug in fastasync; run again with --verbose and report it.",
            )
        source = result.stdout
    return wrap_prose(source, line_length(project_root), tab=tab_width(project_root))


def _refuse_broken_settings(project_root: Path, rel: str, command: tuple[str, ...]) -> None:
    """Blame the project's ruff settings when ruff fails on any code under them.

    ruff reads the user's pyproject.toml or ruff.toml (and whatever they `extend`): a
    `line-length = "abc"` there is no bug of ours, and their fix is one edit away.
    """
    probe = _run_ruff(project_root, rel, "x = 1\n", *command)
    if probe.returncode == 0:
        return
    lines = [line.strip() for line in probe.stderr.splitlines() if line.strip()]
    causes = [line.removeprefix("Cause: ") for line in lines if line.startswith("Cause: ")]
    # ruff ends with what is wrong (`invalid type: string "abc", expected i64`)
    # after a snippet of the file, whose lines start with a number or a `|`.
    last = lines[-1] if lines else ""
    if last and not last.startswith(("Cause: ", "|", "ruff failed")) and not last[0].isdigit():
        causes.append(last)
    raise FastasyncError(
        f"ruff cannot use this project's settings: {': '.join(causes) or 'ruff failed'}.",
        "Nothing was written. Fix the ruff settings (`ruff check .` in the project shows "
        "where), then run the command again.",
    )


# ruff tells first-party modules by the files it finds, and the modules an edit
# imports may be written in the same run; `app` is the project's package.
_ISORT = ("check", "--select", "I", "--quiet", "--config", "lint.isort.known-first-party = ['app']")


def _imports_sorted(project_root: Path, rel: str, source: str) -> bool:
    return _run_ruff(project_root, rel, source, *_ISORT).returncode == 0


def format_edited(project_root: Path, rel: str, old: str, new: str) -> str:
    """`new` (an edit of `old`) with only the lines the edit added laid out by ruff."""
    if new == old:
        return new
    if _imports_sorted(project_root, rel, old):
        result = _run_ruff(project_root, rel, new, *_ISORT, "--fix-only", "--exit-zero")
        if result.returncode == 0:
            new = result.stdout
    # A file indented with tabs keeps them, whatever ruff's settings say: spaces
    # beside its tabs fail ruff's E101, and ruff's range formatting would re-indent
    # the whole function around an added line (so its layout was not taken).
    style = ("--config", 'format.indent-style = "tab"') if _indented_with_tabs(old) else ()
    # From the bottom up, so the line numbers of the ranges above stay true.
    for start, end in reversed(_added_line_ranges(old, new)):
        lines = new.splitlines(keepends=True)
        width = len(lines[end - 1].rstrip("\r\n")) + 1
        result = _run_ruff(
            project_root,
            rel,
            new,
            "format",
            "--quiet",
            *style,
            f"--range={start}:1-{end}:{width}",
        )
        # ruff formats the whole node around the range: a user's line in it that
        # ruff would drop (a blank line inside a call, say) must stay, so a layout
        # that loses one of the old lines is not taken.
        if result.returncode == 0 and _kept(old, result.stdout) >= _kept(old, new):
            new = result.stdout
    added = {
        row - 1 for start, end in _added_line_ranges(old, new) for row in range(start, end + 1)
    }
    return wrap_prose(new, line_length(project_root), only=added, tab=tab_width(project_root))


def _indented_with_tabs(source: str) -> bool:
    """Whether the first indented block of `source` is indented with a tab."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.INDENT:
                return token.string.startswith("\t")
    except (tokenize.TokenError, SyntaxError):
        pass
    return False


def _kept(old: str, new: str) -> int:
    """How many lines of `old` stand unchanged in `new`."""
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


def _added_line_ranges(old: str, new: str) -> list[tuple[int, int]]:
    """1-based inclusive line ranges of `new` that are not in `old`, blank lines trimmed."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    ranges = []
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag not in {"insert", "replace"}:
            continue
        while j1 < j2 and not new_lines[j1].strip():
            j1 += 1
        while j2 > j1 and not new_lines[j2 - 1].strip():
            j2 -= 1
        if j1 < j2:
            ranges.append((j1 + 1, j2))
    return ranges


def _width(text: str, tab: int) -> int:
    return len(text.rstrip("\r\n").expandtabs(tab))


def wrap_prose(source: str, limit: int, only: set[int] | None = None, *, tab: int = 4) -> str:
    """Wrap comment lines and docstring lines longer than `limit` at word boundaries.

    Only the 0-based line numbers in `only`, when given. Code is left alone (the
    formatter's job); words longer than a line stay whole.
    """
    lines = source.splitlines(keepends=True)
    if all(_width(line, tab) <= limit for line in lines):
        return source
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return source
    replacements: dict[int, list[str]] = {}  # 0-based line -> its new lines
    previous_significant = tokenize.NEWLINE
    for token in tokens:
        row, col = token.start
        if token.type == tokenize.COMMENT and not lines[row - 1][:col].strip():
            if _width(lines[row - 1], tab) > limit:
                indent = lines[row - 1][:col]
                text = token.string.lstrip("#").strip()
                width = max(limit - _width(indent, tab) - 2, 20)
                wrapped = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
                replacements[row - 1] = [f"{indent}# {part}\n" for part in wrapped]
        elif (
            token.type == tokenize.STRING
            and previous_significant in {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
            and token.string.lstrip("rRuU").startswith(('"""', "'''"))
        ):
            _wrap_docstring(lines, token, limit, replacements, tab)
        if token.type not in {tokenize.COMMENT, tokenize.NL}:
            previous_significant = token.type
    if only is not None:
        replacements = {row: new for row, new in replacements.items() if row in only}
    if not replacements:
        return source
    out: list[str] = []
    for index, line in enumerate(lines):
        out.extend(replacements.get(index, [line]))
    return "".join(out)


def _wrap_docstring(
    lines: list[str],
    token: tokenize.TokenInfo,
    limit: int,
    replacements: dict[int, list[str]],
    tab: int,
) -> None:
    (first_row, col), (last_row, _) = token.start, token.end
    before = lines[first_row - 1][:col]
    indent = before if not before.strip() else ""
    for row in range(first_row, last_row + 1):
        line = lines[row - 1]
        body = line.rstrip("\r\n")
        if _width(body, tab) <= limit:
            continue
        own_indent = body[: len(body) - len(body.lstrip())]
        prefix = own_indent if row == first_row else own_indent or indent
        continuation = indent if row == first_row else prefix
        text = body.strip()
        width = max(limit - _width(continuation, tab), 20)
        parts = textwrap.wrap(
            text,
            width,
            initial_indent="",
            break_long_words=False,
            break_on_hyphens=False,
        )
        if len(parts) < 2:
            continue
        replacements[row - 1] = [f"{prefix}{parts[0]}\n"] + [
            f"{continuation}{part}\n" for part in parts[1:]
        ]
