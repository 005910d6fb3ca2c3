"""Database throughput: an endpoint's `GET /api/items/{id}` and `POST /api/items`, under wrk.

    python benchmarks/db_load.py [--duration 10] [--rounds 1] [--pools 10] [--json]

Starts a throwaway PostgreSQL (the one generated projects' tests start:
templates/db/tests/postgres_server.py; fsync off), then, one at a time, ONE uvicorn
process per variant (uvloop + httptools, 1 worker) serving the same table `items`
(a UUID key made by the app, name, price, created_at, updated_at: the generated
project's), each on a fresh database, and answering as the generated project does:

  floor       the driver alone, hand-written SQL: an asyncpg pool (PostgreSQL), one
              shared aiosqlite connection (SQLite)
  floor_tx    (PostgreSQL) the floor with its POST's INSERT in a transaction (BEGIN,
              INSERT, COMMIT), as the generated projects write: a reference only
  generated   a project made by `fastasync new --db DB` with `fastasync add endpoint
              items name:str price:float`, migrated by `alembic upgrade head`
  sqlalchemy  SQLAlchemy 2 async done the way the generated projects do it (engine and
              sessionmaker from the lifespan, a session per request committing on
              success): the stand-in when `generated` cannot be made
  sqlalchemy_min  the least SQLAlchemy code with a session per request (no dependency,
              no middleware, Core statements built at import): what any such code meets
  sqlalchemy_ping  (c') with `pool_pre_ping=True`: what a ping per checkout costs
  blocking    the seeds' mistake: a synchronous SQLAlchemy session (psycopg, sqlite3)
              inside `async def`

Each app gets 1,000 rows through its own POST, then wrk (100 connections) loads GET by
random id, then POST. With 2+ CPUs the app runs pinned to one CPU and PostgreSQL and
wrk to the other. The same run is made on SQLite files (WAL, busy timeout).
Targets (PostgreSQL): generated req/s >= 0.6x floor's and >= 3x blocking's, GET and
POST alike, with no errors; p99 reported.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _bench as b
import _generated as g

sys.path.insert(0, str(b.REPO / "templates" / "db" / "tests"))
sys.path.insert(0, str(b.HERE / "servers"))

VARIANTS = (
    "floor",
    "floor_tx",
    "generated",
    "sqlalchemy",
    "sqlalchemy_min",
    "sqlalchemy_ping",
    "blocking",
)
DATABASES = ("postgres", "sqlite")
LABELS = {
    "floor": "(a) floor: {driver}, plain SQL",
    "floor_tx": "(a') floor, write in a transaction",
    "generated": "(c) generated project",
    "sqlalchemy": "(c') SQLAlchemy async, generated style",
    "sqlalchemy_min": "(c-min) the least code with a session per request",
    "sqlalchemy_ping": "(c'') (c') with pool_pre_ping",
    "blocking": "(b) blocking: sync Session in async def",
}
DRIVERS = {"postgres": "asyncpg", "sqlite": "aiosqlite"}
ENDPOINT = ["items", "name:str", "price:float"]
BODY = {"name": "tea", "price": 3.5}
VS_FLOOR_TARGET = 0.6
VS_BLOCKING_TARGET = 3.0


@dataclass(frozen=True)
class Case:
    db: str
    variant: str
    pool: int

    @property
    def key(self) -> str:
        return f"{self.db}/{self.variant}/pool{self.pool}"


class Databases:
    """A fresh database per measured app: on the PostgreSQL server, or a SQLite file."""

    def __init__(self, tmp: Path, server: Any | None, app_port: int | None = None) -> None:
        self.tmp = tmp
        self.server = server
        # the port the apps reach PostgreSQL on: the latency proxy's, when there is one
        self.app_port = app_port
        self.proxy_pid: int | None = None
        self.count = 0

    def new(self, db: str) -> tuple[str, str]:
        """(async URL, sync URL) of a new empty database."""
        self.count += 1
        if db == "sqlite":
            folder = self.tmp / f"sqlite-{self.count}"
            folder.mkdir()
            path = folder / "bench.db"
            return f"sqlite+aiosqlite:///{path}", f"sqlite:///{path}"
        assert self.server is not None
        name = f"bench_{self.count}"
        asyncio.run(_create_database(self.server.url().replace("+asyncpg", ""), name))
        url = self.server.url(name)
        if self.app_port is not None:
            url = url.replace(f":{self.server.port}/", f":{self.app_port}/", 1)
        return url, url.replace("+asyncpg", "+psycopg")


async def _create_database(admin_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def seed(base: str, rows: int) -> list[str]:
    """POST `rows` items through the app; their ids."""
    ids = []
    for _ in range(rows):
        status, _headers, body = b.http_json("POST", f"{base}/api/items", BODY)
        if status != 201:
            raise b.BenchError(f"seeding: POST /api/items answered {status}: {body}")
        ids.append(str(body["id"]))
    return ids


def app_command(
    case: Case, port: int, urls: tuple[str, str], project: Path | None
) -> tuple[list[str], dict[str, str], Path | None]:
    async_url, sync_url = urls
    if case.variant == "generated":
        assert project is not None
        env = {
            "DATABASE_URL": async_url,
            "DATABASE_POOL_SIZE": str(case.pool),
            "DATABASE_MAX_OVERFLOW": "0",
        }
        g.migrate(project, env)
        cmd, serve_env, cwd = g.serve_command(project, port)
        return cmd, {**serve_env, **env}, cwd
    from db_models import create_schema

    create_schema(sync_url)
    env = {
        "BENCH_VARIANT": case.variant,
        "BENCH_DATABASE_URL": sync_url if case.variant == "blocking" else async_url,
        "BENCH_POOL": str(case.pool),
    }
    return b.uvicorn_cmd("db_app:app", port, b.HERE / "servers"), env, None


def measure_case(
    case: Case,
    *,
    procs: b.Processes,
    databases: Databases,
    db_pid: int | None,
    projects: dict[str, Path],
    tmp: Path,
    args: argparse.Namespace,
    app_pin: list[str],
    load_pin: list[str],
) -> dict[str, Any]:
    port = b.free_port()
    urls = databases.new(case.db)
    cmd, env, cwd = app_command(case, port, urls, projects.get(case.db))
    name = f"app-{case.db}-{case.variant}-{case.pool}"
    proc = procs.start(name, [*app_pin, *cmd], env=env, cwd=cwd)
    try:
        base = f"http://{b.LOOPBACK}:{port}"
        b.wait_http(base + "/health", proc=proc, what=name, procs=procs, name=name)
        ids_file = tmp / f"ids-{name}.txt"
        ids_file.write_text("\n".join(seed(base, args.rows)) + "\n")
        wrk_env = {
            "WRK_DB_PATH": "/api/items",
            "WRK_DB_IDS": str(ids_file),
            "WRK_DB_BODY": json.dumps(BODY),
        }
        script = b.HERE / "wrk_db.lua"
        url = base + "/api/items"

        def load(mode: str, seconds: float) -> dict[str, Any]:
            return b.run_wrk(
                url,
                connections=args.connections,
                duration=seconds,
                pin=load_pin,
                script=script,
                env={**wrk_env, "WRK_DB_MODE": mode},
            )

        if args.warmup > 0:
            load("get", args.warmup)
        result: dict[str, Any] = {"app_command": cmd, "pool": case.pool}
        pids = {"app": proc.pid}
        if db_pid and case.db == "postgres":
            pids["db"] = db_pid
            if databases.proxy_pid:
                pids["proxy"] = databases.proxy_pid
        for mode in ("get", "post"):
            spy = None
            if args.profile:
                spy_out = b.RESULTS / f"profile-db-{case.db}-{case.variant}-{mode}.txt"
                spy = b.start_profiler(
                    procs, f"py-spy-{name}-{mode}", proc.pid, spy_out, args.duration, load_pin
                )
            with b.CpuMeter(pids) as meter:
                figures = load(mode, args.duration)
            figures["cpu"] = meter.result
            if spy is not None:
                spy.wait(timeout=30)
                figures["profile"] = str(spy_out)
                b.log(b.profile_summary(spy_out))
            app_seconds = meter.result["app_cpu_pct"] / 100 * figures["seconds"]
            figures["app_cpu_ms_per_req"] = (
                app_seconds * 1000 / figures["requests"] if figures["requests"] else None
            )
            result[mode] = figures
        if proc.poll() is not None:
            raise b.BenchError(f"{name} died under load:\n{procs.log_tail(name)}")
        result["cpu"] = {
            "other_cpu_pct": max(result[m]["cpu"]["other_cpu_pct"] for m in ("get", "post"))
        }
        return result
    finally:
        procs.stop(proc)


def _pin_tree(root: int, cpus: str) -> None:
    """Pin PostgreSQL's processes (and those it forks later) to the load CPUs."""
    wanted = {int(c) for part in cpus.split(",") for c in _expand(part)}
    for pid in b._process_tree(root):
        try:
            os.sched_setaffinity(pid, wanted)
        except OSError as exc:
            b.log(f"note: could not pin PostgreSQL process {pid}: {exc}")


