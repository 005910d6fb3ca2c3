"""One run of `fastasync check`: find the files, index them, run the rules, drop what
is not selected or is `# noqa`ed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastasync_cli.check.analysis import Analysis, Finding
from fastasync_cli.check.config import MAX_FILE_SIZE, Settings
from fastasync_cli.check.files import SourceFile, absolute, discover
from fastasync_cli.check.index import PARSED_AS, ModuleIndex, index_module
from fastasync_cli.check.program import Program
from fastasync_cli.check.python_version import newer_than_running
from fastasync_cli.check.source import recursion_room
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
    errors: list[BadOptionError] = field(default_factory=list)
    """Inputs that could not be checked (a file or folder that cannot be read, a file
    too large): the rest was checked, and the check exits 2."""


def _index(source: SourceFile, limit: int) -> ModuleIndex | BadOptionError:
    try:
        # The size first: a file of gigabytes was read whole before it was refused.
        size = source.path.stat().st_size
        data = source.path.read_bytes() if size <= limit else b""
    except OSError as exc:
        return BadOptionError(
            f"Cannot read {source.display}: {exc.strerror or exc}.",
            "Make the file readable, or leave it out with --exclude.",
        )
    size = max(size, len(data))  # it may have grown since
    if size > limit:
        return BadOptionError(
            f"{source.display}: {_size(size)}, more than the {_size(limit)} a file may "
            "have (max-file-size; a syntax tree takes up to 400 times its file's size "
            "in memory).",
            "Leave it out with --exclude (generated code or data?), or raise the limit: "
            f'--max-file-size {_room(size)}, or max-file-size = "{_room(size)}" in '
            "[tool.fastasync.check].",
        )
    return index_module(data, source.display, source.name, is_package=source.is_package)


def _size(count: int) -> str:
    # Rounded up: a file just over the limit is not shown at the limit.
    return f"{-(-count // 100_000) / 10:.1f} MB" if count >= 100_000 else f"{count:,} bytes"


def _room(count: int) -> str:
    """A size with room for `count` bytes, as max-file-size takes it."""
    return f"{-(-count // 1_000_000)}MB" if count >= 1_000_000 else f"{-(-count // 1_000)}kB"


def index_all(
    sources: list[SourceFile], limit: int = MAX_FILE_SIZE
) -> list[ModuleIndex | BadOptionError]:
    """Every file's index, in the order given, or why it cannot be read.

    In one process: on two cores, worker processes were slower (sending 50,000 lines'
    indexes back costs more than half the parsing they save; see
    benchmarks/check_speed.py).
    """
    return [_index(source, limit) for source in sources]


def explain_syntax(message: str, newer: tuple[int, int] | None) -> str:
    """A syntax error's message, saying when the project needs a newer Python."""
    if newer is None or not message.endswith(PARSED_AS):
        return message
    said = PARSED_AS.removesuffix(")") + f"; the project requires {newer[0]}.{newer[1]})"
    return message.removesuffix(PARSED_AS) + said


class _Required:
    """The newer Python each file's project requires, if any: from the pyproject.toml
    nearest the file (a tree may hold several projects, as ruff takes the nearest
    configuration for each file), each folder read once."""

    def __init__(self) -> None:
        self._by_folder: dict[Path, tuple[int, int] | None] = {}

    def __call__(self, path: Path) -> tuple[int, int] | None:
        folder = absolute(path).parent
        if folder not in self._by_folder:
            self._by_folder[folder] = newer_than_running(folder)
        return self._by_folder[folder]


def run_check(paths: list[Path], settings: Settings) -> Result:
    """Check `paths` (files or folders); the findings sorted by file and line."""
    found, skipped, errors = discover(paths, settings.exclude, settings.base)
    sources: list[SourceFile] = []
    modules: list[ModuleIndex] = []
    for source, indexed in zip(found, index_all(found, settings.max_file_size), strict=True):
        if isinstance(indexed, BadOptionError):
            errors.append(indexed)
        else:
            sources.append(source)
            modules.append(indexed)
    names: dict[str, str] = {}
    for source, module in zip(sources, modules, strict=True):
        if module.error is None:
            for name in source.names:
                names.setdefault(name, source.display)
    program = Program([m for m in modules if m.error is None], names, settings.blocking_table())
    required = _Required()
    findings = [
        Finding(
            module.path,
            module.error[0],
            module.error[1],
            "FA001",
            explain_syntax(module.error[2], required(source.path)),
            advice=module.error_advice,
        )
        for source, module in zip(sources, modules, strict=True)
        if module.error is not None
    ]
    by_path = {module.path: module for module in modules}
    # Chains of helpers, names, imports and calls are followed with stacks of the
    # analysis's own (see analysis.leaves and steps.Memo), however long. But an
    # expression is kept as nested tuples as deep as the code (`a.b.b...`, up to the
    # ~3,000 levels Python parses), and comparing two such keys recurses in C, which
    # counts against the limit: past ~1,000 that was an "Unexpected RecursionError".
    with recursion_room(REF_RECURSION_LIMIT):
        results = Analysis(program).run()
    for finding in results:
        if not settings.enabled(finding.code):
            continue
        module = by_path[finding.path]
        if module.file_noqa is None or finding.code in module.file_noqa:
            continue
        noqa = module.noqa
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
    lines = sum(m.lines for m in modules)
    return Result(sorted(findings), len(found), lines, warnings, errors)
