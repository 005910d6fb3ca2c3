"""A TCP proxy on loopback that delays every chunk by a fixed time in each direction.

    python latency_proxy.py --listen-port P --target-port T --delay-ms 0.5

Stands for the network between an app and its database: a managed database in the
same region answers in ~0.5-2 ms, not the ~0.05 ms of loopback, and that round trip
is what a blocking driver makes the whole event loop wait for. The order of bytes is
kept; only time is added. uvloop, one process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

import uvloop


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy reader to writer, each chunk leaving `delay` seconds after it arrived."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(send())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((loop.time() + delay, data))
    except ConnectionError:
        pass
    queue.put_nowait((loop.time() + delay, b""))
    with contextlib.suppress(ConnectionError):
        await sender
    writer.close()


async def serve(listen_port: int, target_port: int, delay: float) -> None:
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(pipe(client_r, server_w, delay), pipe(server_r, client_w, delay))

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen-port", type=int, required=True)
    parser.add_argument("--target-port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, required=True, help="each way")
    args = parser.parse_args()
    uvloop.run(serve(args.listen_port, args.target_port, args.delay_ms / 1000))


if __name__ == "__main__":
    main()
