"""Upstreams on real local sockets, for the client tests: raw HTTP/1.1, one per test."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
from anyio.abc import SocketAttribute, SocketStream

Handler = Callable[[SocketStream], Awaitable[None]]


@asynccontextmanager
async def local_server(handler: Handler, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serve `handler` on a free loopback port and yield the base URL.

    `host` is the name the URL uses: `localhost` reaches the same socket, but
    cookie jars treat it as any host name (they ignore cookies from IP addresses).
    """
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, handler)
        yield f"http://{host}:{port}"
        tg.cancel_scope.cancel()


async def read_request(stream: SocketStream) -> tuple[str, dict[str, str], bytes]:
    """The request line, headers (lower-case names) and body of one request."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += await stream.receive()
    head, _, body = data.partition(b"\r\n\r\n")
    line, headers = split_head(head)
    while len(body) < int(headers.get("content-length", 0)):
        body += await stream.receive()
    return line, headers, body


async def read_head(stream: SocketStream) -> tuple[str, dict[str, str]]:
    """The request line and headers (lower-case names) of one request."""
    line, headers, _ = await read_request(stream)
    return line, headers


def split_head(head: bytes) -> tuple[str, dict[str, str]]:
    """The request line and the headers (lower-case names) of a request's head."""
    line, *fields = head.decode("latin-1").split("\r\n")
    pairs = (field.split(": ", 1) for field in fields)
    return line, {name.lower(): value for name, value in pairs}


async def answer(stream: SocketStream, body: bytes, *extra: bytes) -> None:
    """A 200 JSON answer with `body`, and `extra` header lines."""
    head = b"\r\n".join([b"HTTP/1.1 200 OK", b"Content-Type: application/json", *extra])
    await send_answer(stream, head, body)


async def send_answer(stream: SocketStream, head: bytes, body: bytes) -> None:
    """`head` (status line and headers) and `body`, then the connection closes."""
    await stream.send(
        head + b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
    )


def status_answer(head: bytes, body: bytes) -> Handler:
    """An upstream answering every request with `head` and `body`."""

    async def handler(stream: SocketStream) -> None:
        async with stream:
            await read_head(stream)
            await send_answer(stream, head, body)

    return handler


async def answer_json(stream: SocketStream) -> None:
    async with stream:
        await read_head(stream)
        await answer(stream, b'{"hello": "world"}')


class Recorder:
    """An upstream that records each request and answers `{}`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []

    async def __call__(self, stream: SocketStream) -> None:
        async with stream:
            self.requests.append(await read_request(stream))
            await answer(stream, b"{}")
