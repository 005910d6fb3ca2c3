"""BaseClient against real local sockets: what goes on the wire and what comes back.

Requests to the base URL go out through the aiohttp session directly, skipping
httpx's request objects (see `BaseClient._send_direct`); proxied ones go through
httpx's transport. Both must send what httpx would send and read what it would.
"""

import gzip
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from anyio.abc import SocketAttribute, SocketStream
from pydantic import SecretStr

from app.clients import (
    BaseClient,
    ClientConfig,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamTimeout,
)

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


async def read_head(stream: SocketStream) -> tuple[str, dict[str, str]]:
    """The request line and headers (lower-case names) of one request."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += await stream.receive()
    line, *fields = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    headers = dict(field.split(": ", 1) for field in fields)
    return line, {name.lower(): value for name, value in headers.items()}


async def answer(stream: SocketStream, body: bytes, *extra: bytes) -> None:
    await stream.send(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + b"".join(header + b"\r\n" for header in extra)
        + b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
    )


async def answer_json(stream: SocketStream) -> None:
    async with stream:
        await read_head(stream)
        await answer(stream, b'{"hello": "world"}')


async def test_real_transport_round_trip() -> None:
    async with (
        local_server(answer_json) as url,
        BaseClient(ClientConfig(base_url=url)) as client,
    ):
        assert await client.get("/hello") == {"hello": "world"}


async def test_calls_to_the_base_url_go_through_aiohttp_directly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Keeps the client's fast path (see `BaseClient._send_direct`) in use."""

    async def not_this_way(request: object) -> None:
        raise AssertionError("sent through httpx's transport")

    async with (
        local_server(answer_json) as url,
        BaseClient(ClientConfig(base_url=url)) as client,
    ):
        transport = client.http._transport_for_url(client.http.base_url)
        monkeypatch.setattr(transport, "handle_async_request", not_this_way)
        assert await client.get("/hello") == {"hello": "world"}


async def cookie_server(stream: SocketStream) -> None:
    """`/login` sets a cookie; every answer says which cookies the request had."""
    async with stream:
        line, headers = await read_head(stream)
        body = json.dumps({"cookie": headers.get("cookie")}).encode()
        set_cookie = [b"Set-Cookie: session=alice; Path=/"] if "/login" in line else []
        await answer(stream, body, *set_cookie)


async def test_no_cookie_goes_from_one_caller_to_the_next() -> None:
    async with (
        local_server(cookie_server, host="localhost") as url,
        BaseClient(ClientConfig(base_url=url)) as client,
    ):
        # One user's call: the upstream answers with a session cookie.
        assert await client.post("/login") == {"cookie": None}
        # The next user's call must not carry it.
        assert await client.get("/me") == {"cookie": None}
        # Cookies a caller gives go with that call only.
        assert await client.get("/me", cookies={"session": "bob"}) == {
            "cookie": "session=bob"
        }
        assert await client.get("/me") == {"cookie": None}


