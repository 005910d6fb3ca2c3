"""A module's source as Python reads it: its text in the encoding it declares, its
lines split where Python splits them, and columns counted in characters."""

from __future__ import annotations

import io
import re
import tokenize

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
