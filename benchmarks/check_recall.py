"""Recall on the test corpus: `fastasync check` against `ruff check --select ASYNC`.

    python benchmarks/check_recall.py [--corpus tests/check/corpus] [--json [PATH]]

The corpus (`tests/check/corpus/`) marks every expected finding with a
`# expect: FA1xx` comment on the line where it is reported. A tool finds an expected
positive when it reports anything on that file and line (ruff reports a blocking call
on its own line, which is the expected line when the call is written directly in the
`async def`). Findings on other lines are counted as extra: on this corpus, where every
problem is marked, they are false positives.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import _bench as b

sys.path.insert(0, str(b.REPO))
from tests.check.expected import CORPUS, expected


def fastasync_findings(root: Path) -> set[tuple[str, int]]:
    proc = subprocess.run(
        [sys.executable, "-m", "fastasync_cli", "check", "--format", "json", "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise b.BenchError(f"fastasync check failed in {root}:\n{proc.stderr}")
    return {(f["path"], f["line"]) for f in json.loads(proc.stdout)}


def ruff_findings(root: Path) -> set[tuple[str, int]]:
    ruff = b.require_tool("ruff", "pip install ruff")
    proc = subprocess.run(
        [
            ruff,
            "check",
            "--isolated",
            "--no-cache",
            "--select",
            "ASYNC",
            "--output-format",
            "json",
            ".",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise b.BenchError(f"ruff failed in {root}:\n{proc.stderr}")
    return {
        (Path(f["filename"]).resolve().relative_to(root.resolve()).as_posix(), f["location"]["row"])
        for f in json.loads(proc.stdout)
    }


def run(args: argparse.Namespace) -> int:
    corpus = Path(args.corpus).resolve()
    totals: Counter[str] = Counter()
    per_code: dict[str, Counter[str]] = {}
    extra = {"fastasync check": 0, "ruff --select ASYNC": 0}
    for root in sorted(p for p in corpus.iterdir() if p.is_dir()):
        wanted = expected(root)
        ours = fastasync_findings(root)
        theirs = ruff_findings(root)
        lines = {(path, line) for _, path, line in wanted}
        extra["fastasync check"] += len(ours - lines)
        extra["ruff --select ASYNC"] += len(theirs - lines)
        for code, path, line in wanted:
            counts = per_code.setdefault(code, Counter())
            counts["expected"] += 1
            counts["fastasync"] += (path, line) in ours
            counts["ruff"] += (path, line) in theirs
    rows = []
    for code in sorted(per_code):
        counts = per_code[code]
        totals.update(counts)
        rows.append([code, counts["expected"], counts["fastasync"], counts["ruff"]])
    rows.append(["all", totals["expected"], totals["fastasync"], totals["ruff"]])
    recall = {
        "fastasync check": totals["fastasync"] / totals["expected"],
        "ruff --select ASYNC": totals["ruff"] / totals["expected"],
    }
    print(f"corpus: {corpus}")
    print(b.table(["rule", "expected", "fastasync check", "ruff --select ASYNC"], rows))
    for tool, value in recall.items():
        print(f"{tool}: recall {value:.0%}, {extra[tool]} findings on unmarked lines")
    if args.json is not None:
        path = b.write_json(
            "check_recall",
            {
                "per_rule": {r[0]: r[1:] for r in rows},
                "recall": recall,
                "extra": extra,
                "versions": b.package_versions("fastasync", "ruff"),
            },
            args.json or None,
        )
        b.log(f"wrote {path}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(CORPUS), help="folder of corpus projects")
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
