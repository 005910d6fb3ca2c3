"""docs/check.md carries every rule's documentation as the rule module has it."""

from __future__ import annotations

import re
from pathlib import Path

from fastasync_cli.check.rules import RULES

DOCS = Path(__file__).parents[2] / "docs" / "check.md"


def test_every_rule_is_documented_as_in_its_module() -> None:
    # `ruff format` formats the docs' code blocks: blank lines may differ.
    text = _squeeze(DOCS.read_text())
    for code, rule in RULES.items():
        title, body = rule.doc.split("\n", 1)
        assert title == f"{code} {rule.name}"
        assert f'<a id="{code.lower()}"></a>\n## {title}\n' in text
        assert _squeeze(body.strip().replace("## ", "### ")) in text, code
        for section in ("What it does", "Why is this bad?", "Example", "Use instead"):
            assert f"## {section}\n" in rule.doc, (code, section)


def _squeeze(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text)
