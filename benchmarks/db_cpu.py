"""The app's own cost per request, in process: generated endpoint vs the asyncpg floor.

    python benchmarks/db_cpu.py [--measure instructions|cpu] [--variants floor,generated,DIR]
                                [--db postgres|sqlite]

db_load.py measures requests/s under wrk, the issue's benchmark; on this 2-CPU VM
its figures move by 10-20% between runs, too much to see a change of 5%. This one
calls each app's ASGI callable directly (no sockets, no HTTP parsing, no wrk), from
`--concurrency` tasks on one uvloop loop, against a throwaway PostgreSQL (loopback,
fsync off, as db_load.py starts it). Each variant runs in a child process of its own,
on a fresh database:

  floor      db_load.py's: an asyncpg pool, hand-written SQL (servers/db_app.py)
  floor_tx   the same, its POST's INSERT in a transaction (BEGIN, INSERT, COMMIT)
  sqlalchemy db_load.py's textbook SQLAlchemy: the ORM's `session.get` and
             `session.add` + `flush`, a session per request committing on success
  sqlalchemy_min  the least code with a session per request (servers/db_app.py)
  generated  `fastasync new --db postgres` + `add endpoint items name:str price:float`
             (or --project DIR), migrated by `alembic upgrade head`
  DIR        another generated project, to compare a change against `generated`

--measure instructions (default; needs valgrind): the instructions the child runs
per request, counted by valgrind's cachegrind: two children per variant and
operation, with --requests N1 and N2, and (I(N2) - I(N1)) / (N2 - N1). Start-up,
seeding and warm-up cancel out; the count repeats within 1% from run to run,
whatever else the machine does, so the children run in parallel. It counts
user-space instructions only: not the kernel's work for each round trip, nor
cache misses.
--measure cpu: the process CPU time per request, the lowest of --batches batches
(interference only ever adds time), median of --rounds rounds. Noisy on a VM.

--db sqlite: the same on SQLite files (a fresh file per child; the floor is
db_load.py's aiosqlite one, floor_tx does not exist there). Only --measure cpu:
aiosqlite runs each call in a thread of its own, and the trips between threads
cost mostly kernel time (futexes, wake-ups), which cachegrind does not count;
under valgrind, which runs one thread at a time, writers also outwait SQLite's
busy timeout.

The HTTP layer (uvicorn, httptools, sockets) costs every variant about the same
under wrk, so a ratio here is a bound on the ratio under wrk, not equal to it.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import gc
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import _bench as b

sys.path.insert(0, str(b.REPO / "templates" / "db" / "tests"))
sys.path.insert(0, str(b.HERE / "servers"))

VARIANTS = ("floor", "generated")
FLOORS = ("floor", "floor_tx", "sqlalchemy", "sqlalchemy_min")  # servers/db_app.py's variants
# The endpoint every generated variant serves (db_load.py's table).
ITEMS_ENDPOINT = ["items", "name:str", "price:float"]
BODY = json.dumps({"name": "tea", "price": 3.5}).encode()


def _scope(method: str, path: str, body: bool) -> dict[str, Any]:
    headers = [(b"host", b"localhost"), (b"user-agent", b"bench")]
    if body:
        headers += [(b"content-type", b"application/json")]
        headers += [(b"content-length", str(len(BODY)).encode())]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }


async def _call(app: Any, method: str, path: str) -> tuple[int, bytes]:
    """One request through the app's ASGI callable; (status, body)."""
    scope = _scope(method, path, method == "POST")
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            body = BODY if method == "POST" else b""
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def _measure(app: Any, args: argparse.Namespace) -> dict[str, Any]:
    """200 rows, then per operation: a warm-up, and `--batches` measured batches."""
    ids: list[str] = []
    for _ in range(200):
        status, body = await _call(app, "POST", "/api/items")
        if status != 201:
            raise SystemExit(f"seeding: POST answered {status}: {body[:300]!r}")
        ids.append(str(json.loads(body)["id"]))
    rng = random.Random(1)
    results: dict[str, Any] = {}
    for op in args.ops.split(","):
        queue: list[int] = []

        async def worker(op: str = op, queue: list[int] = queue) -> None:
            while queue:
                queue.pop()
                if op == "GET":
                    status, body = await _call(app, "GET", f"/api/items/{rng.choice(ids)}")
                    expected = 200
                else:
                    status, body = await _call(app, "POST", "/api/items")
                    expected = 201
                if status != expected:
                    raise SystemExit(f"{op} answered {status}: {body[:300]!r}")

        # a warm-up pass, then `--batches` measured ones: interference (another
        # process, a VM's stolen time) only ever adds CPU time, so the lowest batch
        # is the app's own cost, and the median says how steady that was.
        queue.extend(range(args.warmup))
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        batches = []
        for _ in range(args.batches):
            queue.extend(range(args.requests))
            gc.collect()
            cpu0 = time.process_time()
            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
            batches.append(1e6 * (time.process_time() - cpu0) / args.requests)
        results[op] = {"cpu_us": min(batches), "median_us": statistics.median(batches)}
    return results


