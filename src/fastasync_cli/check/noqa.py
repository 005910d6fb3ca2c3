"""`# noqa` comments: which lines silence which codes, read as ruff reads them."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator

from fastasync_cli.check.source import split_lines

# `noqa` then a colon and codes, or nothing that continues the word (`noqa` glued to
# a code is no directive).
_DIRECTIVE = re.compile(r"#\s*noqa(?![\w])(?P<colon>\s*:)?", re.I)
_CODE = re.compile(r"[\s,]*([A-Za-z]+[0-9]+)(?![\w])")


def read_noqa(text: str) -> dict[int, frozenset[str] | None]:
    """`# noqa` and `# noqa: FA101, FA102` comments, by line.

    Only comments count: `"# noqa"` in a string silences nothing. A `# noqa:` that
    names no code (`# noqa: explained`) silences nothing either, as in ruff.
    """
    found: dict[int, frozenset[str] | None] = {}
    if "noqa" not in text.lower():
        return found
    for number, comment in _comments(text):
        match = _DIRECTIVE.search(comment)
        if match is None:
            continue
        if match.group("colon") is None:
            found[number] = None
            continue
        codes = []
        position = match.end()
        while code := _CODE.match(comment, position):
            codes.append(code.group(1).upper())
            position = code.end()
        if codes:
            found[number] = frozenset(codes)
    return found


def _comments(text: str) -> Iterator[tuple[int, str]]:
    """(line, comment) for each comment holding `noqa`; lines numbered as Python does."""
    lines = split_lines(text)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("\n".join(lines)).readline))
    except (tokenize.TokenError, SyntaxError):
        # Not Python that tokenize reads: every `#` on a line may start the comment.
        for number, line in enumerate(lines, start=1):
            if "noqa" in line.lower() and "#" in line:
                yield number, line[line.index("#") :]
        return
    for token in tokens:
        if token.type == tokenize.COMMENT and "noqa" in token.string.lower():
            yield token.start[0], token.string
