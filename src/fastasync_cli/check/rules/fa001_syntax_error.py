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
"""

from fastasync_cli.check.rules import Rule

RULE = Rule(
    code="FA001",
    name="syntax-error",
    summary="A file that does not parse",
    fix="fix the syntax error; nothing in this file was checked",
    doc=__doc__ or "",
)