def child(args: argparse.Namespace) -> None:
    import uvloop
    from asgi_lifespan import LifespanManager

    async def main() -> dict[str, Any]:
        if args.child not in FLOORS:
            sys.path.insert(0, os.getcwd())
            from app.main import create_app

            app = create_app()
        else:
            from db_app import app
        # no start-up deadline: under valgrind, starting takes many times longer
        async with LifespanManager(app, startup_timeout=None, shutdown_timeout=None) as manager:
            return await _measure(manager.app, args)

    print(json.dumps(uvloop.run(main())))


def _child_cmd(variant: str, args: argparse.Namespace, requests: int, batches: int) -> list[str]:
    return [
        sys.executable, str(Path(__file__).resolve()), "--child", variant,
        "--requests", str(requests), "--batches", str(batches), "--warmup", str(args.warmup),
        "--concurrency", str(args.concurrency), "--ops", args.ops,
    ]  # fmt: skip


def _run(
    cmd: list[str], env: dict[str, str], cwd: Path, what: str
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        cmd, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise b.BenchError(f"{what} failed:\n{proc.stderr[-3000:]}{proc.stdout[-2000:]}")
    return proc


def _result(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    return json.loads([x for x in proc.stdout.splitlines() if x.startswith("{")][-1])


class Setup:
    """A fresh database for each child, on one PostgreSQL: db_load.py's own setup."""

    def __init__(
        self, server: Any, tmp: Path, project: Path | None, pool: int, db: str = "postgres"
    ) -> None:
        import db_load

        self.db = db
        self.databases = db_load.Databases(tmp, server)
        self.project = project
        self.pool = pool
        self.lock = threading.Lock()  # children are prepared from several threads

    def prepare(self, variant: str) -> tuple[dict[str, str], Path]:
        """(environment, folder) for a child of `variant`, its database made."""
        from db_load import Case, app_command

        with self.lock:
            urls = self.databases.new(self.db)
        if variant in FLOORS:
            case, project = Case(self.db, variant, self.pool), None
        else:  # `generated`, or another project's folder
            case = Case(self.db, "generated", self.pool)
            project = self.project if variant == "generated" else Path(variant)
        _serve, env, folder = app_command(case, 0, urls, project)
        return {**env, "LOG_LEVEL": "WARNING"}, folder or b.HERE / "servers"


def instructions(setup: Setup, variants: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """kilo-instructions per request, by cachegrind, for each variant and operation."""
    valgrind = b.require_tool("valgrind", "apt-get install valgrind")
    low, high = args.counts

    def count(job: tuple[str, str, int]) -> int:
        variant, op, requests = job
        env, cwd = setup.prepare(variant)
        with tempfile.NamedTemporaryFile(prefix="cachegrind-") as out:
            cmd = [valgrind, "--tool=cachegrind", "--cache-sim=no"]
            cmd += [f"--cachegrind-out-file={out.name}"]
            cmd += _child_cmd(variant, argparse.Namespace(**{**vars(args), "ops": op}), requests, 1)
            proc = _run(cmd, {**env, "PYTHONHASHSEED": "0"}, cwd, f"{variant} {op}")
        match = re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr)
        if match is None:
            raise b.BenchError(f"no instruction count from valgrind:\n{proc.stderr[-2000:]}")
        return int(match.group(1).replace(",", ""))

    ops = args.ops.split(",")
    jobs = [(v, op, n) for v in variants for op in ops for n in (low, high)]
    b.log(f"{len(jobs)} children under valgrind, {args.jobs} at a time ...")
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        counts = dict(zip(jobs, pool.map(count, jobs), strict=True))
    return {
        v: {op: (counts[v, op, high] - counts[v, op, low]) / (high - low) / 1000 for op in ops}
        for v in variants
    }


def cpu_time(setup: Setup, variants: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """CPU µs per request: the lowest batch, median of the rounds."""
    pin = b.pin_prefix(args.app_cpus)
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for r in range(args.rounds):
        for v in variants:
            env, cwd = setup.prepare(v)
            cmd = [*pin, *_child_cmd(v, args, args.requests, args.batches)]
            result = _result(_run(cmd, env, cwd, v))
            runs[v].append(result)
            b.log(f"round {r + 1}/{args.rounds} {v}: " + ", ".join(
                f"{op} {x['cpu_us']:.0f} µs (median batch {x['median_us']:.0f})"
                for op, x in result.items()
            ))  # fmt: skip
    ops = args.ops.split(",")
    return {
        v: {op: statistics.median(r[op]["cpu_us"] for r in runs[v]) for op in ops} for v in variants
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--measure", choices=("instructions", "cpu"), default="instructions")
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help="floor, floor_tx, generated, or the folder of another generated project",
    )
    parser.add_argument("--project", type=Path, help="the generated project to use")
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--concurrency", type=int, default=20, help="tasks, = the pool size")
    parser.add_argument("--warmup", type=int, default=100, help="requests before measuring")
    parser.add_argument("--counts", default="100,400", help="instructions: N1,N2 requests")
    parser.add_argument(
        "--jobs", type=int, default=b.cpu_count(), help="instructions: children at once"
    )
    parser.add_argument("--requests", type=int, default=500, help="cpu: requests per batch")
    parser.add_argument("--batches", type=int, default=10, help="cpu: batches per operation")
    parser.add_argument("--rounds", type=int, default=3, help="cpu: report the median")
    parser.add_argument("--app-cpus", default="0", help="cpu: CPUs for the apps (taskset -c)")
    parser.add_argument("--db-cpus", default="1", help="CPUs for PostgreSQL")
    parser.add_argument("--fastasync", help="the fastasync executable to use")
    parser.add_argument("--ops", default="GET,POST", help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--json", nargs="?", const="", help="write results as JSON")
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    try:
        args.counts = sorted(int(n) for n in args.counts.split(","))
    except ValueError:
        parser.error("--counts takes two whole numbers, e.g. 100,400")
    if len(args.counts) != 2 or args.counts[0] == args.counts[1]:
        parser.error("--counts takes two different numbers, e.g. 100,400")
    if args.db == "sqlite" and args.measure != "cpu":
        parser.error("--db sqlite takes --measure cpu (see the description)")
    if args.db == "sqlite" and "floor_tx" in args.variants.split(","):
        parser.error("floor_tx is PostgreSQL's: use floor, sqlalchemy or generated")
    return b.main_guard(lambda: run(args))


def run(args: argparse.Namespace) -> int:
    import _generated as g
    import postgres_server
    from db_load import _postgres

    variants = [v for v in args.variants.split(",") if v]
    with tempfile.TemporaryDirectory(prefix="db-cpu-") as tmp_name:
        project = args.project
        if "generated" in variants and project is None:
            b.log("generating a project ...")
            project = g.generate_with_endpoint(
                Path(tmp_name) / "benchapp",
                db=args.db,
                endpoint=ITEMS_ENDPOINT,
                fastasync=args.fastasync,
            )
        # db_load.py's PostgreSQL, with connections for every child at once
        db_pin = b.pin_prefix(args.db_cpus if args.measure == "cpu" and b.cpu_count() > 1 else None)
        server_args = argparse.Namespace(
            pools=[args.concurrency * args.jobs], load_cpus=args.db_cpus
        )
        database = (
            _postgres(postgres_server, server_args, db_pin)
            if args.db == "postgres"
            else contextlib.nullcontext(None)
        )
        with database as server:
            setup = Setup(server, Path(tmp_name), project, args.concurrency, args.db)
            measure = instructions if args.measure == "instructions" else cpu_time
            results = measure(setup, variants, args)
    unit = "kilo-instructions" if args.measure == "instructions" else "CPU µs"
    ops = args.ops.split(",")
    labels = getattr(args, "labels", {})  # db_layers.py names its folders
    rows = []
    for v in variants:
        row: list[object] = [labels.get(v, v), *(round(results[v][op]) for op in ops)]
        if "floor" in results and v != "floor":
            row += [f"{results['floor'][op] / results[v][op]:.2f}x" for op in ops]
        else:
            row += ["-" for _ in ops]
        rows.append(row)
    print(f"\n{unit} per request, concurrency {args.concurrency}")
    print(b.table(["variant", *ops, *(f"floor/this {op}" for op in ops)], rows))
    if args.json is not None:
        payload = {"measure": args.measure, "unit": unit, "results": results}
        payload["packages"] = b.package_versions("fastapi", "sqlalchemy", "asyncpg", "pydantic")
        print(f"wrote {b.write_json('db_cpu', payload, args.json or None)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
