"""What making apply survive a power cut costs: apply alone, with and without fsync.

    python benchmarks/apply_durability.py [--runs 25] [--dir DIR]

Plans `fastasync new` (SQLite) and `add endpoint items name:str price:float` once,
in-process, then applies each plan again and again to a fresh tree, timing apply
alone (planning, Copier and the CLI's start-up are left out), in three variants
interleaved in a random order: without fsync (apply's `users_tree=False`, as for a
scratch tree), with the fsyncs of each round one after the other, and as shipped
(each round's fsyncs at once, from threads). `os.sync()` runs, untimed, before each
apply so one variant's dirty pages do not land on the next. Prints median and fastest
per variant. The trees go under --dir (default: a temporary folder, removed after):
put it on the disk you care about, as /tmp may be a RAM disk.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

VARIANTS = ("no fsync", "fsync, one by one", "fsync (shipped)")


def _plans(base: Path) -> tuple[Any, Any, Path]:
    """`new`'s plan and `add endpoint`'s, planned through the CLI; the pristine project."""
    from typer.testing import CliRunner

    import fastasync_cli.engine.apply as apply_module
    from fastasync_cli.cli import app

    real_apply = apply_module.apply
    plans: list[Any] = []

    def capture(plan: Any, **kwargs: Any) -> None:
        if kwargs.get("users_tree", True):
            plans.append(plan)
        real_apply(plan, **kwargs)

    apply_module.apply = capture  # type: ignore[assignment]
    try:
        runner = CliRunner()
        project = base / "project"
        result = runner.invoke(app, ["new", str(project), "--yes", "--db", "sqlite"])
        assert result.exit_code == 0, result.output
        shutil.copytree(project, base / "pristine", symlinks=True)
        result = runner.invoke(
            app,
            ["add", "endpoint", "items", "name:str", "price:float", "--project", str(project)],
        )
        assert result.exit_code == 0, result.output
    finally:
        apply_module.apply = real_apply  # type: ignore[assignment]
    return plans[0], plans[1], base / "pristine"


def _use(fsync_paths: Callable[[Collection[Path]], None]) -> None:
    import fastasync_cli.engine.apply as apply_module
    import fastasync_cli.engine.journal as journal_module
    import fastasync_cli.engine.undo as undo_module

    for module in (apply_module, journal_module, undo_module):
        module.fsync_paths = fsync_paths  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=25, help="applies per plan and variant")
    parser.add_argument("--dir", type=Path, help="where the trees go (default: a temp folder)")
    args = parser.parse_args()

    from fastasync_cli.engine import fileio
    from fastasync_cli.engine.apply import apply

    shipped = fileio.fsync_paths

    def one_by_one(paths: Collection[Path]) -> None:
        for path in paths:
            fileio.fsync_paths([path])

    base = Path(tempfile.mkdtemp(prefix="apply-durability-", dir=args.dir))
    try:
        new_plan, add_plan, pristine = _plans(base)
        print(f"new: {len(new_plan.writes)} files; add endpoint: {len(add_plan.writes)} files")
        times: dict[str, dict[str, list[float]]] = {v: {"new": [], "add": []} for v in VARIANTS}
        for _ in range(args.runs):
            for variant in random.sample(VARIANTS, len(VARIANTS)):
                _use(one_by_one if variant == "fsync, one by one" else shipped)
                durable = variant != "no fsync"
                for name, plan in (("new", new_plan), ("add", add_plan)):
                    shutil.rmtree(plan.root, ignore_errors=True)
                    if name == "add":
                        shutil.copytree(pristine, plan.root, symlinks=True)
                    os.sync()
                    start = time.perf_counter()
                    apply(plan, users_tree=durable)
                    times[variant][name].append(time.perf_counter() - start)
        _use(shipped)
        for variant in VARIANTS:
            cells = []
            for name, label in (("new", "new"), ("add", "add endpoint")):
                runs = times[variant][name]
                cells.append(
                    f"{label} {statistics.median(runs) * 1000:6.1f} ms "
                    f"(fastest {min(runs) * 1000:5.1f})"
                )
            print(f"{variant:18}  " + "   ".join(cells))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
