"""One run of `fastasync check`: find the files, index them, run the rules, drop what
is not selected or is `# noqa`ed."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from fastasync_cli.check.analysis import Analysis, Finding
from fastasync_cli.check.config import Settings
from fastasync_cli.check.files import SourceFile, absolute, discover
from fastasync_cli.check.index import (
    PARSED_AS,
    TOO_COMPLEX,
    TOO_DEEP,
    TOO_DEEP_ADVICE,
    ModuleIndex,
    index_module,
)
from fastasync_cli.check.program import Program
from fastasync_cli.check.python_version import newer_than_running
from fastasync_cli.errors import BadOptionError


# Room for comparing refs as deep as any code that parses (see `run_check`).
REF_RECURSION_LIMIT = 20_000


@dataclass(frozen=True)
class Result:
    findings: list[Finding]
    files: int
    lines: int
    warnings: list[str] = field(default_factory=list)
    """Lines for stderr: symlinks skipped, malformed `# noqa` comments (as ruff
    warns of them)."""


def _index(source: SourceFile) -> ModuleIndex:
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        return ModuleIndex(
            path=source.display, name=source.name, error=(0, 0, exc.strerror or str(exc))
        )
    return index_module(data, source.display, source.name, is_package=source.is_package)


def index_all(sources: list[SourceFile]) -> list[ModuleIndex]:
    """Every file's index, in the order given.

    In one process: on two cores, worker processes were slower (sending 50,000 lines'
    indexes back costs more than half the parsing they save; see
    benchmarks/check_speed.py).
    """
    return [_index(source) for source in sources]


def explain_syntax(message: str, newer: tuple[int, int] | None) -> str:
    """A syntax error's message, saying when the project needs a newer Python."""
    if newer is None or not message.endswith(PARSED_AS):
        return message
    said = PARSED_AS.removesuffix(")") + f"; the project requires {newer[0]}.{newer[1]})"
    return message.removesuffix(PARSED_AS) + said


def _start(paths: list[Path]) -> Path:
    first = absolute((paths or [Path()])[0])
    return first if first.is_dir() else first.parent


def run_check(paths: list[Path], settings: Settings) -> Result:
    """Check `paths` (files or folders); the findings sorted by file and line."""
    sources, skipped = discover(paths, settings.exclude, settings.base)
    modules = index_all(sources)
    unreadable = next((m for m in modules if m.error and m.error[0] == 0), None)
    if unreadable is not None:
        assert unreadable.error is not None  # what `next` above looked for
        raise BadOptionError(
            f"Cannot read {unreadable.path}: {unreadable.error[2]}.",
            "Make the file readable, or leave it out with --exclude.",
        )
    names: dict[str, str] = {}
    for source, module in zip(sources, modules, strict=True):
        if module.error is None:
            for name in source.names:
                names.setdefault(name, source.display)
    program = Program([m for m in modules if m.error is None], names, settings.blocking_table())
    broken = [(m.path, m.error) for m in modules if m.error is not None]
    newer = newer_than_running(_start(paths)) if broken else None
    findings = [
        Finding(
            path,
            line,
            column,
            "FA001",
            explain_syntax(message, newer),
            advice=TOO_DEEP_ADVICE if message in (TOO_DEEP, TOO_COMPLEX) else None,
        )
        for path, (line, column, message) in broken
    ]
    by_path = {module.path: module for module in modules}
    # Chains of helpers, names, imports and calls are followed with stacks of the
    # analysis's own (see analysis.leaves and steps.Memo), however long. But an
    # expression is kept as nested tuples as deep as the code (`a.b.b...`, up to the
    # ~3,000 levels Python parses), and comparing two such keys recurses in C, which
    # counts against the limit: past ~1,000 that was an "Unexpected RecursionError".
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, REF_RECURSION_LIMIT))
    try:
        results = Analysis(program).run()
    finally:
        sys.setrecursionlimit(limit)
    for finding in results:
        if not settings.enabled(finding.code):
            continue
        noqa = by_path[finding.path].noqa
        if finding.line in noqa:
            codes = noqa[finding.line]
            if codes is None or finding.code in codes:
                continue
        findings.append(finding)
    warnings = skipped + [
        "warning: " + message.format(f"{module.path}:{line}")
        for module in modules
        for line, message in module.noqa_problems
    ]
    return Result(sorted(findings), len(sources), sum(m.lines for m in modules), warnings)
