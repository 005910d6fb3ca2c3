#!/usr/bin/env bash
# Run every benchmark and write JSON results to benchmarks/results/ (git-ignored).
# Usage: benchmarks/run_all.sh [--quick] [--strict] [--nice N]
#   --quick   shorter runs (fewer hyperfine runs, 5 s wrk, 1 round) for a smoke test
#   --strict  exit non-zero if any target fails
#   --nice N  run the benchmarks at niceness N (e.g. -10 as root on a shared machine)
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
nice=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --strict) strict=(--strict) ;;
    --nice) shift; nice=${1:?--nice needs a number} ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
common=("${strict[@]}" --nice "$nice")

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
  run benchmarks/cli_startup.py --runs 20 --new-runs 3 --json "${common[@]}"
  run benchmarks/client_load.py --duration 5 --warmup 1 --json "${common[@]}"
  run benchmarks/loop_under_cpu.py --rounds 1 --json "${common[@]}"
  run benchmarks/db_load.py --duration 5 --warmup 1 --json "${common[@]}"
  run benchmarks/head_limit.py --rounds 1 --requests 5000 --json
  run benchmarks/body_memory.py --concurrency 10 --only '[{}' --json
else
  run benchmarks/cli_startup.py --json "${common[@]}"
  run benchmarks/client_load.py --rounds 3 --json "${common[@]}"
  run benchmarks/loop_under_cpu.py --rounds 3 --json "${common[@]}"
  run benchmarks/db_load.py --rounds 3 --json "${common[@]}"
  run benchmarks/head_limit.py --json
  run benchmarks/body_memory.py --json
fi
exit "$status"