def _expand(part: str) -> list[int]:
    low, _, high = part.partition("-")
    return list(range(int(low), int(high or low) + 1))


def run(args: argparse.Namespace) -> int:
    b.require_tool("wrk")
    b.set_nice(args.nice)
    b.require_modules(
        "fastapi", "uvicorn", "uvloop", "httptools", "sqlalchemy", "asyncpg", "aiosqlite"
    )
    variants = _choose(args.variants, VARIANTS, "variants")
    dbs = _choose(args.db, DATABASES, "databases")
    if "blocking" in variants and "postgres" in dbs:
        b.require_modules("psycopg")
    pin_ok = not args.no_pin and b.cpu_count() >= 2
    app_pin = b.pin_prefix(args.app_cpus if pin_ok else None)
    load_pin = b.pin_prefix(args.load_cpus if pin_ok else None)
    if not pin_ok and not args.no_pin:
        b.log("note: fewer than 2 CPUs, running unpinned")

    import postgres_server

    notes: list[str] = []
    with b.work_dir(keep=args.keep) as tmp, b.Processes(tmp) as procs:
        projects: dict[str, Path] = {}
        if "generated" in variants:
            for db in dbs:
                b.log(f"generating a project with fastasync new --db {db} ...")
                try:
                    projects[db] = g.generate_with_endpoint(
                        tmp / f"gen-{db}", db=db, endpoint=ENDPOINT, fastasync=args.fastasync
                    )
                except b.BenchError as exc:
                    notes.append(f"generated ({db}) not measured: {exc}")
                    b.log(f"note: {notes[-1]}")
        cases = [
            Case(db, variant, pool)
            for db in dbs
            for variant in variants
            if variant != "generated" or db in projects
            if variant != "floor_tx" or db == "postgres"
            for pool in _pools_for(db, variant, args.pools)
        ]
        server = None
        with contextlib.ExitStack() as stack:
            proxy_port = None
            if "postgres" in dbs:
                server = stack.enter_context(_postgres(postgres_server, args, load_pin))
                if args.db_latency_ms > 0:
                    proxy_port = _start_proxy(
                        procs, server.port, args, load_pin, tmp / "proxy-stats.json"
                    )
            databases = Databases(tmp, server, proxy_port)
            if proxy_port is not None:
                databases.proxy_pid = procs.procs[-1][1].pid
            runs: dict[str, list[dict[str, Any]]] = {c.key: [] for c in cases}
            for round_no in range(1, args.rounds + 1):
                for case in cases:
                    b.log(f"round {round_no}/{args.rounds}: {case.key} ...")
                    runs[case.key].append(
                        b.measure_clean(
                            lambda case=case: measure_case(
                                case,
                                procs=procs,
                                databases=databases,
                                db_pid=server.process.pid if server else None,
                                projects=projects,
                                tmp=tmp,
                                args=args,
                                app_pin=app_pin,
                                load_pin=load_pin,
                            ),
                            what=case.key,
                            max_other=args.max_other,
                            retries=args.retries,
                            quiet_wait=args.quiet_wait,
                        )
                    )
            proxy = _proxy_stats(procs, databases.proxy_pid, tmp / "proxy-stats.json")

    summary = {c.key: _median_run(runs[c.key]) for c in cases}
    if proxy:
        print(
            f"latency proxy: {args.db_latency_ms} ms each way; its {proxy['chunks']:,} "
            f"chunks left late by p50 {proxy['late_p50_ms']:.3f} ms, p99 "
            f"{proxy['late_p99_ms']:.3f} ms, max {proxy['late_max_ms']:.1f} ms"
        )
    targets = report(cases, summary, args, app_pin, notes)
    if args.json is not None:
        path = b.write_json(
            "db_load",
            {
                "settings": {
                    "connections": args.connections,
                    "duration_s": args.duration,
                    "warmup_s": args.warmup,
                    "rows": args.rows,
                    "db_latency_ms_each_way": args.db_latency_ms,
                    "latency_proxy": proxy,
                    "pools": args.pools,
                    "rounds": args.rounds,
                    "app_pin": app_pin,
                    "load_pin": load_pin,
                    "body": BODY,
                    "endpoint": ENDPOINT,
                },
                "packages": b.package_versions(
                    "fastapi",
                    "starlette",
                    "uvicorn",
                    "uvloop",
                    "sqlalchemy",
                    "asyncpg",
                    "aiosqlite",
                    "psycopg",
                    "alembic",
                ),
                "notes": notes,
                "runs": runs,
                "median": summary,
                "targets": targets,
            },
            args.json or None,
        )
        print(f"wrote {path}")
    failed = any(v is False for k, v in targets.items() if k.endswith("_pass"))
    return 1 if args.strict and failed else 0


