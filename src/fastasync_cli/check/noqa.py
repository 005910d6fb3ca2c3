"""`# noqa` comments: which lines silence which codes."""

from __future__ import annotations

import re

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I)


def read_noqa(text: str) -> dict[int, frozenset[str] | None]:
    """`# noqa` and `# noqa: FA101, FA102` comments, by line."""
    found: dict[int, frozenset[str] | None] = {}
    if "noqa" not in text.lower():
        return found
    for number, line in enumerate(text.splitlines(), start=1):
        if "noqa" not in line.lower():
            continue
        match = _NOQA.search(line)
        if match:
            codes = match.group("codes")
            found[number] = (
                frozenset(code.upper() for code in re.split(r"[,\s]+", codes)) if codes else None
            )
    return found
