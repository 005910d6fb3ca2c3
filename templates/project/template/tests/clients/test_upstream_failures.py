"""BaseClient against real local sockets that fail: slow, silent, dropped, refused."""

import socket

import anyio
import pytest
from anyio.abc import SocketStream

from app.clients import (
    BaseClient,
    ClientConfig,
    UpstreamConnectionError,
    UpstreamTimeout,
)
from tests.clients.upstream import Handler, answer, local_server, read_head


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
