"""`# noqa` comments: which lines silence which codes, read as ruff reads them (its
inline lexer, crates/ruff_linter/src/noqa.rs): `noqa` in any case, codes exactly as
written (`fa101` is no code). And `# fastasync: noqa` on a line of its own, which
silences a whole file (or the codes it names) as `# ruff: noqa` does in ruff (its
file-exemption lexer, the same but for the `ruff:` it starts with)."""

from __future__ import annotations

import io
import tokenize
from collections.abc import Collection, Iterator

from fastasync_cli.check.source import split_lines

INVALID = "Invalid `# noqa` directive on {}: "
JOINED = "Missing or joined rule code(s) at {}: "
FILE_INVALID = "Invalid `# fastasync: noqa` directive at {}: "
FILE_NOT_ALONE = (
    "Unexpected `# fastasync: noqa` directive at {}. File-level suppression comments "
    "must appear on their own line. For line-level suppression, omit the `fastasync:` "
    "prefix."
)
FILE_UNKNOWN = "Invalid rule code provided to `# fastasync: noqa` at {}: "
_SUFFIX = "expected `:` followed by a comma-separated list of codes (e.g., `# noqa: FA101, FA102`)."
_NO_CODES = "expected a comma-separated list of codes (e.g., `# noqa: FA101, FA102`)."
_CODE_SUFFIX = (
    "expected code to consist of uppercase letters followed by digits only (e.g. `FA101`)"
)

Noqa = dict[int, frozenset[str] | None]
FileNoqa = frozenset[str] | None
"""The codes a file is exempt from (None: every code)."""
Problems = list[tuple[int, str]]
"""(line, message): the message has a `{}` for `path:line`."""
_PREFIX = "fastasync"


class _Invalid(Exception):
    """A directive ruff refuses (and warns about): it silences nothing."""


def read_noqa(text: str, known: Collection[str] = ()) -> tuple[Noqa, FileNoqa, Problems]:
    """`# noqa` and `# noqa: FA101, FA102` comments by line, the file's exemption
    (`# fastasync: noqa`, `# fastasync: noqa: FA101`), and what is wrong with the
    directives that are malformed.

    Only comments count: `"# noqa"` in a string silences nothing. A directive ruff
    refuses (`# noqa: fa101`, `# noqa: explained`, `# noqaFA101`, `# noqa: FA101x`)
    silences nothing either, and is reported, as ruff reports it. So is a file
    exemption after code on its line, or one naming a code not in `known`: that code
    is left out, as ruff leaves it out.
    """
    found: Noqa = {}
    exempt: set[str] | None = set()
    problems: Problems = []
    if "noqa" not in text.lower():
        return found, frozenset(), problems
    for number, comment, alone in _comments(text):
        # Both lexers read every comment, as in ruff.
        try:
            directive = _directive(comment)
        except _Invalid as exc:
            problems.append((number, INVALID + str(exc)))
        else:
            if directive is not None:
                codes, warnings = directive
                found[number] = codes
                problems.extend((number, JOINED + warning) for warning in warnings)
        try:
            exemption = _directive(comment, prefix=_PREFIX)
        except _Invalid as exc:
            problems.append((number, FILE_INVALID + str(exc)))
            continue
        if exemption is None:
            continue
        codes, warnings = exemption
        problems.extend((number, JOINED + warning) for warning in warnings)
        if not alone:
            problems.append((number, FILE_NOT_ALONE))
        elif codes is None:
            exempt = None
        else:
            for code in sorted(codes):
                if code not in known:
                    problems.append((number, FILE_UNKNOWN + code))
                elif exempt is not None:
                    exempt.add(code)
    return found, None if exempt is None else frozenset(exempt), problems


def _directive(
    comment: str, prefix: str | None = None
) -> tuple[frozenset[str] | None, list[str]] | None:
    """The first `#\\s*noqa` of a comment (`#\\s*prefix\\s*:\\s*noqa` with a `prefix`):
    None for no directive, else its codes (None: every code) and warnings; _Invalid
    when ruff refuses it."""
    position = 0
    while (position := comment.find("#", position)) >= 0:
        position = _skip_space(comment, position + 1)
        if prefix is not None:
            if not comment.startswith(prefix, position):
                continue
            position = _skip_space(comment, position + len(prefix))
            if comment[position : position + 1] != ":":
                continue
            position = _skip_space(comment, position + 1)
        if comment[position : position + 4].lower() != "noqa":
            continue
        position += 4
        after = comment[position : position + 1]
        if after in ("", "#"):
            return None, []
        if after.isspace():
            position = _skip_space(comment, position)
            if comment[position : position + 1] != ":":
                return None, []  # the word, a space and words: every code, as in ruff
        elif after != ":":
            raise _Invalid(_SUFFIX)  # the word glued to a code, or a semicolon
        codes, warnings = _codes(comment, position + 1)
        if not codes:
            raise _Invalid(_NO_CODES)
        return frozenset(codes), warnings
    return None


def _codes(comment: str, position: int) -> tuple[list[str], list[str]]:
    """Codes from `position` to the first word that is not one (a comment after them)."""
    codes: list[str] = []
    warnings: list[str] = []
    joined = False
    end = len(comment)
    while position < end:
        position = _skip_space(comment, position)
        if comment.startswith(",", position):
            warnings.append("expected rule code between commas")
            position += 1
            continue
        start = position
        if position >= end or not _upper(comment[position]):
            break  # words after the codes are a comment
        while position < end and _upper(comment[position]):
            position += 1
        if position >= end or not _digit(comment[position]):
            if joined:
                raise _Invalid(_CODE_SUFFIX)  # `FA101Fx`
            break
        while position < end and _digit(comment[position]):
            position += 1
        codes.append(comment[start:position])
        following = comment[position : position + 1]
        joined = False
        if following == ",":
            position += 1
        elif following and _upper(following):
            warnings.append("expected comma or space delimiter between codes")
            joined = True
        elif following and not following.isspace() and following != "#":
            raise _Invalid(_CODE_SUFFIX)  # `FA101x`, `FA101:`
    return codes, warnings


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _upper(char: str) -> bool:
    return "A" <= char <= "Z"


def _digit(char: str) -> bool:
    return "0" <= char <= "9"


def _comments(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line, comment, whether it is alone on its line) for each comment holding
    `noqa`; lines numbered as Python does."""
    lines = split_lines(text)
    read = 0  # the lines tokenize has read (a file that does not parse stops it)
    try:
        for token in tokenize.generate_tokens(io.StringIO("\n".join(lines)).readline):
            if token.type == tokenize.COMMENT and "noqa" in token.string.lower():
                number, column = token.start
                # Not token.line: after a string of many lines, 3.12 gives them all.
                yield number, token.string, not lines[number - 1][:column].strip()
            read = token.end[0]
    except (tokenize.TokenError, SyntaxError):
        # Not Python that tokenize reads (an unclosed bracket, in a file that does not
        # parse): past where it stopped, every `#` on a line may start the comment.
        for number, line in enumerate(lines[read:], start=read + 1):
            if "noqa" in line.lower() and "#" in line:
                start = line.index("#")
                yield number, line[start:], not line[:start].strip()
