"""A TCP proxy on loopback that delays every chunk by a fixed time in each direction.

    python latency_proxy.py --listen-port P --target-port T --delay-ms 0.5 [--stats FILE]

Stands for the network between an app and its database: a managed database in the
same region answers in ~0.5-2 ms, not the ~0.05 ms of loopback, and that round trip
is what a blocking driver makes the whole event loop wait for. The order of bytes is
kept; only time is added.

Threads, not an event loop: uvloop's timers count whole milliseconds (a 0.5 ms delay
came out as anything from 0 to 1 ms), and asyncio's own loop adds its wake-ups to
every chunk. Here each direction of each connection has a reader, which stamps every
chunk with the time it is due, and a sender, which sleeps until then
(`time.sleep`: sub-millisecond on Linux) and sends it. `--stats FILE` writes, at
exit, how late the chunks left against their due time (each chunk's delay is
`--delay-ms` plus that).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import signal
import socket
import threading
import time
from pathlib import Path

CHUNK = 65536
# How late chunks left against their due time: a count per 10 µs, the last bucket
# for 100 ms and more (counted from every sender thread: a lost update is possible,
# and harmless for these figures), and the latest seen.
BUCKET_S = 1e-5
LATENESS = [0] * 10_000
WORST = [0.0]


def _nodelay(sock: socket.socket) -> socket.socket:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def pipe(source: socket.socket, target: socket.socket, delay: float) -> None:
    """Copy `source` to `target`, each chunk leaving `delay` seconds after it arrived."""
    chunks: queue.SimpleQueue[tuple[float, bytes]] = queue.SimpleQueue()

    def send() -> None:
        while True:
            due, data = chunks.get()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if not data:
                break
            late = max(0.0, time.monotonic() - due)
            LATENESS[min(int(late / BUCKET_S), len(LATENESS) - 1)] += 1
            WORST[0] = max(WORST[0], late)
            try:
                target.sendall(data)
            except OSError:
                break
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    while True:
        try:
            data = source.recv(CHUNK)
        except OSError:
            data = b""
        chunks.put((time.monotonic() + delay, data))
        if not data:
            break
    sender.join()


def handle(client: socket.socket, target_port: int, delay: float) -> None:
    try:
        server = _nodelay(socket.create_connection(("127.0.0.1", target_port)))
    except OSError:
        client.close()
        return
    back = threading.Thread(target=pipe, args=(server, client, delay), daemon=True)
    back.start()
    pipe(_nodelay(client), server, delay)
    back.join()
    client.close()
    server.close()


def stats() -> dict[str, float | int]:
    """How late chunks left, in ms: their count, median, 99th percentile and worst."""
    chunks = sum(LATENESS)
    if not chunks:
        return {"chunks": 0}

    def percentile(p: float) -> float:
        seen = 0
        for bucket, count in enumerate(LATENESS):
            seen += count
            if seen >= p * chunks:
                return 1000 * (bucket + 1) * BUCKET_S  # the bucket's upper edge
        return 1000 * WORST[0]

    return {
        "chunks": chunks,
        "late_p50_ms": percentile(0.5),
        "late_p99_ms": percentile(0.99),
        "late_max_ms": 1000 * WORST[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen-port", type=int, required=True)
    parser.add_argument("--target-port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, required=True, help="each way")
    parser.add_argument("--stats", type=Path, help="write lateness figures here at exit")
    args = parser.parse_args()
    delay = args.delay_ms / 1000

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    listener = socket.create_server(("127.0.0.1", args.listen_port), backlog=128)
    try:
        while True:
            client, _ = listener.accept()
            threading.Thread(
                target=handle, args=(client, args.target_port, delay), daemon=True
            ).start()
    finally:
        listener.close()
        if args.stats is not None:
            args.stats.write_text(json.dumps({"delay_ms": args.delay_ms, **stats()}))


if __name__ == "__main__":
    main()
