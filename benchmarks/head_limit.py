"""What the generated `app.server` protocol costs and saves against uvicorn's httptools one.

    python benchmarks/head_limit.py [--project DIR] [--requests 20000] [--rounds 5]

Both protocols run in this process, driven as uvicorn drives them (a transport that
keeps what it is sent, one uvloop loop), serving a minimal ASGI app, so what differs
is the protocol alone (app.server counts each head's bytes and times it: a timer per
request, started at its first byte and cancelled when its head is complete; and it
times a body still incomplete once the bytes at hand are parsed):

  cpu      CPU µs per keep-alive request (the request's bytes in, the answer out), the
           lowest of 5 batches, median of --rounds rounds that alternate the two; for
           a GET, a POST whose 64-byte body comes with its head, and one whose body
           comes in a packet of its own (its body timer started and cancelled)
  memory   what one connection holds after sending --flood-mb MB of headers that
           never end (tracemalloc's peak), and whether it was refused with 431

The generated project (`fastasync new`, or --project) supplies app/server.py.
Nothing is pinned; the ratio of the two in the same run is the figure to read.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import _bench as b

REQUEST = b"GET /health HTTP/1.1\r\nhost: localhost\r\nuser-agent: bench\r\naccept: */*\r\n\r\n"
BODY = b'{"name": "' + b"x" * 40 + b'", "price": 12.5}  '
POST = (
    b"POST /api/items HTTP/1.1\r\nhost: localhost\r\nuser-agent: bench\r\n"
    b"content-type: application/json\r\ncontent-length: " + str(len(BODY)).encode() + b"\r\n\r\n"
)
# Each request's bytes, in the packets they arrive in.
REQUESTS = {"GET": [REQUEST], "POST": [POST + BODY], "POST, body apart": [POST, BODY]}


async def ok_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    more = scope["method"] == "POST"
    while more:  # read the body, as an endpoint does
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.answers = 0
        self.closed = False
        self.protocol: Any = None
        self.answered = asyncio.Event()

    def write(self, data: Any) -> None:
        if bytes(data).startswith(b"HTTP/1.1 "):
            self.answers += 1
            self.answered.set()

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 5000)}.get(name, default)

    def set_protocol(self, protocol: Any) -> None:
        self.protocol = protocol

    def get_protocol(self) -> Any:
        return self.protocol

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def connect(cls: type, config: Any) -> tuple[Any, Transport]:
    from uvicorn.server import ServerState

    protocol = cls(config, ServerState(), {})
    transport = Transport()
    transport.set_protocol(protocol)
    protocol.connection_made(transport)
    return protocol, transport


async def cpu_batch(cls: type, config: Any, requests: int, packets: list[bytes]) -> float:
    """CPU µs per request over `requests` keep-alive requests on one connection."""
    protocol, transport = connect(cls, config)
    start = time.process_time()
    for _ in range(requests):
        transport.answered.clear()
        for packet in packets:
            protocol.data_received(packet)
        await transport.answered.wait()
    return 1e6 * (time.process_time() - start) / requests


async def flood(cls: type, config: Any, megabytes: int) -> tuple[int, bool]:
    """(peak bytes traced, refused) after a head of `megabytes` MB that never ends."""
    protocol, transport = connect(cls, config)
    protocol.data_received(b"GET /health HTTP/1.1\r\nhost: localhost\r\n")
    line = b"x-flood: " + b"a" * 8180 + b"\r\n"
    tracemalloc.start()
    for _ in range(megabytes * 1024 * 1024 // len(line)):
        if transport.closed:
            break
        protocol.data_received(line)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, transport.closed


def run(args: argparse.Namespace) -> int:
    import _generated as g
    import uvloop

    with tempfile.TemporaryDirectory(prefix="head-limit-") as tmp:
        project = args.project
        if project is None:
            b.log("generating a project ...")
            project = g.generate(Path(tmp) / "benchapp", fastasync=args.fastasync)
        sys.path.insert(0, str(project))
        os.chdir(project)  # its settings (.env, if any) are read from here
        from app.server import HttpToolsProtocol as Generated
        from uvicorn.config import Config
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Uvicorn

        config = Config(app=ok_app, log_config=None, lifespan="off")
        config.load()
        classes = {"uvicorn httptools": Uvicorn, "app.server": Generated}

        async def main() -> dict[str, Any]:
            cpu: dict[str, dict[str, list[float]]] = {
                kind: {name: [] for name in classes} for kind in REQUESTS
            }
            for cls in classes.values():  # warm-up
                for packets in REQUESTS.values():
                    await cpu_batch(cls, config, 2000, packets)
            for r in range(args.rounds):
                order = list(classes.items())
                for kind, packets in REQUESTS.items():
                    for name, cls in order if r % 2 == 0 else order[::-1]:
                        batches = [
                            await cpu_batch(cls, config, args.requests, packets) for _ in range(5)
                        ]
                        cpu[kind][name].append(min(batches))
                b.log(f"round {r + 1}/{args.rounds}: " + "; ".join(
                    f"{kind}: " + ", ".join(f"{n} {v[-1]:.2f} µs" for n, v in by_name.items())
                    for kind, by_name in cpu.items()
                ))  # fmt: skip
            memory = {n: await flood(cls, config, args.flood_mb) for n, cls in classes.items()}
            medians = {
                kind: {n: statistics.median(v) for n, v in by_name.items()}
                for kind, by_name in cpu.items()
            }
            return {"cpu": medians, "memory": memory}

        results = uvloop.run(main())
    rows = []
    for kind in REQUESTS:
        base = results["cpu"][kind]["uvicorn httptools"]
        for name in classes:
            micros = results["cpu"][kind][name]
            rows.append([kind, name, f"{micros:.2f}", f"{micros / base:.3f}x"])
    rounds = args.rounds
    print(f"\nkeep-alive requests, CPU µs per request (median of {rounds} rounds, lowest batch)")
    print(b.table(["request", "protocol", "CPU µs", "vs uvicorn"], rows))
    memory_rows = [
        [
            name,
            f"{results['memory'][name][0] / 1024:,.0f} KiB",
            "431" if results["memory"][name][1] else "kept reading",
        ]
        for name in classes
    ]
    print(f"\none connection sending {args.flood_mb} MB of headers that never end")
    print(b.table(["protocol", "memory held", "flood"], memory_rows))
    if args.json is not None:
        payload = {"results": results, "packages": b.package_versions("uvicorn", "httptools")}
        print(f"wrote {b.write_json('head_limit', payload, args.json or None)}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", type=Path, help="a generated project to take it from")
    parser.add_argument("--requests", type=int, default=20000, help="requests per batch")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--flood-mb", type=int, default=64, help="MB of headers in the flood")
    parser.add_argument("--fastasync", help="the fastasync executable to use")
    parser.add_argument("--json", nargs="?", const="", help="write results as JSON")
    args = parser.parse_args()
    return b.main_guard(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