@contextlib.contextmanager
def _postgres(module: Any, args: argparse.Namespace, load_pin: list[str]) -> Iterator[Any]:
    """A throwaway PostgreSQL started like the tests' (fsync off), pinned like wrk."""
    bindir = module.find_bindir()
    if bindir is None:
        raise b.BenchError(
            "PostgreSQL binaries not found: apt-get install postgresql (scripts/test does)"
        )
    b.log(f"starting PostgreSQL from {bindir} ...")
    connections = max(100, 2 * max(args.pools) + 20)
    try:
        with module.throwaway_server(
            bindir, settings={"max_connections": str(connections)}
        ) as server:
            if load_pin:
                _pin_tree(server.process.pid, args.load_cpus)
            yield server
    except module.PostgresUnavailable as exc:
        raise b.BenchError(str(exc)) from exc


def _start_proxy(
    procs: b.Processes,
    target_port: int,
    args: argparse.Namespace,
    load_pin: list[str],
    stats: Path,
) -> int:
    """servers/latency_proxy.py in front of PostgreSQL: the apps' network round trip.

    At exit it writes to `stats` how late its chunks left (`_proxy_stats`).
    """
    port = b.free_port()
    cmd = [
        *load_pin,
        sys.executable,
        str(b.HERE / "servers" / "latency_proxy.py"),
        *("--listen-port", str(port), "--target-port", str(target_port)),
        *("--delay-ms", str(args.db_latency_ms)),
        *("--stats", str(stats)),
    ]
    proc = procs.start("latency-proxy", cmd)
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection((b.LOOPBACK, port), timeout=1):
                return port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise b.BenchError(
                    f"latency proxy did not start:\n{procs.log_tail('latency-proxy')}"
                ) from None
            time.sleep(0.05)


