#!/usr/bin/env bash
# Run every benchmark and write JSON results to benchmarks/results/ (git-ignored).
# Usage: benchmarks/run_all.sh [--quick] [--strict]
#   --quick   shorter runs (fewer hyperfine runs, 5 s wrk, 1 round) for a smoke test
#   --strict  exit non-zero if any target fails
# PYTHON picks the interpreter (default: .venv/bin/python, then python3); it needs the
# project's dev dependencies (scripts/test makes .venv with them).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-}
if [ -z "$python" ]; then
  if [ -x .venv/bin/python ]; then python=.venv/bin/python; else python=python3; fi
fi

quick=0
strict=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --strict) strict=(--strict) ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

for tool in wrk hyperfine; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool is not installed. Install it with: apt-get install wrk hyperfine" >&2
    exit 2
  fi
done

status=0
run() {
  echo
  echo "=== $*"
  "$python" "$@" || status=$?
}

if [ "$quick" = 1 ]; then
  run benchmarks/cli_startup.py --runs 20 --new-runs 3 --json "${strict[@]}"
  run benchmarks/client_load.py --duration 5 --warmup 1 --json "${strict[@]}"
  run benchmarks/loop_under_cpu.py --rounds 1 --json "${strict[@]}"
else
  run benchmarks/cli_startup.py --json "${strict[@]}"
  run benchmarks/client_load.py --rounds 3 --json "${strict[@]}"
  run benchmarks/loop_under_cpu.py --rounds 3 --json "${strict[@]}"
fi
exit "$status"
