"""The lines `add` prints for a user to add by hand, when it cannot edit a file:
which are there already, and how they are laid out in a message."""

from __future__ import annotations

import io
import tokenize
from typing import TYPE_CHECKING, Any

from fastasync_cli.engine import edits

if TYPE_CHECKING:
    from fastasync_cli.generators.component_edits import PythonEdit


def _squeeze(text: str) -> str:
    return "".join(text.split()).replace("'", '"')


def still_to_add(module: Any, changes: list[PythonEdit]) -> str:
    """The lines of `changes` to add by hand, but those of edits that would change
    nothing in `module` (it has them already, in any form)."""
    lines = []
    for change in changes:
        if not change.manual:
            continue
        try:
            if change.apply(module).code == module.code:
                continue
        except edits.AnchorMissing:
            pass
        lines.append(change.manual)
    return "\n".join(lines)


def manual_lines_present(source: str, manual: str) -> bool:
    """Whether every line of code in `manual` (the lines printed for adding by hand,
    each with a `# where` note) is in `source`, layout and quotes aside."""
    code_lines = []
    for line in manual.splitlines():
        # A line of a statement over several (`)  # in the lifespan`) does not
        # tokenize to the end: its comment is among the tokens read before the error,
        # and was taken for code, so that statement added by hand never counted.
        comment = None
        try:
            for token in tokenize.generate_tokens(io.StringIO(line).readline):
                if token.type == tokenize.COMMENT:
                    comment = token
                    break
        except (tokenize.TokenError, SyntaxError):
            pass
        code = line[: comment.start[1]] if comment is not None else line
        code = code.strip().rstrip(",").strip()
        if code and code != "...":
            code_lines.append(_squeeze(code))
    haystack = _squeeze(_without_comments(source))
    return bool(code_lines) and all(code in haystack for code in code_lines)


def _without_comments(source: str) -> str:
    """`source` with its comments blanked: a line commented out is not there (the
    file parses, or the edit had stopped before)."""
    lines = source.splitlines(keepends=True)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return source
    for token in reversed(tokens):
        if token.type == tokenize.COMMENT:
            row, column = token.start
            line = lines[row - 1]
            lines[row - 1] = line[:column] + line[token.end[1] :]
    return "".join(lines)


def importable_as(rel: str) -> str:
    """` (importable as app.api.deps)` for a module that other modules import."""
    if not rel.endswith(".py") or rel.endswith("__init__.py") or rel == "app/main.py":
        return ""
    return f" (importable as {rel.removesuffix('.py').replace('/', '.')})"


def is_import(line: str) -> bool:
    """Whether `line` of the lines to add is an import."""
    return line.lstrip().startswith(("from ", "import "))


def indent(text: str) -> str:
    """`text` indented by four spaces, as the lines to add are shown in a message."""
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())