def _proxy_stats(procs: b.Processes, pid: int | None, path: Path) -> dict[str, Any]:
    """Stop the latency proxy (if any) and read what it wrote at exit."""
    for _name, proc in procs.procs:
        if proc.pid == pid:
            procs.stop(proc)
            try:
                stats: dict[str, Any] = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                b.log(f"note: no figures from the latency proxy: {exc}")
                return {}
            return stats if stats.get("chunks") else {}
    return {}


def _choose(given: str, allowed: tuple[str, ...], what: str) -> list[str]:
    chosen = list(dict.fromkeys(v.strip() for v in given.split(",") if v.strip()))
    unknown = set(chosen) - set(allowed)
    if unknown or not chosen:
        raise b.BenchError(f"unknown {what} {sorted(unknown)}; choose from {allowed}")
    return chosen


def _pools_for(db: str, variant: str, pools: list[int]) -> list[int]:
    """Pool sizes to measure: every one for pooled async variants, else the first."""
    if variant == "blocking" or (variant == "floor" and db == "sqlite"):
        return pools[:1]  # one query at a time (blocking) or one connection (aiosqlite)
    return pools


def _best(cases: list[Case], summary: dict[str, Any], db: str, variant: str) -> Case | None:
    """The pool size with the highest GET + POST req/s."""
    mine = [c for c in cases if c.db == db and c.variant == variant]
    if not mine:
        return None
    return max(mine, key=lambda c: summary[c.key]["get"]["rps"] + summary[c.key]["post"]["rps"])


