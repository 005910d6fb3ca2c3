"""The findings a corpus should give: the `# expect: FA101` comments in its files."""

from __future__ import annotations

import re
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>FA\d+(?:\s*,\s*FA\d+)*)")


def expected(root: Path) -> set[tuple[str, str, int]]:
    """(code, path relative to `root`, line) of every `# expect:` comment under `root`."""
    found = set()
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = _EXPECT.search(line)
            if match:
                for code in re.split(r"\s*,\s*", match.group("codes")):
                    found.add((code, path.relative_to(root).as_posix(), number))
    return found
