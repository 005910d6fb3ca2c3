"""Event-loop health under CPU-heavy jobs: /health latency while two ~2 s jobs run.

    python benchmarks/loop_under_cpu.py [--job-seconds 2] [--rounds 3] [--json]

Scenarios, each one uvicorn process (uvloop + httptools, 1 worker):

  (a) idle       the generated project, nothing running
  (b) generated  the generated project while two `cpu` jobs run on its job runner
                 (a `kind="cpu"` task in app/tasks/, started with POST /api/jobs/cpu)
  (c) seed       the seed text's pattern: a sync `def` task in `BackgroundTasks`
                 doing the same work (it runs in the threadpool and holds the GIL)

A probe in this process sends `GET /health` every --interval-ms on one keep-alive
connection and records each answer's latency; for (b) and (c) only the samples taken
while the jobs run count. Each job is the same pure-Python loop (servers/cpu_work.py),
sized here to take --job-seconds on an idle core. Nothing is pinned: the app, its job
workers and the probe share the machine's cores as they would in production.
Target: (b) p99 within 3x of (a) p99.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _bench as b
import _generated as g

sys.path.insert(0, str(b.HERE / "servers"))
from cpu_work import burn

P99_RATIO_TARGET = 3.0
REQUEST_TIMEOUT = 5.0


def calibrate(seconds: float) -> int:
    """The n for which burn(n) takes about `seconds` on this machine (best of 3)."""
    n = 200_000
    while True:
        best = min(_time_burn(n) for _ in range(3))
        if best >= 0.25:
            return max(1, int(n * seconds / best))
        n *= 4


def _time_burn(n: int) -> float:
    t0 = time.perf_counter()
    burn(n)
    return time.perf_counter() - t0


# --- a minimal HTTP/1.1 client on asyncio streams (keep-alive, JSON bodies) ---------


class Conn:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", timeout: float = 30.0
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(b.LOOPBACK, self.port)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {b.LOOPBACK}:{self.port}\r\n"
            f"Content-Length: {len(body)}\r\n"
        )
        if body:
            head += "Content-Type: application/json\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        try:
            return await asyncio.wait_for(self._read(), timeout)
        except BaseException:
            self.close()
            raise

    async def _read(self) -> tuple[int, dict[str, str], bytes]:
        assert self.reader is not None
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Probe:
    """GET /health every `interval` s; (send time, latency s) per answer."""

    port: int
    interval: float
    samples: list[tuple[float, float]] = field(default_factory=list)
    unanswered: list[float] = field(default_factory=list)
    errors: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        conn = Conn(self.port)
        next_at = time.perf_counter()
        try:
            while not stop.is_set():
                t0 = time.perf_counter()
                try:
                    status, _, _ = await conn.request("GET", "/health", timeout=REQUEST_TIMEOUT)
                except asyncio.TimeoutError:
                    self.unanswered.append(t0)
                    continue
                except OSError:
                    self.errors += 1
                    await asyncio.sleep(self.interval)
                    continue
                t1 = time.perf_counter()
                if status == 200:
                    self.samples.append((t0, t1 - t0))
                else:
                    self.errors += 1
                next_at = max(next_at + self.interval, t1)
                await asyncio.sleep(next_at - t1)
        finally:
            conn.close()

    def window(self, start: float, end: float) -> dict[str, Any]:
        lat = [s[1] * 1000 for s in self.samples if start <= s[0] <= end]
        unanswered = sum(1 for t in self.unanswered if start <= t <= end)
        return {
            "samples": len(lat),
            "p50_ms": b.percentile(lat, 50),
            "p99_ms": b.percentile(lat, 99),
            "max_ms": max(lat) if lat else None,
            "unanswered": unanswered,
            "errors": self.errors,
            "latencies_ms": lat,
        }


# --- scenarios ------------------------------------------------------------------------


async def idle_window(port: int, args: argparse.Namespace) -> dict[str, Any]:
    probe = Probe(port, args.interval_ms / 1000)
    stop = asyncio.Event()
    task = asyncio.create_task(probe.run(stop))
    await asyncio.sleep(0.2)  # let the probe connect before the window opens
    start = time.perf_counter()
    await asyncio.sleep(args.idle_seconds)
    end = time.perf_counter()
    stop.set()
    await task
    return {**probe.window(start, end), "window_s": end - start}


async def jobs_window(
    port: int,
    args: argparse.Namespace,
    submit: Any,
    finished: Any,
) -> dict[str, Any]:
    """Probe while `submit()`'s jobs run, until `finished(handles)` says all are done."""
    probe = Probe(port, args.interval_ms / 1000)
    stop = asyncio.Event()
    task = asyncio.create_task(probe.run(stop))
    await asyncio.sleep(0.2)
    control = Conn(port)
    try:
        start = time.perf_counter()
        handles = await submit(control)
        deadline = start + args.max_wait
        while not await finished(control, handles):
            if time.perf_counter() > deadline:
                raise b.BenchError(f"jobs not finished after {args.max_wait:.0f} s")
            await asyncio.sleep(0.25)
        end = time.perf_counter()
    finally:
        control.close()
        stop.set()
        await task
    return {**probe.window(start, end), "window_s": end - start}


