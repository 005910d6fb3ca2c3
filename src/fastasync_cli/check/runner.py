"""One run of `fastasync check`: find the files, index them (in parallel when there are
many), run the rules, drop what is not selected or is `# noqa`ed."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from fastasync_cli.check.analysis import Analysis, Finding
from fastasync_cli.check.config import Settings
from fastasync_cli.check.files import SourceFile, discover
from fastasync_cli.check.index import ModuleIndex, index_module
from fastasync_cli.check.program import Program
from fastasync_cli.errors import BadOptionError

# Below this much source, starting worker processes costs more than it saves.
_PARALLEL_BYTES = 1_500_000


@dataclass(frozen=True)
class Result:
    findings: list[Finding]
    files: int
    lines: int


def _index(source: SourceFile) -> ModuleIndex:
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        return ModuleIndex(path=source.display, name=source.name, error=(0, 0, str(exc)))
    return index_module(data, source.display, source.name, is_package=source.is_package)


def _index_many(sources: list[SourceFile]) -> list[ModuleIndex]:
    return [_index(source) for source in sources]


def index_all(sources: list[SourceFile], jobs: int | None = None) -> list[ModuleIndex]:
    """Every file's index, in the order given; in worker processes when it pays."""
    if jobs is None:
        size = 0
        for source in sources:
            with contextlib.suppress(OSError):
                size += source.path.stat().st_size
        jobs = min(os.cpu_count() or 1, 4) if size > _PARALLEL_BYTES else 1
    if jobs <= 1 or len(sources) < 2:
        return _index_many(sources)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Interleaved chunks so each worker gets a share of the big files.
    chunks = [sources[i::jobs] for i in range(jobs)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        results = list(pool.map(_index_many, chunks))
    order = {source.display: i for i, source in enumerate(sources)}
    modules = [module for chunk in results for module in chunk]
    modules.sort(key=lambda module: order[module.path])
    return modules


def run_check(paths: list[Path], settings: Settings, jobs: int | None = None) -> Result:
    """Check `paths` (files or folders); the findings sorted by file and line."""
    sources = discover(paths, settings.exclude, settings.base)
    modules = index_all(sources, jobs)
    unreadable = next((m for m in modules if m.error and m.error[0] == 0), None)
    if unreadable is not None:
        raise BadOptionError(
            f"Cannot read {unreadable.path}: {unreadable.error[2]}.",
            "Make the file readable, or leave it out with --exclude.",
        )
    names: dict[str, str] = {}
    for source in sources:
        for name in source.names:
            names.setdefault(name, source.display)
    program = Program([m for m in modules if m.error is None], names, settings.blocking_table())
    findings = [
        Finding(m.path, m.error[0], m.error[1], "FA001", m.error[2])
        for m in modules
        if m.error is not None
    ]
    by_path = {module.path: module for module in modules}
    for finding in Analysis(program).run():
        if not settings.enabled(finding.code):
            continue
        noqa = by_path[finding.path].noqa
        if finding.line in noqa:
            codes = noqa[finding.line]
            if codes is None or finding.code in codes:
                continue
        findings.append(finding)
    return Result(sorted(findings), len(sources), sum(m.lines for m in modules))
