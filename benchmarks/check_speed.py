"""`fastasync check` on a large tree, with ruff's time on the same tree beside it.

    python benchmarks/check_speed.py [--lines 50000] [--runs 5] [--tree PATH] [--nice N]
                                     [--json [PATH]]

The tree is real code: installed packages (FastAPI, Starlette, httpx, AnyIO by
default; `--packages`) copied into a temporary folder until it holds `--lines` lines of
Python, or any folder given with `--tree`. Each command runs `--runs` times, rounds
interleaved, each after the machine is quiet (`_bench.wait_quiet`); wall and CPU time
(user + system of the child) are reported as medians. Nothing is pinned.

`fastasync --version` is timed too: the start-up (Python, Typer) every command pays.
One warm-up run of each command comes first, and bytecode is written as after a
normal install (PYTHONDONTWRITEBYTECODE is dropped for the runs).

Target: `fastasync check` median wall time under 3 s for 50,000 lines.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _bench as b

TARGET_SECONDS = 3.0
DEFAULT_PACKAGES = ("fastapi", "starlette", "httpx", "anyio", "celery", "kombu")


def count_lines(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*.py") if "__pycache__" not in p.parts]
    return len(files), sum(p.read_bytes().count(b"\n") for p in files)


def build_tree(target: Path, packages: list[str], lines: int) -> None:
    """Copy whole packages' Python files into `target` until it has `lines` lines."""
    total = 0
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise b.BenchError(f"package {name!r} is not installed; pass --packages or --tree")
        source = Path(next(iter(spec.submodule_search_locations)))
        for path in sorted(source.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            copy = target / name / path.relative_to(source)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
            total += path.read_bytes().count(b"\n")
        if total >= lines:
            return
    raise b.BenchError(f"only {total} lines in {', '.join(packages)}; add --packages")


# Bytecode is written (and reused) as after a normal install, whatever this shell says:
# without it every run would compile Typer, pydantic and fastasync from source.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: list[str], cwd: Path) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, env=_ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise b.BenchError(f"`{' '.join(argv)}` exited {proc.returncode}:\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "findings": proc.stdout.count("\n")}


def phases(tree: Path) -> dict[str, float]:
    """CPU seconds of each phase, in this process: find files, index, analyse."""
    sys.path.insert(0, str(b.REPO / "src"))
    from fastasync_cli.check.analysis import Analysis
    from fastasync_cli.check.files import discover
    from fastasync_cli.check.program import Program
    from fastasync_cli.check.runner import index_all

    t0 = time.process_time()
    sources, _, _ = discover([tree], (), tree)
    t1 = time.process_time()
    modules = index_all(sources)
    t2 = time.process_time()
    names: dict[str, str] = {}
    for source in sources:
        for name in source.names:
            names.setdefault(name, source.display)
    Analysis(Program([m for m in modules if m.error is None], names)).run()
    t3 = time.process_time()
    return {"discover": t1 - t0, "index": t2 - t1, "analyse": t3 - t2}


def run(args: argparse.Namespace) -> int:
    b.set_nice(args.nice)
    ruff = b.require_tool("ruff", "pip install ruff")
    commands = {
        "fastasync check": [sys.executable, "-m", "fastasync_cli", "check", "--statistics", "."],
        "ruff --select ASYNC": [
            ruff,
            "check",
            "--isolated",
            "--no-cache",
            "--select",
            "ASYNC",
            "--statistics",
            ".",
        ],
        # The CLI's start-up (Python, Typer) that every fastasync command pays.
        "fastasync --version": [sys.executable, "-m", "fastasync_cli", "--version"],
        "ruff (default rules)": [ruff, "check", "--isolated", "--no-cache", "--statistics", "."],
    }
    with b.work_dir(keep=args.keep, prefix="fastasync-check-bench-") as work:
        if args.tree:
            tree = Path(args.tree).resolve()
        else:
            tree = work / "tree"
            build_tree(tree, args.packages.split(","), args.lines)
        files, lines = count_lines(tree)
        b.log(f"tree: {tree} ({files} files, {lines:,} lines)")
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
        for argv in commands.values():  # warm-up: bytecode, file cache
            timed(argv, tree)
        for round_ in range(args.runs):
            for name, argv in commands.items():
                b.wait_quiet(timeout=args.quiet_wait)
                samples[name].append(timed(argv, tree))
            b.log(f"round {round_ + 1}/{args.runs} done")
        split = phases(tree)
    rows = []
    summary: dict[str, Any] = {}
    for name, runs in samples.items():
        wall = statistics.median(r["wall"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        summary[name] = {"wall_median": wall, "cpu_median": cpu, "runs": runs}
        rows.append([name, wall, min(r["wall"] for r in runs), cpu])
    ours = summary["fastasync check"]["wall_median"]
    for row in rows:
        row.append(f"{ours / row[1]:.1f}x" if row[0] != "fastasync check" else "1.0x")
    print(
        f"{files} files, {lines:,} lines of Python; {args.runs} runs each, not pinned"
        + (f", nice {args.nice:+d}" if args.nice else "")
    )
    print(b.table(["command", "wall median s", "wall min s", "CPU median s", "ours/this"], rows))
    print(
        "fastasync check phases (CPU s, in process): "
        + ", ".join(f"{k} {v:.2f}" for k, v in split.items())
    )
    budget = TARGET_SECONDS * max(lines, 50_000) / 50_000
    ok = ours < budget
    cpu = summary["fastasync check"]["cpu_median"]
    print(f"target: fastasync check < {budget:.1f} s wall: {b.verdict(ok)}")
    # On a machine busy with other work, wall time is mostly waiting for a core; the
    # CPU time is what the check itself costs (one process, so wall >= CPU).
    print(f"        and its CPU time < {budget:.1f} s: {b.verdict(cpu < budget)}")
    if args.json is not None:
        path = b.write_json(
            "check_speed",
            {
                "files": files,
                "lines": lines,
                "results": summary,
                "phases": split,
                "target_ok": ok,
                "versions": b.package_versions("fastasync", "ruff"),
            },
            args.json or None,
        )
        b.log(f"wrote {path}")
    return 0 if ok or not args.strict else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=50_000, help="lines in the built tree")
    parser.add_argument(
        "--packages",
        default=",".join(DEFAULT_PACKAGES),
        help="installed packages to copy, in order, until --lines is reached",
    )
    parser.add_argument("--tree", help="check this folder instead of building one")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="seconds to wait at most for the machine to be idle",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="priority change for the runs (as root, -10 puts them ahead "
        "of other work on a shared machine)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the built tree")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target fails")
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        default=None,
        help="write figures to benchmarks/results/ (or PATH)",
    )
    args = parser.parse_args()
    return b.main_guard(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