def generated_submit(n: int, count: int) -> Any:
    import json

    async def submit(conn: Conn) -> list[str]:
        locations = []
        for _ in range(count):
            status, headers, body = await conn.request(
                "POST", "/api/jobs/cpu", json.dumps({"n": n}).encode()
            )
            if status != 202 or "location" not in headers:
                raise b.BenchError(f"POST /api/jobs/cpu answered {status}: {body!r}")
            locations.append(headers["location"])
        return locations

    async def finished(conn: Conn, locations: list[str]) -> bool:
        for location in locations:
            path = "/" + location.split("://", 1)[-1].split("/", 1)[-1]
            _, _, body = await conn.request("GET", path)
            job = json.loads(body)
            if job.get("status") == "failed":
                raise b.BenchError(f"cpu job failed: {job.get('error')}")
            if job.get("status") != "succeeded":
                return False
        return True

    return submit, finished


def seed_submit(n: int, count: int, first_id: int) -> Any:
    import json

    async def submit(conn: Conn) -> list[int]:
        ids = list(range(first_id, first_id + count))
        for task_id in ids:
            status, _, body = await conn.request("POST", f"/start-task/?task_id={task_id}&n={n}")
            if status != 200:
                raise b.BenchError(f"POST /start-task/ answered {status}: {body!r}")
        return ids

    async def finished(conn: Conn, ids: list[int]) -> bool:
        for task_id in ids:
            _, _, body = await conn.request("GET", f"/tasks/{task_id}")
            if json.loads(body).get("status") != "succeeded":
                return False
        return True

    return submit, finished


