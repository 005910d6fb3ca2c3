"""A module's source as Python reads it: its text in the encoding it declares, its
lines split where Python splits them, columns counted in characters, and its tree
parsed with the room Python has to compile it."""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# Python ends a line at \n, \r\n or a lone \r only; str.splitlines() also splits at
# form feeds, \x1c-\x1e, U+0085, U+2028 and U+2029, which Python keeps inside a line.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def decode(source: bytes) -> str:
    """The text of `source`: UTF-8, or what its coding declaration says, BOM dropped."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        return source.decode(encoding, "replace")
    except (SyntaxError, LookupError):
        return source.decode("utf-8", "replace")


def split_lines(text: str) -> list[str]:
    """`text`'s lines as Python numbers them (the first is index 0)."""
    return _LINE_BREAK.split(text)


def char_column(line: str, offset: int) -> int:
    """`ast`'s column (UTF-8 bytes from the start of `line`) in characters, as ruff and
    editors count them."""
    if line.isascii():
        return offset
    return len(line.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "ignore"))


# Python's default recursion limit, which `python file.py` compiles a file under.
PYTHON_RECURSION_LIMIT = 1000


def parse(source: bytes | str, path: str) -> ast.Module:
    """`ast.parse`, with the room Python has when it compiles a file to run it.

    Building the tree recurses in C, up to a depth that the recursion limit sets,
    counted from the current depth: called some frames deep (as the CLI calls
    it), it refused code that `python file.py` runs (a sum of 2,950 terms). The
    limit is set to the current depth plus Python's default for the parse, never
    more: the C stack allows no deeper.
    """
    with python_room():
        return ast.parse(source, filename=path)


@contextmanager
def python_room() -> Iterator[None]:
    """The recursion limit `python file.py` has, counted from the current depth, for
    a parse (in C) called from however deep, or under however high a limit."""
    depth = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + PYTHON_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


@contextmanager
def recursion_room(at_least: int) -> Iterator[None]:
    """A recursion limit of at least `at_least` for what runs inside, for code that
    recurses in Python (or compares nested tuples in C) as deep as a parsed tree."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, at_least))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)
