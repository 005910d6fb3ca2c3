"""Outbound-HTTP throughput: FastAPI endpoints that call a 50 ms upstream, under wrk.

    python benchmarks/client_load.py [--duration 10] [--warmup 2] [--rounds 1] [--json]

Starts a local upstream (servers/upstream.py: uvloop, answers after 50 ms), then, one
at a time, ONE uvicorn process per variant (uvloop + httptools, 1 worker) whose
`GET /call` calls the upstream, and loads it with wrk (100 connections, keep-alive):

  seed           `async with httpx.AsyncClient() as client:` per request (the seed text)
  httpx          one shared httpx.AsyncClient from the lifespan
  httpx_aiohttp  one shared httpx client over httpx-aiohttp's transport (reference)
  aiohttp        one shared aiohttp.ClientSession from the lifespan
  generated      a project made by `fastasync new`, its BaseClient subclass via the
                 lifespan and deps the template provides
  generated_aiohttp  the same project with a bare shared aiohttp.ClientSession in
                 place of the BaseClient subclass: the app around the call is the
                 same, so generated / generated_aiohttp is the client's own cost

Every pool is capped at 100 connections. Nothing is pinned unless --pin is given
(then the app runs on one CPU, the upstream and wrk on the other, with taskset).
100 connections to a 50 ms upstream allow at most 2,000 req/s. Targets: generated
>= 3x httpx and >= 0.8x aiohttp in req/s, and <= 1.25x aiohttp's app CPU time per
request (user + system CPU of the app process over the measured run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

import _bench as b
import _generated as g

VARIANTS = (
    "seed",
    "httpx",
    "httpx_ka20",
    "httpx_aiohttp",
    "aiohttp",
    "generated",
    "generated_aiohttp",
)
LABELS = {
    "upstream": "ideal: wrk -> upstream direct",
    "seed": "(a) seed: AsyncClient per request",
    "httpx": "(b) shared httpx.AsyncClient",
    "httpx_ka20": "(ref) shared httpx, keepalive 20",
    "httpx_aiohttp": "(ref) shared httpx + AiohttpTransport",
    "aiohttp": "(c) shared aiohttp.ClientSession",
    "generated": "(d) generated project's BaseClient",
    "generated_aiohttp": "(c') generated project, bare aiohttp",
    "patched": "(d') generated, --client-base file",
}
VS_HTTPX_TARGET = 3.0
VS_AIOHTTP_TARGET = 0.8
CPU_VS_AIOHTTP_TARGET = 1.25


def measure_variant(
    variant: str,
    *,
    procs: b.Processes,
    upstream: str,
    upstream_pid: int,
    project: Path | None,
    args: argparse.Namespace,
    app_pin: list[str],
    load_pin: list[str],
) -> dict[str, Any]:
    port = b.free_port()
    if variant in ("generated", "patched", "generated_aiohttp"):
        assert project is not None
        if variant == "patched":
            project = project.with_name(project.name + "-patched")
        elif variant == "generated_aiohttp":
            project = project.with_name(project.name + "-raw-aiohttp")
        app_cmd, env, cwd = g.serve_command(project, port, upstream_url=upstream, pool=args.pool)
        cmd = [*app_pin, *app_cmd]
        path = "/bench/call"
    else:
        cmd = [*app_pin, *b.uvicorn_cmd("client_app:app", port, b.HERE / "servers")]
        env = {
            "BENCH_VARIANT": "httpx" if variant == "httpx_ka20" else variant,
            "BENCH_UPSTREAM": upstream,
            "BENCH_POOL": str(args.pool),
        }
        if variant == "httpx_ka20":
            env["BENCH_KEEPALIVE"] = "20"
        cwd = None
        path = "/call"
    name = f"app-{variant}"
    proc = procs.start(name, cmd, env=env, cwd=cwd)
    try:
        base = f"http://{b.LOOPBACK}:{port}"
        b.wait_http(base + path, proc=proc, what=name, procs=procs, name=name)
        url = base + path
        if args.warmup > 0:
            b.run_wrk(
                url,
                connections=args.connections,
                duration=args.warmup,
                pin=load_pin,
            )
        spy = None
        if args.profile:
            spy_out = b.RESULTS / f"profile-{variant}.txt"
            spy = b.start_profiler(
                procs, f"py-spy-{variant}", proc.pid, spy_out, args.duration, load_pin
            )
        with b.CpuMeter({"app": proc.pid, "upstream": upstream_pid}) as meter:
            result = b.run_wrk(
                url,
                connections=args.connections,
                duration=args.duration,
                pin=load_pin,
            )
        result["cpu"] = meter.result
        app_seconds = meter.result["app_cpu_pct"] / 100 * result["seconds"]
        result["app_cpu_ms_per_req"] = (
            app_seconds * 1000 / result["requests"] if result["requests"] else None
        )
        if spy is not None:
            spy.wait(timeout=30)
            result["profile"] = str(spy_out)
            b.log(b.profile_summary(spy_out))
        if proc.poll() is not None:
            raise b.BenchError(f"{name} died under load:\n{procs.log_tail(name)}")
        result["app_command"] = cmd
        return result
    finally:
        procs.stop(proc)


def run(args: argparse.Namespace) -> int:
    b.require_tool("wrk")
    b.set_nice(args.nice)
    b.require_modules("fastapi", "uvicorn", "uvloop", "httptools", "httpx", "aiohttp")
    variants = list(dict.fromkeys(v.strip() for v in args.variants.split(",") if v.strip()))
    if args.client_base:
        if not Path(args.client_base).is_file():
            raise b.BenchError(f"--client-base {args.client_base}: no such file")
        variants.append("patched")
    unknown = set(variants) - {*VARIANTS, "patched"}
    if unknown:
        raise b.BenchError(f"unknown variants {sorted(unknown)}; choose from {VARIANTS}")
    pin_ok = args.pin and b.cpu_count() >= 2
    app_pin = b.pin_prefix(args.app_cpus if pin_ok else None)
    load_pin = b.pin_prefix(args.load_cpus if pin_ok else None)
    if args.pin and not pin_ok:
        print("note: fewer than 2 CPUs, running unpinned", file=sys.stderr)

    with b.work_dir(keep=args.keep) as tmp, b.Processes(tmp) as procs:
        up_port = b.free_port()
        upstream = f"http://{b.LOOPBACK}:{up_port}/"
        up_cmd = [
            *load_pin,
            sys.executable,
            str(b.HERE / "servers" / "upstream.py"),
            "--port",
            str(up_port),
            "--delay-ms",
            str(args.delay_ms),
        ]
        up = procs.start("upstream", up_cmd)
        b.wait_http(upstream, proc=up, what="upstream", procs=procs, name="upstream")

        project = None
        generated_base_sha = None
        if {"generated", "patched", "generated_aiohttp"} & set(variants):
            b.log("generating a project with fastasync new ...")
            project = g.generate(tmp / "gen", fastasync=args.fastasync)
            g.add_bench_client(project, pool=args.pool)
            generated_base_sha = b.file_sha256(project / "app/clients/base.py")
        if "patched" in variants:
            assert project is not None
            g.patched_copy(project, [f"app/clients/base.py={args.client_base}"])
        if "generated_aiohttp" in variants:
            assert project is not None
            g.raw_aiohttp_copy(project)

        # The upstream's own figures: at the benchmark's concurrency (the ideal the
        # apps approach) and at 10x it, to show it is never the bottleneck.
        b.log("measuring the upstream alone ...")
        b.wait_quiet(timeout=args.quiet_wait)
        ideal = b.run_wrk(upstream, connections=args.connections, duration=3, pin=load_pin)
        headroom = b.run_wrk(upstream, connections=args.connections * 10, duration=3, pin=load_pin)

        runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
        for round_no in range(1, args.rounds + 1):
            for variant in variants:
                b.log(f"round {round_no}/{args.rounds}: {variant} ...")
                runs[variant].append(
                    b.measure_clean(
                        lambda variant=variant: measure_variant(
                            variant,
                            procs=procs,
                            upstream=upstream,
                            upstream_pid=up.pid,
                            project=project,
                            args=args,
                            app_pin=app_pin,
                            load_pin=load_pin,
                        ),
                        what=variant,
                        max_other=args.max_other,
                        retries=args.retries,
                        quiet_wait=args.quiet_wait,
                    )
                )

    summary = {v: _median_run(rs) for v, rs in runs.items()}
    httpx_rps = summary.get("httpx", {}).get("rps")
    aiohttp_rps = summary.get("aiohttp", {}).get("rps")
    aiohttp_cpu = summary.get("aiohttp", {}).get("cpu_ms_per_req_median")
    rows = [_row("upstream", ideal, httpx_rps, aiohttp_rps, aiohttp_cpu)]
    rows += [_row(v, summary[v], httpx_rps, aiohttp_rps, aiohttp_cpu) for v in variants]
    print()
    print(
        f"wrk: {args.connections} connections, {args.duration:.0f} s measured after "
        f"{args.warmup:.0f} s warm-up, upstream delay {args.delay_ms:.0f} ms, pool "
        f"{args.pool} in every variant, median of {args.rounds} round(s) (req/s: the "
        "median round; CPU ms/req: the median over rounds)"
    )
    print(
        "pinning: "
        + (
            f"app on CPU {args.app_cpus}, upstream + wrk on CPU {args.load_cpus}"
            if app_pin
            else "none"
        )
    )
    print(
        f"upstream capacity check: {headroom['rps']:,.0f} req/s at "
        f"{args.connections * 10} connections (p99 {headroom['p99_ms']:.1f} ms)"
    )
    print()
    print(
        b.table(
            [
                "variant",
                "req/s",
                "p50 ms",
                "p99 ms",
                "max ms",
                "non-2xx",
                "sock err",
                "vs httpx",
                "vs aiohttp",
                "app CPU%",
                "CPU ms/req",
                "CPU vs aiohttp",
                "other CPU%",
            ],
            rows,
        )
    )
    if any(r.get("disturbed") for r in summary.values()):
        print("* other work on the machine used over --max-other % of a core during it")
    targets: dict[str, Any] = {}
    gen = summary.get("generated")
    if gen is not None:
        vs_httpx = gen["rps"] / httpx_rps if httpx_rps else None
        vs_aiohttp = gen["rps"] / aiohttp_rps if aiohttp_rps else None
        gen_cpu = gen.get("cpu_ms_per_req_median")
        cpu_vs_aiohttp = gen_cpu / aiohttp_cpu if gen_cpu and aiohttp_cpu else None
        ok_httpx = None if vs_httpx is None else vs_httpx >= VS_HTTPX_TARGET
        ok_aiohttp = None if vs_aiohttp is None else vs_aiohttp >= VS_AIOHTTP_TARGET
        ok_cpu = None if cpu_vs_aiohttp is None else cpu_vs_aiohttp <= CPU_VS_AIOHTTP_TARGET
        clean = gen["non_2xx"] == 0 and gen["socket_errors"] == 0
        targets = {
            "generated_vs_httpx": vs_httpx,
            "generated_vs_aiohttp": vs_aiohttp,
            "generated_cpu_per_req_vs_aiohttp": cpu_vs_aiohttp,
            "vs_httpx_min": VS_HTTPX_TARGET,
            "vs_aiohttp_min": VS_AIOHTTP_TARGET,
            "cpu_vs_aiohttp_max": CPU_VS_AIOHTTP_TARGET,
            "vs_httpx_pass": ok_httpx,
            "vs_aiohttp_pass": ok_aiohttp,
            "cpu_vs_aiohttp_pass": ok_cpu,
            "generated_no_errors": clean,
        }
        print()
        if vs_httpx is not None:
            print(
                f"generated / shared httpx = {vs_httpx:.2f}x "
                f"(target >= {VS_HTTPX_TARGET}x): {b.verdict(ok_httpx)}"
            )
        if vs_aiohttp is not None:
            print(
                f"generated / shared aiohttp = {vs_aiohttp:.2f}x "
                f"(target >= {VS_AIOHTTP_TARGET}x): {b.verdict(ok_aiohttp)}"
            )
        if cpu_vs_aiohttp is not None:
            print(
                f"generated / shared aiohttp, app CPU per request (median of rounds) = "
                f"{cpu_vs_aiohttp:.2f}x (target <= {CPU_VS_AIOHTTP_TARGET}x): "
                f"{b.verdict(ok_cpu)}"
            )
        if not clean:
            print("generated: FAIL, it answered with errors (see table)")
    raw = summary.get("generated_aiohttp")
    if gen is not None and raw is not None:
        # The same app around both: what the client itself costs.
        same_app_rps = gen["rps"] / raw["rps"] if raw["rps"] else None
        raw_cpu = raw.get("cpu_ms_per_req_median")
        gen_cpu = gen.get("cpu_ms_per_req_median")
        same_app_cpu = gen_cpu / raw_cpu if gen_cpu and raw_cpu else None
        ok_rps = None if same_app_rps is None else same_app_rps >= VS_AIOHTTP_TARGET
        ok_cpu = None if same_app_cpu is None else same_app_cpu <= CPU_VS_AIOHTTP_TARGET
        targets |= {
            "generated_vs_generated_aiohttp": same_app_rps,
            "generated_cpu_per_req_vs_generated_aiohttp": same_app_cpu,
            "same_app_rps_pass": ok_rps,
            "same_app_cpu_pass": ok_cpu,
        }
        print()
        if same_app_rps is not None:
            print(
                f"generated / generated with bare aiohttp (same app) = "
                f"{same_app_rps:.2f}x (target >= {VS_AIOHTTP_TARGET}x): {b.verdict(ok_rps)}"
            )
        if same_app_cpu is not None:
            print(
                f"generated / generated with bare aiohttp (same app), app CPU per request"
                f" = {same_app_cpu:.2f}x (target <= {CPU_VS_AIOHTTP_TARGET}x): "
                f"{b.verdict(ok_cpu)}"
            )
    pat = summary.get("patched")
    if pat is not None:
        print()
        for name, ref in (("httpx", httpx_rps), ("aiohttp", aiohttp_rps)):
            if ref:
                print(f"--client-base variant / shared {name} = {pat['rps'] / ref:.2f}x")
        targets["patched_vs_httpx"] = pat["rps"] / httpx_rps if httpx_rps else None
        targets["patched_vs_aiohttp"] = pat["rps"] / aiohttp_rps if aiohttp_rps else None
        targets["client_base"] = str(Path(args.client_base).resolve())
    if args.json is not None:
        path = b.write_json(
            "client_load",
            {
                "settings": {
                    "connections": args.connections,
                    "duration_s": args.duration,
                    "warmup_s": args.warmup,
                    "delay_ms": args.delay_ms,
                    "pool": args.pool,
                    "rounds": args.rounds,
                    "app_pin": app_pin,
                    "load_pin": load_pin,
                },
                "packages": b.package_versions(
                    "fastapi",
                    "starlette",
                    "uvicorn",
                    "uvloop",
                    "httptools",
                    "httpx",
                    "httpx-aiohttp",
                    "aiohttp",
                ),
                "generated_base_py_sha256": generated_base_sha,
                "upstream_ideal": ideal,
                "upstream_headroom": headroom,
                "runs": runs,
                "median": summary,
                "targets": targets,
            },
            args.json or None,
        )
        print(f"wrote {path}")
    failed = any(
        targets.get(k) is False for k in ("vs_httpx_pass", "vs_aiohttp_pass", "cpu_vs_aiohttp_pass")
    )
    return 1 if args.strict and (failed or targets.get("generated_no_errors") is False) else 0


def _median_run(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median req/s (its latencies belong to the same run)."""
    ordered = sorted(results, key=lambda r: r["rps"])
    best = dict(ordered[(len(ordered) - 1) // 2])
    best["rps_all_rounds"] = [r["rps"] for r in results]
    # CPU per request varies less than req/s on a busy machine; its own median.
    cpu = [r["app_cpu_ms_per_req"] for r in results if r.get("app_cpu_ms_per_req")]
    best["cpu_ms_per_req_all_rounds"] = cpu
    best["cpu_ms_per_req_median"] = statistics.median(cpu) if cpu else None
    if len(results) > 1:
        best["rps_stdev"] = statistics.stdev(r["rps"] for r in results)
    return best


def _row(
    key: str,
    r: dict[str, Any],
    httpx_rps: float | None,
    aiohttp_rps: float | None,
    aiohttp_cpu: float | None,
) -> list[object]:
    cpu = r.get("cpu_ms_per_req_median")
    return [
        LABELS[key] + (" *" if r.get("disturbed") else ""),
        r["rps"],
        r["p50_ms"],
        r["p99_ms"],
        r["max_ms"],
        r["non_2xx"],
        r["socket_errors"],
        f"{r['rps'] / httpx_rps:.2f}x" if httpx_rps else None,
        f"{r['rps'] / aiohttp_rps:.2f}x" if aiohttp_rps else None,
        r.get("cpu", {}).get("app_cpu_pct"),
        cpu,
        f"{cpu / aiohttp_cpu:.2f}x" if cpu and aiohttp_cpu else None,
        r.get("cpu", {}).get("other_cpu_pct"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--pool", type=int, default=100, help="pool size, all variants")
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--rounds", type=int, default=1, help="report the median")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="run the app on --app-cpus and the upstream and wrk on --load-cpus "
        "(taskset); the figure that counts is unpinned (default)",
    )
    parser.add_argument("--app-cpus", default="0", help="taskset CPUs for the app")
    parser.add_argument("--load-cpus", default="1", help="taskset CPUs for the upstream and wrk")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness for this script and all it starts (negative needs root): "
        "on a shared machine, -10 puts the benchmark ahead of other work",
    )
    parser.add_argument(
        "--max-other",
        type=float,
        default=25.0,
        help="measure a variant again when other work used more than this %% of a "
        "core during its run",
    )
    parser.add_argument("--retries", type=int, default=2, help="for --max-other")
    parser.add_argument("--fastasync", help="the fastasync executable")
    parser.add_argument(
        "--client-base",
        metavar="FILE",
        help="also measure the generated project with app/clients/base.py replaced "
        "by FILE (a proposed change to the template), as variant `patched`",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="seconds to wait for other work on the machine to stop before each run",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        help="write results as JSON (default: benchmarks/results/client_load-*.json)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target fails")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample each app with py-spy during the measured run "
        "(pip install py-spy); raw stacks go to benchmarks/results/profile-*.txt",
    )
    args = parser.parse_args()
    if args.pool < 100:
        parser.error("--pool must be at least 100")
    if not 1 <= args.duration <= 120 or not 0 <= args.warmup <= 30:
        parser.error("--duration must be 1..120 s and --warmup 0..30 s")
    return b.main_guard(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
