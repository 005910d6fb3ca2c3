"""What to say about a file Python cannot parse: where, why, and what to do."""

from __future__ import annotations

import ast
import re
import sys
from typing import NamedTuple

from fastasync_cli.check.downlevel import parse_newer
from fastasync_cli.check.source import decode, parse, split_lines

# How a syntax error says which Python parsed the file (see runner.explain_syntax).
PARSED_AS = f"(parsed as Python {sys.version_info.major}.{sys.version_info.minor})"
# Code nested deeper than Python's parser goes: Python cannot compile it either.
TOO_DEEP = "RecursionError: nested too deeply to parse"
# What Python 3.11's parser raises when its own stack overflows (`-` 100,000 times,
# 50,000 `elif`s): a MemoryError, with no message. Python cannot compile it either.
TOO_COMPLEX = "MemoryError: too complex to parse (nested too deeply, or too long)"
TOO_DEEP_ADVICE = (
    "split the nested expression or block into smaller ones (Python refuses to compile "
    "it too); nothing in this file was checked"
)


NULL_BYTES = "SyntaxError: source code cannot contain null bytes"
NULL_BYTES_ADVICE = (
    "save the file as UTF-8 text (a UTF-16 or binary file named .py is not Python "
    "source), or leave it out with --exclude; nothing in this file was checked"
)
ENCODING_ADVICE = (
    "save the file as UTF-8, or declare its encoding on its first or second line "
    "(`# -*- coding: latin-1 -*-`); nothing in this file was checked"
)
TEMPLATE = "(the line holds template markup: `{{ }}`, `{% %}` or `{# #}`)"
TEMPLATE_ADVICE = (
    "a template (cookiecutter, Copier, Jinja) is not Python until it is rendered: leave "
    "it out with `exclude` or --exclude; nothing in this file was checked"
)
_TEMPLATE_MARKUP = re.compile(r"\{%.*%\}|\{\{.*\}\}|\{#.*#\}")
# Strings on the line, left out: `f"{{x}}"` is Python's own escape.
_STRING = re.compile(r"""(['"]).*?(?<!\\)\1""")
# Python's messages for a file that is not in the encoding it declares (or UTF-8).
_ENCODING_ERRORS = ("(unicode error)", "Non-UTF-8 code", "encoding problem", "unknown encoding")


class Unparsable(NamedTuple):
    """Why a module was not checked: `error` is (line, column, message)."""

    error: tuple[int, int, str]
    advice: str | None


def parse_or_explain(source: bytes, path: str) -> ast.Module | Unparsable:
    """The module's tree, or why Python cannot parse it (never raises for the source)."""
    null = source.find(b"\0")
    if null >= 0:
        # Python refuses it whatever it holds: said where, and that no Python is better.
        before = split_lines(source[:null].decode("latin-1"))
        return Unparsable((len(before), len(before[-1]) + 1, NULL_BYTES), NULL_BYTES_ADVICE)
    try:
        return parse(source, path)
    except SyntaxError as exc:
        line, column = max(exc.lineno or 1, 1), max(exc.offset or 1, 1)
        if any(error in exc.msg for error in _ENCODING_ERRORS):
            return Unparsable((line, column, f"SyntaxError: {exc.msg}"), ENCODING_ADVICE)
        # Syntax of a newer Python, rewritten into this one's, is checked all the same.
        newer = parse_newer(decode(source), path)
        if newer is not None:
            return newer
        if _TEMPLATE_MARKUP.search(_STRING.sub("", exc.text or "")):
            return Unparsable((line, column, f"SyntaxError: {exc.msg} {TEMPLATE}"), TEMPLATE_ADVICE)
        # Other newer syntax than the running Python knows is an error here: say which.
        return Unparsable((line, column, f"SyntaxError: {exc.msg} {PARSED_AS}"), None)
    except RecursionError:
        return Unparsable((1, 1, TOO_DEEP), TOO_DEEP_ADVICE)
    except MemoryError:
        return Unparsable((1, 1, TOO_COMPLEX), TOO_DEEP_ADVICE)
    except ValueError as exc:  # source Python cannot decode
        return Unparsable((1, 1, f"SyntaxError: {exc}"), ENCODING_ADVICE)
