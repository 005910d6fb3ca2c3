"""How much memory a generated app's server holds per request in flight, for 1 MiB
JSON bodies that Python's json module amplifies most.

    python benchmarks/body_memory.py [--project DIR] [--concurrency 1,10,50,100]
        [--limit-concurrency N] [--env NAME=VALUE ...]

The project (`fastasync new --db sqlite` with `fastasync add endpoint items
name:str price:float`, or --project, which must have items and be migrated) is
served exactly as its Dockerfile's CMD says (the host and port swapped for a free
loopback one, `--limit-concurrency N` appended when given; `--env` sets the app's
settings, e.g. `--env JSON_IN_FLIGHT_MAX_BYTES=1073741824` to lift its bound).
For each body and each concurrency N, a fresh server gets one warm-up request of
that body, then N connections each send a POST to /api/items of the whole body but
its last byte; once all have, the last bytes go out together and every answer is read. The
figure is the server's peak RSS (VmHWM, /proc/PID/status) minus its RSS before
the N requests, divided by N; and the answers' statuses.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import _bench as b

MIB = 1024 * 1024


def fill(prefix: bytes, item: bytes, suffix: bytes, size: int = MIB) -> bytes:
    """`prefix item,item,...,item suffix`, as many items as fit in `size` bytes."""
    count = (size - len(prefix) - len(suffix) + 1) // (len(item) + 1)
    return prefix + b",".join([item] * count) + suffix


def extra_keys(size: int = MIB) -> bytes:
    parts, total, i = [], 2, 0
    while True:
        part = b'"k%d":0' % i
        if total + len(part) + 1 > size:
            break
        parts.append(part)
        total += len(part) + 1
        i += 1
    return b"{" + b",".join(parts) + b"}"


# Each is at most 1 MiB (MAX_BODY_BYTES's default), so every one reaches the app.
BODIES = {
    "[{},{},...]": fill(b"[", b"{}", b"]"),
    "[0,0,...]": fill(b"[", b"0", b"]"),
    '["ab","ab",...]': fill(b"[", b'"ab"', b"]"),
    '{"k0":0,"k1":0,...}': extra_keys(),
    'valid item + "x":[{},...]': fill(b'{"name":"a","price":1.5,"x":[', b"{}", b"]}"),
    'valid item + "x":[[],...]': fill(b'{"name":"a","price":1.5,"x":[', b"[]", b"]}"),
}


def request(body: bytes) -> bytes:
    return (
        b"POST /api/items HTTP/1.1\r\nhost: 127.0.0.1\r\n"
        b"content-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body)
    ) + body


def status_of(port: int, raw: bytes, start: threading.Barrier) -> str:
    """Send all of `raw` but its last byte, wait for the others, send it, read the
    status line (or what went wrong)."""
    try:
        with socket.create_connection((b.LOOPBACK, port), timeout=120) as sock:
            try:
                sock.sendall(raw[:-1])
            except OSError as exc:  # refused early (503 and closed)
                start.wait()
                return type(exc).__name__
            start.wait()
            sock.sendall(raw[-1:])
            answer = b""
            while b"\r\n" not in answer:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
            return answer.split(b"\r\n", 1)[0].decode()[9:12] or "closed"
    except OSError as exc:
        return type(exc).__name__


def memory(pid: int) -> dict[str, int]:
    text = Path(f"/proc/{pid}/status").read_text()
    return {k: int(v) * 1024 for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", text, re.M)}


def docker_command(project: Path, port: int, extra: list[str]) -> list[str]:
    text = (project / "Dockerfile").read_text()
    command = json.loads(re.search(r"^CMD (\[.*\])$", text, re.MULTILINE)[1])
    assert command[0] == "uvicorn", command
    command = [sys.executable, "-m", *command, *extra]
    command[command.index("--host") + 1] = b.LOOPBACK
    command[command.index("--port") + 1] = str(port)
    return command


def generate(dest: Path, fastasync: str | None) -> Path:
    import _generated as g

    exe = b.find_fastasync(fastasync)
    for cmd in (
        [exe, "new", str(dest), "--yes", "--docker", "--ci", "none", "--db", "sqlite"],
        [exe, "add", "endpoint", "items", "name:str", "price:float", "--project", str(dest)],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise b.BenchError(f"`{' '.join(cmd[1:])}` failed:\n{proc.stderr or proc.stdout}")
    g.migrate(dest, {})
    return dest


def measure(
    project: Path, body: bytes, n: int, extra: list[str], settings: dict[str, str], logs: Path
) -> dict:
    with b.Processes(logs) as procs:
        port = b.free_port()
        env = {"LOG_LEVEL": "WARNING", **settings}
        server = procs.start("server", docker_command(project, port, extra), env=env, cwd=project)
        b.wait_http(f"http://{b.LOOPBACK}:{port}/health", proc=server, procs=procs, name="server")
        raw = request(body)
        warm = status_of(port, raw, threading.Barrier(1))
        before = memory(server.pid)["VmRSS"]
        start = threading.Barrier(n)
        statuses: list[str] = [""] * n

        def one(i: int) -> None:
            statuses[i] = status_of(port, raw, start)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        after = memory(server.pid)
        peak = after["VmHWM"] - before
        return {
            "warm-up": warm,
            "rss_before": before,
            "peak_growth": peak,
            "per_request": peak / n,
            "statuses": dict(collections.Counter(statuses)),
        }


def run(args: argparse.Namespace) -> int:
    levels = [int(n) for n in args.concurrency.split(",")]
    extra = (
        []
        if args.limit_concurrency is None
        else ["--limit-concurrency", str(args.limit_concurrency)]
    )
    settings = dict(item.split("=", 1) for item in args.env)
    with tempfile.TemporaryDirectory(prefix="body-memory-") as tmp:
        project = args.project
        if project is None:
            b.log("generating a project ...")
            project = generate(Path(tmp) / "memapp", args.fastasync)
        results: dict[str, dict[int, dict]] = {}
        rows = []
        for name, body in BODIES.items():
            if args.only and args.only not in name:
                continue
            for n in levels:
                r = measure(project, body, n, extra, settings, Path(tmp))
                results.setdefault(name, {})[n] = r
                b.log(f"{name} N={n}: {r}")
                statuses = ", ".join(f"{k} x{v}" for k, v in sorted(r["statuses"].items()))
                rows.append([
                    name, n, f"{r['rss_before'] / MIB:.0f}", f"{r['peak_growth'] / MIB:.0f}",
                    f"{r['per_request'] / MIB:.1f}", statuses,
                ])  # fmt: skip
    limit = (
        "" if args.limit_concurrency is None else f", --limit-concurrency {args.limit_concurrency}"
    )
    limit += "".join(f", {item}" for item in args.env)
    print(f"\n1 MiB bodies POSTed to /api/items, N at once (served as the Dockerfile says{limit})")
    print(
        b.table(
            ["body", "N", "RSS before MiB", "peak growth MiB", "MiB per request", "answers"], rows
        )
    )
    if args.json is not None:
        payload = {
            "results": results,
            "packages": b.package_versions("uvicorn", "fastapi", "pydantic"),
        }
        print(f"wrote {b.write_json('body_memory', payload, args.json or None)}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--project", type=Path, help="a generated project with /api/items, migrated"
    )
    parser.add_argument("--concurrency", default="1,10,50,100", help="comma-separated N")
    parser.add_argument(
        "--limit-concurrency", type=int, help="append uvicorn's --limit-concurrency"
    )
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the app")
    parser.add_argument("--only", help="only the bodies whose name contains this")
    parser.add_argument("--fastasync", help="the fastasync executable to use")
    parser.add_argument("--json", nargs="?", const="", help="write results as JSON")
    args = parser.parse_args()
    return b.main_guard(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
