"""CLI start-up: `fastasync --help` against a bare Typer app, and `fastasync new` wall time.

    python benchmarks/cli_startup.py [--runs 30] [--json [PATH]]

Uses hyperfine (apt-get install hyperfine). Targets: `fastasync --help` mean within
1.2x of the bare Typer app's; `fastasync new DIR --yes --no-docker` mean under 1.5 s.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import _bench as b

HELP_RATIO_TARGET = 1.2
NEW_SECONDS_TARGET = 1.5
NEW = "fastasync new x --yes --no-docker"


def hyperfine(
    commands: dict[str, list[str]],
    *,
    runs: int,
    warmup: int,
    out: Path,
    prepare: list[str] | None = None,
) -> dict[str, dict[str, float]]:
    """Run hyperfine without a shell; return {name: {mean, stddev, median, min, max}}."""
    cmd = [
        b.require_tool("hyperfine"),
        "--shell=none",
        "--style=none",
        f"--warmup={warmup}",
        f"--runs={runs}",
        f"--export-json={out}",
    ]
    if prepare is not None:
        cmd.append(f"--prepare={shlex.join(prepare)}")
    for name, argv in commands.items():
        cmd += ["--command-name", name, shlex.join(argv)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise b.BenchError(f"hyperfine failed:\n{proc.stderr}{proc.stdout}")
    data = json.loads(out.read_text())
    stats = {}
    for result in data["results"]:
        stats[result["command"]] = {
            k: result[k] for k in ("mean", "stddev", "median", "min", "max")
        }
        stats[result["command"]]["runs"] = len(result["times"])
    return stats


def measured(args: argparse.Namespace, what: str, run_hyperfine: Any) -> dict[str, Any]:
    """hyperfine's stats and the CPU other work used meanwhile, re-run if disturbed."""

    def measure() -> dict[str, Any]:
        with b.CpuMeter({}) as meter:
            stats = run_hyperfine()
        return {"stats": stats, "cpu": meter.result}

    return b.measure_clean(
        measure,
        what=what,
        max_other=args.max_other,
        retries=args.retries,
        quiet_wait=args.quiet_wait,
    )


def check_runs(argv: list[str], what: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise b.BenchError(
            f"{what} fails before timing ({shlex.join(argv)} exited "
            f"{proc.returncode}):\n{proc.stderr or proc.stdout}"
        )


def run(args: argparse.Namespace) -> int:
    fastasync = b.find_fastasync(args.fastasync)
    b.set_nice(args.nice)
    python = sys.executable
    bare = [python, str(b.HERE / "bare_typer.py"), "--help"]
    with b.work_dir(keep=args.keep) as tmp:
        target = tmp / "x"
        new_cmd = [fastasync, "new", str(target), "--yes", "--no-docker"]
        check_runs([fastasync, "--help"], "fastasync --help")
        check_runs(bare, "the bare Typer app")
        new_error = None
        try:
            check_runs(new_cmd, "fastasync new")
        except b.BenchError as exc:
            new_error = str(exc)
        print(
            f"hyperfine: {args.runs} runs after {args.warmup} warm-up runs each ...",
            file=sys.stderr,
            flush=True,
        )
        helps_run = measured(
            args,
            "--help timings",
            lambda: hyperfine(
                {
                    "python -c pass (floor)": [python, "-c", "pass"],
                    "bare Typer --help": bare,
                    "fastasync --help": [fastasync, "--help"],
                },
                runs=args.runs,
                warmup=args.warmup,
                out=tmp / "help.json",
            ),
        )
        helps = helps_run["stats"]
        new: dict[str, dict[str, float]] = {}
        new_run: dict[str, Any] = {}
        if new_error is None:
            new_run = measured(
                args,
                "new timings",
                lambda: hyperfine(
                    {NEW: new_cmd},
                    runs=args.new_runs,
                    warmup=1,
                    out=tmp / "new.json",
                    prepare=["rm", "-rf", str(target)],
                ),
            )
            new = new_run["stats"]

    stats = {**helps, **new}
    ratio = stats["fastasync --help"]["mean"] / stats["bare Typer --help"]["mean"]
    new_mean = stats[NEW]["mean"] if NEW in stats else None
    help_ok = ratio <= HELP_RATIO_TARGET
    new_ok = new_mean is not None and new_mean < NEW_SECONDS_TARGET
    rows = []
    for name, s in stats.items():
        rows.append(
            [
                name,
                s["runs"],
                s["mean"] * 1000,
                s["stddev"] * 1000,
                s["median"] * 1000,
                s["min"] * 1000,
                s["max"] * 1000,
            ]
        )
    print(b.table(["command", "runs", "mean ms", "± ms", "p50 ms", "min", "max"], rows))
    for name, run_ in (("--help", helps_run), ("new", new_run)):
        if run_:
            print(
                f"{name} timings: other work used {run_['cpu']['other_cpu_pct']:.0f}% of a "
                f"core meanwhile" + (" (disturbed)" if run_["disturbed"] else "")
            )
    print()
    print(
        f"fastasync --help / bare Typer --help = {ratio:.2f}x "
        f"(target <= {HELP_RATIO_TARGET}x): {b.verdict(help_ok)}"
    )
    if new_mean is None:
        print(f"fastasync new: not timed, it failed: {new_error}")
    else:
        print(
            f"fastasync new mean = {new_mean:.3f} s "
            f"(target < {NEW_SECONDS_TARGET} s): {b.verdict(new_ok)}"
        )
    if args.json is not None:
        path = b.write_json(
            "cli_startup",
            {
                "commands": {
                    "bare": bare,
                    "help": [fastasync, "--help"],
                    "new": ["fastasync", "new", "TMP/x", "--yes", "--no-docker"],
                },
                "stats_seconds": stats,
                "cpu": {"help": helps_run.get("cpu"), "new": new_run.get("cpu")},
                "help_ratio": ratio,
                "new_error": new_error,
                "targets": {
                    "help_ratio_max": HELP_RATIO_TARGET,
                    "new_seconds_max": NEW_SECONDS_TARGET,
                    "help_pass": help_ok,
                    "new_pass": new_ok,
                },
            },
            args.json or None,
        )
        print(f"wrote {path}")
    return 0 if (help_ok and new_ok) or not args.strict else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="runs per --help command")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--new-runs", type=int, default=10, help="runs of `new`")
    parser.add_argument("--fastasync", help="the fastasync executable to time")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness for this script and all it starts (negative needs root)",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        help="write results as JSON (default: benchmarks/results/cli_startup-*.json)",
    )
    parser.add_argument(
        "--max-other",
        type=float,
        default=25.0,
        help="time again when other work used more than this %% of a core meanwhile",
    )
    parser.add_argument("--retries", type=int, default=2, help="for --max-other")
    parser.add_argument("--quiet-wait", type=float, default=30.0)
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target fails")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    if args.runs < 20:
        parser.error("--runs must be at least 20")
    return b.main_guard(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