async def test_no_cookie_is_kept_through_a_proxy_either(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with local_server(cookie_server, host="localhost") as proxy:
        # Proxy settings come from the environment, as for any httpx client.
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        config = ClientConfig(base_url="http://upstream.example")
        async with BaseClient(config) as client:
            assert await client.post("/login") == {"cookie": None}
            assert await client.get("/me") == {"cookie": None}


def drip(interval: float) -> Handler:
    """An upstream that sends its answer one byte every `interval` seconds."""

    async def handler(stream: SocketStream) -> None:
        async with stream:
            await read_head(stream)
            await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            while True:
                await anyio.sleep(interval)
                await stream.send(b" ")

    return handler


@pytest.mark.parametrize("retries", [0, 3])
async def test_the_deadline_ends_a_call_that_drips_retries_included(
    retries: int,
) -> None:
    async with local_server(drip(0.05)) as url:
        # Each byte comes well within the read timeout; only the deadline helps.
        config = ClientConfig(base_url=url, timeout=1, deadline=0.5, retries=retries)
        async with BaseClient(config) as client:
            started = anyio.current_time()
            with anyio.fail_after(10), pytest.raises(UpstreamTimeout) as caught:
                await client.get("/slow")
            elapsed = anyio.current_time() - started

    assert 0.5 <= elapsed < 1.5
    assert "within 0.5 s" in str(caught.value)


async def test_max_connections_caps_the_connections_open_at_once() -> None:
    open_now = most = 0

    async def slow_answer(stream: SocketStream) -> None:
        nonlocal open_now, most
        open_now += 1
        most = max(most, open_now)
        try:
            async with stream:
                await read_head(stream)
                await anyio.sleep(0.1)
                await answer(stream, b"{}")
        finally:
            open_now -= 1

    async with local_server(slow_answer) as url:
        async with (
            BaseClient(ClientConfig(base_url=url, max_connections=2)) as client,
            anyio.create_task_group() as tg,
        ):
            for _ in range(6):
                tg.start_soon(client.get, "/")

    assert most == 2


@pytest.mark.parametrize(("method", "attempts"), [("GET", 2), ("POST", 1)])
async def test_configured_timeout_cuts_off_a_silent_upstream(
    method: str, attempts: int
) -> None:
    connections = 0

    async def never_answer(stream: SocketStream) -> None:
        nonlocal connections
        connections += 1
        async with stream:
            await anyio.sleep_forever()

    async with local_server(never_answer) as url:
        config = ClientConfig(base_url=url, timeout=0.2, connect_timeout=1, retries=1)
        async with BaseClient(config) as client:
            started = anyio.current_time()
            # Were the configured timeout ignored, the call would hang until this.
            with anyio.fail_after(10), pytest.raises(UpstreamTimeout):
                await client.request(method, "/slow")
            elapsed = anyio.current_time() - started

    assert connections == attempts
    assert elapsed >= 0.2 * attempts


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_dropped_connection_is_a_connection_error(method: str) -> None:
    connections = 0

    async def hang_up(stream: SocketStream) -> None:
        nonlocal connections
        connections += 1
        async with stream:
            await stream.receive()

    async with local_server(hang_up) as url:
        async with BaseClient(ClientConfig(base_url=url, retries=1)) as client:
            with pytest.raises(UpstreamConnectionError):
                await client.request(method, "/")

    # aiohttp itself also resends an idempotent request once on a dropped
    # connection (RFC 9112, 9.3.1), so a GET makes more than two attempts.
    assert connections > 2 if method == "GET" else connections == 1


async def test_refused_connection_is_a_connection_error() -> None:
    with socket.socket() as sock:
        # Bound but not listening: connecting to this port is refused.
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = ClientConfig(base_url=url, retries=0)
        async with BaseClient(config) as client:
            with pytest.raises(UpstreamConnectionError):
                await client.get("/")


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


def split_head(head: bytes) -> tuple[str, dict[str, str]]:
    line, *fields = head.decode("latin-1").split("\r\n")
    pairs = (field.split(": ", 1) for field in fields)
    return line, {name.lower(): value for name, value in pairs}


class Recorder:
    """An upstream that records each request and answers `{}`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []

    async def __call__(self, stream: SocketStream) -> None:
        async with stream:
            self.requests.append(await read_request(stream))
            await answer(stream, b"{}")


async def test_a_request_goes_out_as_httpx_would_send_it() -> None:
    recorder = Recorder()
    call: dict[str, Any] = {
        "json": {"name": "caf\u00e9", "tags": ["a", "b"], "n": 1.5},
        "params": {"q": ["x y", "&"], "flag": True, "empty": None, "n": 2},
        "headers": {"X-Trace": "t-1"},
        "cookies": {"session": "abc", "theme": "dark"},
    }
    async with local_server(recorder) as url:
        config = ClientConfig(base_url=f"{url}/v1", api_key=SecretStr("k3y"))
        async with BaseClient(config) as client:
            assert await client.post("/items", **call) == {}
            expected = client.http.build_request("POST", "/items", **call)

    line, headers, body = recorder.requests[0]
    assert line == f"POST {expected.url.raw_path.decode()} HTTP/1.1"
    assert body == expected.content
    for name in ("authorization", "x-trace", "content-type", "cookie", "accept"):
        assert headers[name] == expected.headers[name], name
    assert headers["user-agent"] == expected.headers["user-agent"]


async def test_headers_set_on_the_http_client_later_are_sent() -> None:
    recorder = Recorder()
    async with local_server(recorder) as url:
        async with BaseClient(ClientConfig(base_url=url)) as client:
            await client.get("/")
            client.http.headers["X-Tenant"] = "blue"
            await client.get("/")

    assert "x-tenant" not in recorder.requests[0][1]
    assert recorder.requests[1][1]["x-tenant"] == "blue"


def gzip_answer(document: Any) -> Handler:
    async def handler(stream: SocketStream) -> None:
        async with stream:
            await read_head(stream)
            await answer(
                stream,
                gzip.compress(json.dumps(document).encode()),
                b"Content-Encoding: gzip",
            )

    return handler


async def test_a_compressed_answer_is_decoded() -> None:
    async with (
        local_server(gzip_answer({"zipped": True})) as url,
        BaseClient(ClientConfig(base_url=url)) as client,
    ):
        assert await client.get("/") == {"zipped": True}


async def test_a_compressed_answer_through_a_proxy_is_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with local_server(gzip_answer({"proxied": True}), host="localhost") as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        async with BaseClient(ClientConfig(base_url="http://upstream.example")) as c:
            assert await c.get("/") == {"proxied": True}


def status_answer(head: bytes, body: bytes) -> Handler:
    async def handler(stream: SocketStream) -> None:
        async with stream:
            await read_head(stream)
            await stream.send(
                head
                + b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
                + body
            )

    return handler


async def test_an_error_answer_gives_its_status_body_and_retry_after() -> None:
    busy = status_answer(b"HTTP/1.1 503 Busy\r\nRetry-After: 7", b"try later")
    async with (
        local_server(busy) as url,
        BaseClient(ClientConfig(base_url=url, retries=0)) as client,
    ):
        with pytest.raises(UpstreamError) as caught:
            await client.get("/jobs", params={"token": "s3cret"})

    error = caught.value
    assert (error.status_code, error.body, error.retry_after) == (503, "try later", 7.0)
    assert "s3cret" not in str(error) and "try later" not in str(error)


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        (b"HTTP/1.1 204 No Content", b"", None),
        (b"HTTP/1.1 200 OK\r\nContent-Type: application/json", b"[1, 2]", [1, 2]),
    ],
)
async def test_answers_over_the_wire(head: bytes, body: bytes, expected: Any) -> None:
    async with (
        local_server(status_answer(head, body)) as url,
        BaseClient(ClientConfig(base_url=url)) as client,
    ):
        assert await client.get("/") == expected


async def test_a_body_that_is_not_json_is_an_upstream_error() -> None:
    html = status_answer(b"HTTP/1.1 200 OK\r\nContent-Type: text/html", b"<html>")
    async with (
        local_server(html) as url,
        BaseClient(ClientConfig(base_url=url)) as client,
    ):
        with pytest.raises(UpstreamError, match="not JSON") as caught:
            await client.get("/")

    assert caught.value.body == "<html>"


async def test_leaving_the_client_closes_its_pooled_connections() -> None:
    closed = anyio.Event()

    async def keep_alive(stream: SocketStream) -> None:
        async with stream:
            await read_head(stream)
            await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            # The connection stays in the client's pool until the client closes.
            with pytest.raises(anyio.EndOfStream):
                await stream.receive()
            closed.set()

    async with local_server(keep_alive) as url:
        async with BaseClient(ClientConfig(base_url=url)) as client:
            assert await client.get("/") == {}
        with anyio.fail_after(5):
            await closed.wait()