def run(args: argparse.Namespace) -> int:
    b.require_modules("fastapi", "uvicorn", "uvloop", "httptools")
    b.set_nice(args.nice)
    b.wait_quiet(timeout=args.quiet_wait)
    b.log(f"calibrating: burn(n) for ~{args.job_seconds:.1f} s ...")
    n = args.n or calibrate(args.job_seconds)
    one_job = _time_burn(n)
    b.log(f"n = {n:,}: one job takes {one_job:.2f} s alone")

    results: dict[str, list[dict[str, Any]]] = {"idle": [], "generated": []}
    if args.replace:
        results["patched"] = []
    results["seed"] = []
    with b.work_dir(keep=args.keep) as tmp, b.Processes(tmp) as procs:
        b.log("generating a project with fastasync new ...")
        project = g.generate(tmp / "gen", fastasync=args.fastasync)
        g.add_cpu_task(project)

        # (a) and (b): one generated app process for all rounds
        run_generated(procs, project, n, args, results, idle=True, key="generated")
        if args.replace:
            patched = g.patched_copy(project, args.replace)
            run_generated(procs, patched, n, args, results, idle=False, key="patched")

        # (c): the seed's pattern
        port = b.free_port()
        cmd = b.uvicorn_cmd("seed_jobs_app:app", port, b.HERE / "servers")
        proc = procs.start("seed", cmd)
        b.wait_http(f"http://{b.LOOPBACK}:{port}/health", proc=proc, procs=procs, name="seed")
        for r in range(1, args.rounds + 1):
            b.log(f"round {r}/{args.rounds}: (c) seed app + {args.jobs} BackgroundTasks")
            ids = iter(range(r * 100, r * 100 + 100, args.jobs))
            results["seed"].append(
                clean(
                    args,
                    "(c)",
                    proc.pid,
                    lambda ids=ids: jobs_window(
                        port, args, *seed_submit(n, args.jobs, first_id=next(ids))
                    ),
                )
            )
        procs.stop(proc)

    summary = {k: _pool(v) for k, v in results.items()}
    idle_p99 = summary["idle"]["p99_ms"]
    rows = []
    labels = {
        "idle": "(a) generated app, idle",
        "generated": f"(b) generated app, {args.jobs} cpu jobs (process pool)",
        "seed": f"(c) seed: {args.jobs} sync def in BackgroundTasks",
        "patched": f"(b') generated + --replace, {args.jobs} cpu jobs",
    }
    for key, s in summary.items():
        rows.append(
            [
                labels[key] + (f" *{s['disturbed_rounds']}" if s["disturbed_rounds"] else ""),
                s["samples"],
                s["p50_ms"],
                s["p99_ms"],
                s["max_ms"],
                s["unanswered"],
                f"{s['p99_ms'] / idle_p99:.1f}x" if s["p99_ms"] and idle_p99 else None,
                s["window_s"],
                s["other_cpu_pct"],
            ]
        )
    print()
    print(
        f"probe: GET /health every {args.interval_ms:.0f} ms on one keep-alive "
        f"connection (timeout {REQUEST_TIMEOUT:.0f} s); jobs: {args.jobs} x burn({n:,}) "
        f"= {one_job:.2f} s each alone; {args.rounds} round(s) pooled; "
        f"{b.cpu_count()} CPUs, nothing pinned"
    )
    print()
    print(
        b.table(
            [
                "scenario",
                "samples",
                "p50 ms",
                "p99 ms",
                "max ms",
                "unanswered",
                "p99 vs idle",
                "jobs wall s",
                "other CPU%",
            ],
            rows,
        )
    )
    if any(s["disturbed_rounds"] for s in summary.values()):
        print("*N: N rounds had other work over --max-other % of a core during them")
    gen_p99 = summary["generated"]["p99_ms"]
    ratio = gen_p99 / idle_p99 if gen_p99 and idle_p99 else None
    unanswered = summary["generated"]["unanswered"]
    ok = ratio is not None and ratio <= P99_RATIO_TARGET and unanswered == 0
    print()
    print(
        f"generated p99 under cpu jobs / idle p99 = "
        f"{ratio if ratio is None else f'{ratio:.2f}x'} "
        f"(target <= {P99_RATIO_TARGET}x, no unanswered probes): {b.verdict(ok)}"
    )
    if args.json is not None:
        path = b.write_json(
            "loop_under_cpu",
            {
                "settings": {
                    "n": n,
                    "one_job_seconds": one_job,
                    "jobs": args.jobs,
                    "interval_ms": args.interval_ms,
                    "idle_seconds": args.idle_seconds,
                    "rounds": args.rounds,
                    "cpu_workers": args.cpu_workers or "project default",
                    "nice": args.nice,
                    "replace": args.replace,
                },
                "packages": b.package_versions("fastapi", "starlette", "uvicorn"),
                "summary": {
                    k: {kk: vv for kk, vv in v.items() if kk != "latencies_ms"}
                    for k, v in summary.items()
                },
                "rounds": {
                    k: [{kk: vv for kk, vv in r.items() if kk != "latencies_ms"} for r in v]
                    for k, v in results.items()
                },
                "targets": {
                    "p99_ratio": ratio,
                    "p99_ratio_max": P99_RATIO_TARGET,
                    "pass": ok,
                },
            },
            args.json or None,
        )
        print(f"wrote {path}")
    return 1 if args.strict and not ok else 0