def report(
    cases: list[Case],
    summary: dict[str, Any],
    args: argparse.Namespace,
    app_pin: list[str],
    notes: list[str],
) -> dict[str, Any]:
    print()
    print(
        f"wrk: {args.connections} connections, {args.duration:.0f} s per operation after a "
        f"{args.warmup:.0f} s GET warm-up, {args.rows} rows seeded, pool sizes "
        f"{','.join(map(str, args.pools))} (no overflow), median of {args.rounds} round(s)"
    )
    print(
        f"PostgreSQL reached through a proxy adding {args.db_latency_ms:g} ms each way"
        if args.db_latency_ms > 0
        else "PostgreSQL reached directly on loopback"
    )
    print(
        "pinning: "
        + (
            f"app on CPU {args.app_cpus}, PostgreSQL + wrk on CPU {args.load_cpus}"
            if app_pin
            else "none"
        )
    )
    for note in notes:
        print(f"note: {note}")
    targets: dict[str, Any] = {}
    for db in dict.fromkeys(c.db for c in cases):
        floor = _best(cases, summary, db, "floor")
        floor_tx = _best(cases, summary, db, "floor_tx")
        blocking = _best(cases, summary, db, "blocking")
        rows = []
        for case in (c for c in cases if c.db == db):
            r = summary[case.key]
            label = LABELS[case.variant].format(driver=DRIVERS[db])
            for op in ("get", "post"):
                fig = r[op]
                vs_floor = fig["rps"] / summary[floor.key][op]["rps"] if floor else None
                vs_block = fig["rps"] / summary[blocking.key][op]["rps"] if blocking else None
                rows.append(
                    [
                        label + (" *" if r.get("disturbed") else ""),
                        case.pool,
                        op.upper(),
                        fig["rps"],
                        fig["p50_ms"],
                        fig["p99_ms"],
                        fig["max_ms"],
                        fig["non_2xx"],
                        fig["socket_errors"],
                        f"{vs_floor:.2f}x" if vs_floor else None,
                        f"{vs_block:.2f}x" if vs_block else None,
                        fig["cpu"].get("app_cpu_pct"),
                        fig["cpu"].get("db_cpu_pct"),
                        fig.get("app_cpu_ms_per_req"),
                        fig["cpu"].get("other_cpu_pct"),
                    ]
                )
        print()
        print(f"{db}:")
        print(
            b.table(
                [
                    "variant",
                    "pool",
                    "op",
                    "req/s",
                    "p50 ms",
                    "p99 ms",
                    "max ms",
                    "non-2xx",
                    "sock err",
                    "vs floor",
                    "vs blocking",
                    "app CPU%",
                    "db CPU%",
                    "CPU ms/req",
                    "other CPU%",
                ],
                rows,
            )
        )
        if floor and floor_tx:
            # What the transaction alone costs hand-written asyncpg: a bound on the
            # ratio any handler that commits only after it succeeded can reach.
            print()
            print(f"{db}: the floor in a transaction, against the floor:")
            for op in ("get", "post"):
                bound = summary[floor_tx.key][op]["rps"] / summary[floor.key][op]["rps"]
                targets[f"{db}_{op}_floor_tx_vs_floor"] = bound
                print(f"  {op.upper()} floor_tx / floor = {bound:.2f}x")
        subject = _best(cases, summary, db, "generated") or _best(cases, summary, db, "sqlalchemy")
        if subject is None:
            continue
        print()
        name = LABELS[subject.variant].format(driver=DRIVERS[db])
        print(f"{db}: {name}, best pool {subject.pool}:")
        targets[f"{db}_subject"] = subject.key
        targets[f"{db}_best_pool"] = subject.pool
        for op in ("get", "post"):
            fig = summary[subject.key][op]
            for ref, goal, what in (
                (floor, VS_FLOOR_TARGET, "floor"),
                (blocking, VS_BLOCKING_TARGET, "blocking"),
                (floor_tx, None, "floor_tx"),
            ):
                if ref is None:
                    continue
                ratio = fig["rps"] / summary[ref.key][op]["rps"]
                targets[f"{db}_{op}_vs_{what}"] = ratio
                if goal is None:  # a reference, not a target
                    print(f"  {op.upper()} / {what} (pool {ref.pool}) = {ratio:.2f}x (reference)")
                    continue
                # the goals are PostgreSQL's; SQLite's figures are reported only
                ok = (ratio >= goal) if db == "postgres" else None
                targets[f"{db}_{op}_vs_{what}_pass"] = ok
                print(
                    f"  {op.upper()} / {what} (pool {ref.pool}) = {ratio:.2f}x "
                    f"(target >= {goal}x): {b.verdict(ok)}; p99 {fig['p99_ms']:.1f} ms"
                )
            clean = fig["non_2xx"] == 0 and fig["socket_errors"] == 0
            targets[f"{db}_{op}_no_errors_pass"] = clean
            if not clean:
                print(f"  {op.upper()}: FAIL, it answered with errors (see table)")
    if any(r.get("disturbed") for r in summary.values()):
        print("* other work on the machine used over --max-other % of a core during it")
    return targets


