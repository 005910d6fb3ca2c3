"""FA001 syntax-error

## What it does
Reports a file that Python cannot parse. Nothing else is checked in that file, and
calls into it cannot be followed.

## Why is this bad?
Code that does not parse does not run; a check that skipped it silently would say the
file is clean.

## Example
```python
async def handler(:
    ...
```

## Use instead
Fix the syntax error; `python -m py_compile FILE` shows the same message.

The file is parsed by the Python `fastasync check` runs on. Newer syntax that does
not change which calls a function makes is read on any Python: type parameters and
`type` aliases (3.12), `except*` (3.11), `except A, B:` and t-strings (3.14). Other
code written for a newer one (3.12's f-strings that reuse their quotes inside,
`f"{d["key"]}"`, or span lines) does not parse there: when the file's project (the
pyproject.toml nearest the file) asks for a newer Python (`requires-python`,
Poetry's `python`, or ruff's `target-version`), the message names it. Run the check
with fastasync installed under that Python.

Code nested deeper than Python's parser goes (a sum of thousands of terms in one
expression) is reported as `RecursionError: nested too deeply to parse`; on Python
3.11 some (a `-` repeated 100,000 times, 50,000 `elif`s) as `MemoryError: too complex
to parse`, which is what Python's parser raises for them. Python refuses to compile
them too. Split them into smaller expressions or blocks.

A file Python cannot decode is reported with what to do about it rather than the
Python version: a null byte (a UTF-16 or binary file named `.py`) where the first one
is, and bytes that are not UTF-8 without a `# -*- coding: ... -*-` line where Python
places the error.

A template (cookiecutter, Copier, Jinja: the line that does not parse holds `{{ }}`,
`{% %}` or `{# #}` outside a string) is said to be one, with the advice to leave it
out, rather than to run the check under another Python.

As in ruff, whose `# ruff: noqa` and `# noqa` leave a syntax error reported, neither
`# noqa` nor `# fastasync: noqa` (with or without `FA001`) silences it: code that does
not parse cannot run. Leave a file that is not meant to parse (a template) out with
`exclude` or `--exclude`.
"""

from fastasync_cli.check.rules import Rule

RULE = Rule(
    code="FA001",
    name="syntax-error",
    summary="A file that does not parse",
    fix="fix it, or run the check under the Python the code is written for; nothing "
    "in this file was checked",
    doc=__doc__ or "",
)