def run_generated(
    procs: b.Processes,
    project: Path,
    n: int,
    args: argparse.Namespace,
    results: dict[str, list[dict[str, Any]]],
    *,
    idle: bool,
    key: str,
) -> None:
    """(a) idle and (b) cpu-jobs rounds on one generated app process."""
    port = b.free_port()
    cmd, env, cwd = g.serve_command(project, port)
    if args.cpu_workers:
        env["CPU_WORKERS"] = str(args.cpu_workers)
    proc = procs.start(key, cmd, env=env, cwd=cwd)
    b.wait_http(f"http://{b.LOOPBACK}:{port}/health", proc=proc, procs=procs, name=key)
    # One tiny job first, so the worker process is started before measuring.
    warm_submit, warm_done = generated_submit(1000, 1)
    asyncio.run(_warm(port, warm_submit, warm_done))
    for r in range(1, args.rounds + 1):
        if idle:
            b.log(f"round {r}/{args.rounds}: (a) idle generated app ...")
            results["idle"].append(clean(args, "(a)", proc.pid, lambda: idle_window(port, args)))
        label = "(b)" if key == "generated" else "(b')"
        b.log(f"round {r}/{args.rounds}: {label} {key} app + {args.jobs} cpu jobs ...")
        submit, done = generated_submit(n, args.jobs)
        results[key].append(
            clean(
                args,
                label,
                proc.pid,
                lambda submit=submit, done=done: jobs_window(port, args, submit, done),
            )
        )
    procs.stop(proc)


def clean(args: argparse.Namespace, what: str, pid: int, window: Any) -> dict[str, Any]:
    """One measured window (`window()` makes the coroutine), re-run if disturbed."""

    def measure() -> dict[str, Any]:
        with b.CpuMeter({"app": pid}) as meter:
            res = asyncio.run(window())
        return {**res, "cpu": meter.result}

    return b.measure_clean(
        measure,
        what=what,
        max_other=args.max_other,
        retries=args.retries,
        quiet_wait=args.quiet_wait,
    )


async def _warm(port: int, submit: Any, finished: Any) -> None:
    conn = Conn(port)
    try:
        handles = await submit(conn)
        deadline = time.perf_counter() + 60
        while not await finished(conn, handles):
            if time.perf_counter() > deadline:
                raise b.BenchError("the warm-up job did not finish in 60 s")
            await asyncio.sleep(0.1)
    finally:
        conn.close()


def _pool(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    lat = [x for r in rounds for x in r["latencies_ms"]]
    return {
        "samples": len(lat),
        "p50_ms": b.percentile(lat, 50),
        "p99_ms": b.percentile(lat, 99),
        "max_ms": max(lat) if lat else None,
        "unanswered": sum(r["unanswered"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
        "window_s": sum(r["window_s"] for r in rounds) / len(rounds),
        "other_cpu_pct": max(r["cpu"].get("other_cpu_pct", 0.0) for r in rounds),
        "p99_per_round_ms": [r["p99_ms"] for r in rounds],
        "disturbed_rounds": sum(1 for r in rounds if r.get("disturbed")),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--job-seconds", type=float, default=2.0)
    parser.add_argument("--n", type=int, help="burn(n) size; default: calibrated")
    parser.add_argument("--jobs", type=int, default=2, help="jobs started at once")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, samples pooled")
    parser.add_argument("--interval-ms", type=float, default=10.0)
    parser.add_argument("--idle-seconds", type=float, default=4.0)
    parser.add_argument("--max-wait", type=float, default=60.0, help="per round")
    parser.add_argument(
        "--cpu-workers",
        type=int,
        help="CPU_WORKERS for the generated app (default: the project's own default)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness for this script and all it starts (negative needs root): "
        "on a shared machine, -10 puts the benchmark ahead of other work",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="seconds to wait for other work on the machine to stop before each run",
    )
    parser.add_argument(
        "--max-other",
        type=float,
        default=25.0,
        help="measure a round again when other work used more than this %% of a core during it",
    )
    parser.add_argument("--retries", type=int, default=2, help="for --max-other")
    parser.add_argument("--fastasync", help="the fastasync executable")
    parser.add_argument(
        "--replace",
        action="append",
        metavar="REL_PATH=FILE",
        help="also measure (b) on a copy of the generated project with REL_PATH "
        "replaced by FILE (a proposed template change); repeatable",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        help="write results as JSON (default: benchmarks/results/loop_under_cpu-*.json)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target fails")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    if not 0.1 <= args.job_seconds <= 30 or not 1 <= args.rounds <= 20:
        parser.error("--job-seconds must be 0.1..30 and --rounds 1..20")
    return b.main_guard(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
