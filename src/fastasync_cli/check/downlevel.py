"""Newer syntax rewritten into what the running Python parses, for the analysis only.

`ast` parses the grammar of the Python it runs on. A project written for a newer one
(type parameters and `type` aliases of 3.12, `except A, B:` of 3.14, `except*` of
3.11, t-strings of 3.14) had each such file reported as FA001 and left unchecked:
under Python 3.11, 73 files of a large FastAPI code base. None of that syntax changes
which calls a function makes, so it is rewritten, in place, into older syntax that
means the same to the analysis:

- `def f[T](...)`, `class C[T]:`: the type parameters are blanked;
- `type X[T] = V`: becomes the assignment `X = V`;
- `except A, B:` and `except* A:`: become `except (A, B):` and `except A:`;
- `t"..."`: becomes `f"..."`.

Every line stays where it was (blanked brackets spanning lines end each of their lines
with a `\\`), and every column before the rewritten spot on its line. The rewrite works
on Python's own tokens (the pure-Python `tokenize` of this Python), never on the raw
text; it is only tried on a file that did not parse, and when its result does not parse
either, the file's first syntax error is the one reported. f-strings that need 3.12's
grammar (`f"{d["key"]}"`) are not rewritten: such a file is still FA001.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize

from fastasync_cli.check.source import parse

# Python's first version that parses everything this module rewrites.
NEWEST_SYNTAX = (3, 14)

_STATEMENT_START = frozenset({tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL})
_TEMPLATE_PREFIXES = frozenset({"t", "rt", "tr"})
_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")

Position = tuple[int, int]


def parse_newer(text: str, path: str) -> ast.Module | None:
    """`text`'s tree with newer syntax rewritten, or None when that does not parse."""
    if sys.version_info[:2] >= NEWEST_SYNTAX:
        return None
    lines = _lines(text)
    try:
        tokens = list(tokenize.generate_tokens(iter(lines).__next__))
    except (SyntaxError, tokenize.TokenError, ValueError):
        return None
    edits = _Edits(lines)
    _rewrite(tokens, edits)
    if not edits.changed:
        return None
    try:
        return parse("".join(edits.lines), path)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return None


def _lines(text: str) -> list[str]:
    """`text` split as `tokenize` reads it, line ends kept."""
    reader = io.StringIO(text, newline="")
    return list(iter(reader.readline, ""))


class _Edits:
    def __init__(self, lines: list[str]) -> None:
        self.lines = list(lines)
        self.changed = False

    def replace(self, at: Position, old: str, new: str) -> None:
        row, col = at
        line = self.lines[row - 1]
        self.lines[row - 1] = line[:col] + new + line[col + len(old) :]
        self.changed = True

    def blank(self, start: Position, end: Position, keep: str = "") -> None:
        """Spaces from `start` to `end` (`keep` written at `start`), line ends kept; a
        line the blank continues past ends with `\\`, which joins it to the next."""
        (first, col), (last, end_col) = start, end
        for row in range(first, last + 1):
            line = self.lines[row - 1]
            body = line.rstrip("\r\n")
            stop = end_col if row == last else len(body)
            begin = col if row == first else 0
            filler = " " * (stop - begin)
            if row != last and filler:
                filler = filler[:-1] + "\\"
            self.lines[row - 1] = body[:begin] + filler + body[stop:] + line[len(body) :]
        if keep:
            self.replace(start, " " * len(keep), keep)
        self.changed = True


def _significant(tokens: list[tokenize.TokenInfo]) -> list[tokenize.TokenInfo]:
    return [t for t in tokens if t.type not in (tokenize.COMMENT, tokenize.NL)]


def _closing(tokens: list[tokenize.TokenInfo], index: int) -> int | None:
    """The index of the bracket closing the one at `index`."""
    depth = 0
    for current in range(index, len(tokens)):
        text = tokens[current].string
        if text in _OPENING:
            depth += 1
        elif text in _CLOSING:
            depth -= 1
            if depth == 0:
                return current
    return None


def _rewrite(all_tokens: list[tokenize.TokenInfo], edits: _Edits) -> None:
    tokens = _significant(all_tokens)
    for index, token in enumerate(tokens):
        if token.type != tokenize.NAME:
            continue
        following = tokens[index + 1 : index + 3]
        if token.string in ("def", "class") and len(following) == 2:
            name, bracket = following
            if name.type == tokenize.NAME and bracket.string == "[":
                end = _closing(tokens, index + 2)
                if end is not None:
                    edits.blank(bracket.start, tokens[end].end)
        elif token.string == "type" and _starts_statement(tokens, index):
            _type_alias(tokens, index, edits)
        elif token.string == "except":
            _except(tokens, index, edits)
        elif token.string.lower() in _TEMPLATE_PREFIXES and following:
            string = following[0]
            if string.type == tokenize.STRING and string.start == token.end:
                row, col = token.start
                prefix = token.string
                position = prefix.lower().index("t")
                edits.replace((row, col + position), prefix[position], "f")


def _starts_statement(tokens: list[tokenize.TokenInfo], index: int) -> bool:
    if index == 0:
        return True
    before = tokens[index - 1]
    return before.type in _STATEMENT_START or before.string == ";"


def _type_alias(tokens: list[tokenize.TokenInfo], index: int, edits: _Edits) -> None:
    """`type X[T] = V` -> `X = V`, the name where `type` was."""
    if index + 2 >= len(tokens):
        return
    name, after = tokens[index + 1], tokens[index + 2]
    if name.type != tokenize.NAME:
        return
    last = name
    if after.string == "[":
        end = _closing(tokens, index + 2)
        if end is None or end + 1 >= len(tokens):
            return
        last, after = tokens[end], tokens[end + 1]
    if after.string != "=":
        return
    edits.blank(tokens[index].start, last.end, keep=name.string)


def _except(tokens: list[tokenize.TokenInfo], index: int, edits: _Edits) -> None:
    """`except* A:` -> `except A:`; `except A, B:` -> `except (A, B):`."""
    current = index + 1
    if current < len(tokens) and tokens[current].string == "*":
        edits.replace(tokens[current].start, "*", " ")
        current += 1
    if current >= len(tokens) or tokens[current].string == ":":
        return
    first = tokens[current]
    depth, comma, colon = 0, False, None
    for position in range(current, len(tokens)):
        token = tokens[position]
        if token.string in _OPENING:
            depth += 1
        elif token.string in _CLOSING:
            depth -= 1
        elif depth == 0 and token.string == ",":
            comma = True
        elif depth == 0 and token.string in (":", "as"):
            colon = token if token.string == ":" else None
            break
        elif token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            break
    if not comma or colon is None:
        return
    # The `)` first, so that the `(` (which may add a character) moves nothing it needs.
    edits.replace(colon.start, ":", "):")
    row, col = first.start
    line = edits.lines[row - 1]
    if col > 0 and line[col - 1] in " \t*":
        edits.replace((row, col - 1), line[col - 1], "(")
    else:
        edits.replace((row, col), "", "(")
