"""Findings as text (ruff's `path:line:col: CODE message`), JSON, SARIF or GitHub
Actions annotations, and the `--statistics` table."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import replace
from pathlib import PurePath
from urllib.parse import quote

from fastasync_cli import __version__
from fastasync_cli.check.analysis import Finding
from fastasync_cli.check.rules import RULES

FORMATS = ("text", "json", "sarif", "github")


def line(finding: Finding) -> str:
    """The finding in one line: where, the code, what, and what to do instead."""
    return (
        f"{finding.path}:{finding.line}:{finding.column}: {finding.code} "
        f"{finding.message}; {finding.fix}"
    )


def text(findings: list[Finding]) -> str:
    lines = [line(finding) for finding in findings]
    count = len(findings)
    if count:
        lines.append(f"Found {count} error{'s' if count != 1 else ''}.")
    else:
        lines.append("All checks passed!")
    return "\n".join(lines) + "\n"


def as_json(findings: list[Finding]) -> str:
    return (
        json.dumps(
            [
                {
                    "code": f.code,
                    "name": RULES[f.code].name,
                    "message": f.message,
                    "fix": f.fix,
                    "path": f.path,
                    "line": f.line,
                    "column": f.column,
                    "chain": list(f.chain),
                }
                for f in findings
            ],
            indent=2,
        )
        + "\n"
    )


def sarif(findings: list[Finding]) -> str:
    """SARIF 2.1.0, as GitHub code scanning reads it."""
    codes = sorted(RULES)
    index = {code: i for i, code in enumerate(codes)}
    rules = [
        {
            "id": code,
            "name": RULES[code].name,
            "shortDescription": {"text": RULES[code].summary},
            "fullDescription": {"text": RULES[code].doc.split("\n\n", 1)[-1].strip()},
            "help": {"text": RULES[code].fix},
            "defaultConfiguration": {"level": "error"},
        }
        for code in codes
    ]
    results = [
        {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": "error",
            "message": {"text": lossy(f"{f.message}; {f.fix}")},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path)},
                        "region": {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)},
                    }
                }
            ],
        }
        for f in findings
    ]
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "fastasync check",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _uri(path: str) -> str:
    """`path` as a SARIF `uri`: a URI reference, so a space, `#`, `%` or a character
    outside ASCII is percent-encoded (UTF-8), and an absolute path is a `file:` URI.
    A relative one stays relative (to the folder `check` ran in), as GitHub code
    scanning expects, with `:` encoded so that `a:b.py` is not read as a scheme."""
    pure = PurePath(path)
    if pure.is_absolute():
        return pure.as_uri()
    # The name's bytes: a byte that is not UTF-8 (0xff) is %FF, as in a file: URI.
    return quote(os.fsencode(pure.as_posix()), safe="/")


def _escape(value: str, *, property: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(findings: list[Finding]) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    return "".join(
        f"::error title={_escape(f'fastasync ({f.code})', property=True)},"
        f"file={_escape(f.path, property=True)},line={f.line},col={f.column}::"
        f"{_escape(line(f))}\n"
        for f in findings
    )


def lossy(text: str) -> str:
    """`text` with the bytes of a file name that are not UTF-8 (surrogates, as
    Python decodes them) shown as U+FFFD, as ruff shows them: they made printing
    fail ("Unexpected UnicodeEncodeError") and JSON hold lone surrogates."""
    if text.isascii():
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def printable(finding: Finding) -> Finding:
    return replace(
        finding,
        path=lossy(finding.path),
        message=lossy(finding.message),
        chain=tuple(lossy(name) for name in finding.chain),
    )


def render(findings: list[Finding], format: str) -> str:
    if format == "sarif":
        # The uri keeps the name's real bytes, percent-encoded.
        return sarif(findings)
    findings = [printable(finding) for finding in findings]
    if format == "json":
        return as_json(findings)
    if format == "github":
        return github(findings)
    return text(findings)


def statistics(findings: list[Finding], format: str = "text") -> str:
    """How many findings of each rule, most frequent first, as ruff prints them
    (a table, or with `json` a list of {code, name, count}, as `ruff --statistics
    --output-format json` gives)."""
    counts = Counter(f.code for f in findings)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if format == "json":
        entries = [{"code": code, "name": RULES[code].name, "count": n} for code, n in rows]
        return json.dumps(entries, indent=2) + "\n"
    if not counts:
        return ""
    width = len(str(max(counts.values())))
    return "".join(f"{count:>{width}}\t{code}\t{RULES[code].name}\n" for code, count in rows)