def _median_run(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Per operation, the round with the median req/s (its latencies come with it)."""
    best: dict[str, Any] = dict(results[0])
    for op in ("get", "post"):
        ordered = sorted(results, key=lambda r: r[op]["rps"])
        best[op] = dict(ordered[(len(ordered) - 1) // 2][op])
        best[op]["rps_all_rounds"] = [r[op]["rps"] for r in results]
        if len(results) > 1:
            best[op]["rps_stdev"] = statistics.stdev(r[op]["rps"] for r in results)
    best["disturbed"] = any(r.get("disturbed") for r in results)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per operation")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of GET warm-up")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument(
        "--pools",
        default="10",
        help="pool sizes to measure, comma-separated (e.g. 5,10,20,40); the best is reported",
    )
    parser.add_argument("--rows", type=int, default=1000, help="rows seeded before GET")
    parser.add_argument(
        "--db-latency-ms",
        type=float,
        default=0.5,
        help="delay added each way between the apps and PostgreSQL by a proxy "
        "(0.5: a 1 ms round trip, a database in the same data centre; 0: loopback)",
    )
    parser.add_argument("--db", default=",".join(DATABASES), help="postgres,sqlite")
    parser.add_argument("--rounds", type=int, default=1, help="report the median")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--no-pin", action="store_true", help="don't use taskset")
    parser.add_argument("--app-cpus", default="0", help="CPUs for the app (taskset -c)")
    parser.add_argument("--load-cpus", default="1", help="CPUs for PostgreSQL and wrk")
    parser.add_argument("--fastasync", help="the fastasync executable to use")
    parser.add_argument("--nice", type=int, default=0, help="niceness (negative needs root)")
    parser.add_argument(
        "--max-other",
        type=float,
        default=25.0,
        help="re-measure when other work used more than this %% of a core",
    )
    parser.add_argument("--retries", type=int, default=2, help="re-measurements at most")
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
        help="write results as JSON (default: benchmarks/results/db_load-*.json)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample each app with py-spy during each operation (pip install py-spy); "
        "raw stacks go to benchmarks/results/profile-db-*.txt",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target fails")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    try:
        args.pools = sorted({int(p) for p in args.pools.split(",") if p.strip()})
    except ValueError:
        parser.error("--pools takes whole numbers, e.g. 5,10,20")
    if not args.pools or min(args.pools) < 1 or max(args.pools) > 200:
        parser.error("--pools must be between 1 and 200")
    if not 1 <= args.duration <= 120 or not 0 <= args.warmup <= 30:
        parser.error("--duration must be 1..120 s and --warmup 0..30 s")
    if not 0 <= args.db_latency_ms <= 50:
        parser.error("--db-latency-ms must be 0..50")
    if not 10 <= args.rows <= 100_000:
        parser.error("--rows must be 10..100000")
    return b.main_guard(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
